import { describe, expect, it } from 'vitest';
import { classifyAddress, ForbiddenAddressError, outboundPolicyFromEnv, resolveAllowed, STRICT_OUTBOUND } from '../../../lib/net/outbound';
import { containing } from '../../support/match';

/** [address, the range it must be named in (`a + b`: both named), or null when it is public and allowed]. */
const TABLE: Array<[string, string | null]> = [
  // IPv4
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['0.0.0.0', '"this network"'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'cloud-metadata'],
  ['169.254.1.1', 'link-local'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.255', 'carrier-grade NAT'],
  ['192.0.0.170', 'IETF'],
  ['198.18.0.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['8.8.8.8', null],
  ['1.1.1.1', null],
  ['172.32.0.1', null],
  ['100.128.0.1', null],
  ['192.0.2.10', null],
  // IPv6
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::', 'unspecified'],
  ['fd00:ec2::254', 'cloud-metadata'],
  ['fd12:3456::1', 'unique-local'],
  ['fc00::1', 'unique-local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['[fe80::1]', 'link-local'],
  ['ff02::1', 'multicast'],
  ['fec0::1', 'site-local'],
  // IPv6 forms carrying an IPv4 address are judged by it.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:169.254.169.254', 'cloud-metadata'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:0.0.0.0', '"this network"'],
  ['64:ff9b::a9fe:a9fe', 'cloud-metadata'],
  ['2002:7f00:1::1', 'loopback'],
  ['::ffff:8.8.8.8', null],
  // IPv4-translated (RFC 2765/6145), ::ffff:0:0:0/96, in every spelling.
  ['::ffff:0:127.0.0.1', 'loopback + IPv4-translated'],
  ['::ffff:0:7f00:1', 'loopback + IPv4-translated'],
  ['0:0:0:0:ffff:0:7f00:1', 'loopback + IPv4-translated'],
  ['0000:0000:0000:0000:FFFF:0000:7F00:0001', 'loopback + IPv4-translated'],
  ['::FFFF:0:169.254.169.254', 'cloud-metadata + IPv4-translated'],
  ['::ffff:0:a9fe:a9fe', 'cloud-metadata + IPv4-translated'],
  ['::ffff:0:10.0.0.1', 'private + IPv4-translated'],
  ['[::ffff:0:192.168.1.1]', 'private + IPv4-translated'],
  ['::ffff:0:8.8.8.8', null],
  // NAT64, the well-known prefix 64:ff9b::/96.
  ['64:ff9b::127.0.0.1', 'loopback + NAT64'],
  ['64:FF9B::7F00:1', 'loopback + NAT64'],
  ['0064:ff9b:0000:0000:0000:0000:0a00:0001', 'private + NAT64'],
  ['64:ff9b:0:0:0:0:169.254.169.254', 'cloud-metadata + NAT64'],
  ['64:ff9b::172.16.0.1', 'private + NAT64'],
  ['64:ff9b::808:808', null],
  ['64:ff9b::8.8.8.8', null],
  // NAT64, the local-use prefix 64:ff9b:1::/48: every RFC 6052 reading is judged, and the range is refused anyway.
  ['64:ff9b:1::127.0.0.1', 'loopback + local-use NAT64'],
  ['64:ff9b:1:0:0:0:a9fe:a9fe', 'cloud-metadata + local-use NAT64'],
  ['64:FF9B:1:0A00:0:100::', 'local-use NAT64'],
  ['64:ff9b:1::8.8.8.8', 'local-use NAT64'],
  // 6to4, 2002::/16 with the IPv4 address in bits 16-47.
  ['2002:7f00:1::', 'loopback + 6to4'],
  ['2002:7F00:0001:0000:0000:0000:0000:0001', 'loopback + 6to4'],
  ['2002:a9fe:a9fe::1', 'cloud-metadata + 6to4'],
  ['2002:c0a8:101::c0a8:101', 'private + 6to4'],
  ['2002:ac10:1:1:0:0:1.2.3.4', 'private + 6to4'],
  ['2002:0a00:0001::', 'private + 6to4'],
  ['2002:808:808::1', null],
  // Teredo, 2001::/32: the server IPv4 in bits 32-63, the client IPv4 in the last 32 bits XOR 0xffffffff.
  ['2001:0:7f00:1::', 'loopback + Teredo'],
  ['2001:0000:a9fe:a9fe:0000:0000:0000:0000', 'cloud-metadata + Teredo'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback + Teredo as 127.0.0.1'],
  ['2001::4136:e378:8000:63bf:5601:5601', 'cloud-metadata + Teredo as 169.254.169.254'],
  ['2001:0:4136:E378:8000:63BF:F5FF:FFFE', 'private + Teredo as 10.0.0.1'],
  ['2001:0:4136:e378:8000:63bf:245.255.255.254', 'private + Teredo as 10.0.0.1'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', null],
  ['2606:4700:4700::1111', null],
  ['2a00:1450:4009:81f::200e', null],
  // Not an address at all: fails closed.
  ['localhost', 'non-IP'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s', (address, range) => {
    const verdict = classifyAddress(address);
    if (range === null) expect(verdict).toEqual({ forbidden: false });
    else for (const part of range.split(' + ')) expect(verdict).toMatchObject({ forbidden: true, range: containing(part) });
  });
});

describe('resolveAllowed', () => {
  const answers =
    (...addresses: string[]) =>
    () =>
      Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  it('refuses a name when any one of its addresses is forbidden', async () => {
    const error = await resolveAllowed('mixed.example', STRICT_OUTBOUND, answers('8.8.8.8', '10.0.0.5')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenAddressError);
    expect((error as ForbiddenAddressError).message).toContain('mixed.example resolves to 10.0.0.5');
  });

  it('answers every address of a public name, and judges IP literals without DNS', async () => {
    expect(await resolveAllowed('public.example', STRICT_OUTBOUND, answers('8.8.8.8', '2606:4700::1'))).toHaveLength(2);
    await expect(resolveAllowed('[::1]', STRICT_OUTBOUND, answers())).rejects.toBeInstanceOf(ForbiddenAddressError);
    expect(await resolveAllowed('127.0.0.1', { allowPrivate: true }, answers())).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('resolves localhost for real, and refuses it', async () => {
    await expect(resolveAllowed('localhost', STRICT_OUTBOUND)).rejects.toBeInstanceOf(ForbiddenAddressError);
  });
});

describe('outboundPolicyFromEnv', () => {
  it('allows private addresses only when ALLOW_PRIVATE_OUTBOUND says true', () => {
    expect(outboundPolicyFromEnv({})).toEqual({ allowPrivate: false });
    expect(outboundPolicyFromEnv({ ALLOW_PRIVATE_OUTBOUND: 'false' })).toEqual({ allowPrivate: false });
    expect(outboundPolicyFromEnv({ ALLOW_PRIVATE_OUTBOUND: 'yes please' })).toEqual({ allowPrivate: false });
    expect(outboundPolicyFromEnv({ ALLOW_PRIVATE_OUTBOUND: 'true' })).toEqual({ allowPrivate: true });
    expect(outboundPolicyFromEnv({ ALLOW_PRIVATE_OUTBOUND: '1' })).toEqual({ allowPrivate: true });
  });
});
