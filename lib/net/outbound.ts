import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { processEnv } from '../config';

/**
 * Which addresses this service may send requests to. The callback URL, the PBX base URL and the CDR URL are
 * set by operators for tenants, and every request to them leaves from inside the VPC, where loopback, the
 * instance metadata service and private neighbours answer: a tenant URL pointing there would make the
 * service a proxy into its own network (SSRF). So outside the local stage those addresses are refused, when
 * a URL is set and again at send time, after DNS, on the very address the socket connects to.
 */
export interface OutboundPolicy {
  /**
   * True only on the local stack and in tests, whose PBX simulator and stand-in CRM listen on loopback.
   * Set by `ALLOW_PRIVATE_OUTBOUND=true` (lib/config.ts) or by the CLI when it targets the local stack.
   */
  allowPrivate: boolean;
}

/** What production uses: only public addresses. */
export const STRICT_OUTBOUND: OutboundPolicy = Object.freeze({ allowPrivate: false });

/**
 * The policy an environment asks for: `ALLOW_PRIVATE_OUTBOUND=true` (or `1`) allows private addresses,
 * anything else (unset included) refuses them. Deployed stacks never set it (serverless.yml does not
 * declare it); the local stack (local/stack.ts) and the test runner (vitest.config.ts) do.
 */
export function outboundPolicyFromEnv(env: NodeJS.ProcessEnv = processEnv()): OutboundPolicy {
  const value = env.ALLOW_PRIVATE_OUTBOUND?.trim().toLowerCase();
  return { allowPrivate: value === 'true' || value === '1' };
}

/** Refused: `address` (what the socket would connect to) of `host` (what the URL named) lies in `range`. */
export class ForbiddenAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    const what = host === address ? address : `${host} resolves to ${address}, which`;
    super(`${what} is a ${range} address: loopback, private, link-local and cloud-metadata addresses are refused outside the local stage`);
    this.name = 'ForbiddenAddressError';
  }
}

export type AddressClass = { forbidden: false } | { forbidden: true; range: string };

function rule(range: string, ...subnets: Array<[string, number]>): { range: string; list: BlockList } {
  const list = new BlockList();
  for (const [network, prefix] of subnets) {
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === (type === 'ipv6' ? 128 : 32)) list.addAddress(network, type);
    else list.addSubnet(network, prefix, type);
  }
  return { range, list };
}

/*
 * The metadata addresses come first so that they are named as such. Documentation ranges (192.0.2.0/24,
 * 2001:db8::/32) are left out: nothing answers there, so they cannot be abused, and the tests use them as
 * stand-ins for public addresses.
 */
const V4_RULES = [
  rule('cloud-metadata (169.254.169.254)', ['169.254.169.254', 32]),
  rule('"this network" (0.0.0.0/8)', ['0.0.0.0', 8]),
  rule('loopback (127.0.0.0/8)', ['127.0.0.0', 8]),
  rule('private (RFC 1918)', ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]),
  rule('shared, carrier-grade NAT (100.64.0.0/10)', ['100.64.0.0', 10]),
  rule('link-local (169.254.0.0/16)', ['169.254.0.0', 16]),
  rule('IETF protocol assignment (192.0.0.0/24)', ['192.0.0.0', 24]),
  rule('benchmarking (198.18.0.0/15)', ['198.18.0.0', 15]),
  rule('multicast (224.0.0.0/4)', ['224.0.0.0', 4]),
  rule('reserved (240.0.0.0/4)', ['240.0.0.0', 4]),
];

const V6_RULES = [
  rule('cloud-metadata (fd00:ec2::254)', ['fd00:ec2::254', 128]),
  rule('unspecified (::)', ['::', 128]),
  rule('loopback (::1)', ['::1', 128]),
  rule('unique-local (fc00::/7)', ['fc00::', 7]),
  rule('link-local (fe80::/10)', ['fe80::', 10]),
  rule('site-local (fec0::/10)', ['fec0::', 10]),
  rule('multicast (ff00::/8)', ['ff00::', 8]),
  rule('discard-only (100::/64)', ['100::', 64]),
  rule('local-use NAT64 (64:ff9b:1::/48)', ['64:ff9b:1::', 48]),
];

