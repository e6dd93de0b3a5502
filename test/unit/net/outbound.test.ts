import { describe, expect, it } from 'vitest';
import { classifyAddress, ForbiddenAddressError, outboundPolicyFromEnv, resolveAllowed, STRICT_OUTBOUND } from '../../../lib/net/outbound';
import { containing } from '../../support/match';

/** [address, the range it must be named in, or null when it is public and allowed]. */
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
  ['2606:4700:4700::1111', null],
  ['2a00:1450:4009:81f::200e', null],
  // Not an address at all: fails closed.
  ['localhost', 'non-IP'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s', (address, range) => {
    const verdict = classifyAddress(address);
    if (range === null) expect(verdict).toEqual({ forbidden: false });
    else expect(verdict).toMatchObject({ forbidden: true, range: containing(range) });
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