/*
 * IPv6 forms that carry an IPv4 address, which the kernel, a NAT64 gateway, a 6to4 relay or a Teredo relay
 * may turn into a connection to that IPv4 address: `::ffff:127.0.0.1` reaches loopback, `64:ff9b::a9fe:a9fe`
 * the metadata service. Each reads the IPv4 address (or addresses) out of the eight 16-bit words, or answers
 * nothing when the address is not of its form. They are matched on the words, so every spelling (compressed,
 * expanded, dotted tail, upper case) reads the same.
 */
const dottedQuad = (...octets: number[]) => octets.join('.');
const v4Of = (hi: number, lo: number) => dottedQuad(hi >> 8, hi & 0xff, lo >> 8, lo & 0xff);
const zero = (words: number[], from: number, to: number) => words.slice(from, to).every((w) => w === 0);

const EMBEDDING_V4: Array<{ name: string; carried: (w: number[]) => string[] | undefined }> = [
  // ::ffff:a.b.c.d (RFC 4291).
  { name: 'IPv4-mapped', carried: (w) => (zero(w, 0, 5) && w[5] === 0xffff ? [v4Of(w[6]!, w[7]!)] : undefined) },
  // ::ffff:0:a.b.c.d (RFC 2765, RFC 6145): what a stateless translator maps back to the IPv4 address.
  { name: 'IPv4-translated', carried: (w) => (zero(w, 0, 4) && w[4] === 0xffff && w[5] === 0 ? [v4Of(w[6]!, w[7]!)] : undefined) },
  // ::a.b.c.d (deprecated, RFC 4291); :: and ::1 are judged as themselves before this.
  { name: 'IPv4-compatible', carried: (w) => (zero(w, 0, 6) ? [v4Of(w[6]!, w[7]!)] : undefined) },
  // 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052).
  { name: 'NAT64', carried: (w) => (w[0] === 0x64 && w[1] === 0xff9b && zero(w, 2, 6) ? [v4Of(w[6]!, w[7]!)] : undefined) },
  /*
   * 64:ff9b:1::/48, the local-use NAT64 prefix (RFC 8215): its IPv4 address sits where the operator's prefix
   * length puts it (RFC 6052: /48, /56, /64 or /96), so no one reading is sure. Every reading is judged, and
   * the range is refused whatever they carry (the V6 rules): it only ever leads into a local network.
   */
  {
    name: 'local-use NAT64',
    carried: (w) =>
      w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1
        ? [
            v4Of(w[6]!, w[7]!), // /96, the common case, first
            dottedQuad(w[4]! & 0xff, w[5]! >> 8, w[5]! & 0xff, w[6]! >> 8), // /64 (bits 64-71 are the zero u octet)
            dottedQuad(w[3]! & 0xff, w[4]! & 0xff, w[5]! >> 8, w[5]! & 0xff), // /56
            dottedQuad(w[3]! >> 8, w[3]! & 0xff, w[4]! & 0xff, w[5]! >> 8), // /48
          ].filter((v4) => v4 !== '0.0.0.0') // zero padding of a shorter reading, not an address
        : undefined,
  },
  // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD in bits 16-47 (RFC 3056).
  { name: '6to4', carried: (w) => (w[0] === 0x2002 ? [v4Of(w[1]!, w[2]!)] : undefined) },
  // Teredo (RFC 4380): 2001:0:<server IPv4>:<flags>:<port>:<client IPv4 XOR 0xffffffff>.
  {
    name: 'Teredo',
    carried: (w) => (w[0] === 0x2001 && w[1] === 0 ? [v4Of(w[2]!, w[3]!), v4Of(~w[6]! & 0xffff, ~w[7]! & 0xffff)] : undefined),
  },
];

/**
 * Whether an IP address is one this service must not send to (outside the local stage). IPv4 and IPv6,
 * brackets and zone ids tolerated; IPv6 forms that embed an IPv4 address are judged by that address.
 * Anything that is not an IP address is forbidden: the caller must resolve names first.
 */
export function classifyAddress(input: string): AddressClass {
  const address = input.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 4) return firstMatch(V4_RULES, address, 'ipv4');
  if (family !== 6) return { forbidden: true, range: 'non-IP' };
  const words = ipv6Words(address);
  // First as itself: :: and ::1 also sit inside the IPv4-compatible range, and deserve their own names.
  const own = firstMatch(V6_RULES, words.map((w) => w.toString(16)).join(':'), 'ipv6');
  if (own.forbidden && !own.range.startsWith('local-use NAT64')) return own;
  for (const embedding of EMBEDDING_V4) {
    const carried = embedding.carried(words);
    if (!carried) continue;
    for (const v4 of carried) {
      const inner = firstMatch(V4_RULES, v4, 'ipv4');
      if (inner.forbidden) return { forbidden: true, range: `${inner.range}, ${embedding.name} as ${v4},` };
    }
    return own;
  }
  return own;
}

function firstMatch(rules: typeof V4_RULES, address: string, type: 'ipv4' | 'ipv6'): AddressClass {
  const hit = rules.find((r) => r.list.check(address, type));
  return hit ? { forbidden: true, range: hit.range } : { forbidden: false };
}

/** The eight 16-bit words of a valid IPv6 address (`isIP` said 6), a dotted IPv4 tail included. */
function ipv6Words(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const before = parse(head);
  if (tail === undefined) return before;
  const after = parse(tail);
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

/** Throws {@link ForbiddenAddressError} when `address` is forbidden under `policy`. */
export function assertAddressAllowed(host: string, address: string, policy: OutboundPolicy): void {
  if (policy.allowPrivate) return;
  const verdict = classifyAddress(address);
  if (verdict.forbidden) throw new ForbiddenAddressError(host, address, verdict.range);
}

type Resolver = (hostname: string, options: { all: true; verbatim: true }) => Promise<dns.LookupAddress[]>;

/**
 * Resolves `host` (every address, as the system resolver gives them) and refuses it when ANY address is
 * forbidden: a name that answers one public and one private address could send the next connection to
 * either. An IP literal is judged as it is. DNS errors (ENOTFOUND...) propagate unchanged.
 */
export async function resolveAllowed(
  host: string,
  policy: OutboundPolicy,
  resolve: Resolver = (name, options) => dns.promises.lookup(name, options),
): Promise<dns.LookupAddress[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family !== 0) {
    assertAddressAllowed(bare, bare, policy);
    return [{ address: bare, family }];
  }
  const addresses = await resolve(bare, { all: true, verbatim: true });
  for (const { address } of addresses) assertAddressAllowed(bare, address, policy);
  return addresses;
}

/**
 * A `lookup` for `http.request` / `net.connect` that resolves through {@link resolveAllowed}: the
 * addresses it checks are the ones it hands to the socket, so no second resolution can answer something
 * else (no DNS-rebinding window). Undefined when private addresses are allowed: Node's own lookup then.
 *
 * `net.connect` never calls `lookup` for an IP literal: pair this with {@link assertUrlAllowed}.
 */
export function guardedLookup(policy: OutboundPolicy): LookupFunction | undefined {
  if (policy.allowPrivate) return undefined;
  return (hostname, options, callback) => {
    resolveAllowed(hostname, policy).then(
      (all) => {
        const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        if (wanted.length === 0) {
          const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
            hostname,
          });
          callback(error, '', 0);
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, wanted[0]!.address, wanted[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** Refuses a URL whose host is a forbidden IP literal (names are judged by {@link guardedLookup}). */
export function assertUrlAllowed(url: URL, policy: OutboundPolicy): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) assertAddressAllowed(host, host, policy);
}

/** What {@link checkOutboundUrl} found when a URL is set. */
export type UrlCheck =
  | { ok: true; addresses: string[] }
  /** The name does not resolve from here now: nothing to judge yet; every send checks again. */
  | { ok: true; addresses: []; unresolved: string }
  | { ok: false; error: ForbiddenAddressError };

/**
 * The set-time check of an outbound URL: its host, resolved now, must not be (or resolve to) a forbidden
 * address. A name that does not resolve is not refused (the tenant's DNS may not exist yet); the send-time
 * check still guards it.
 */
export async function checkOutboundUrl(url: string, policy: OutboundPolicy): Promise<UrlCheck> {
  if (policy.allowPrivate) return { ok: true, addresses: [] };
  const host = new URL(url).hostname;
  try {
    const addresses = await resolveAllowed(host, policy);
    return { ok: true, addresses: addresses.map((a) => a.address) };
  } catch (error) {
    if (error instanceof ForbiddenAddressError) return { ok: false, error };
    return { ok: true, addresses: [], unresolved: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}
