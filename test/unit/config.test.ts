/**
 * The environment as lib/config.ts reads it. The integer variables are checked from a table rather than by a zod chain
 * each (fewer schemas built at cold start): these cases hold the values and the messages to what the chains gave.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';

/** resources/work-shards.js: what serverless.yml passes as WORK_SHARDS from its `workShards` parameter. */
const workShardsParam = createRequire(import.meta.url)('../../resources/work-shards.js') as {
  workShardsOf(value: unknown): string;
  workShards(resolver: { resolveVariable(name: string): Promise<unknown> }): Promise<string>;
};

const fails = (env: NodeJS.ProcessEnv) => () => loadConfig(env);

describe('loadConfig', () => {
  it('gives every integer its default when unset, and reads a set one as Number() does', () => {
    const config = loadConfig({ TABLE_NAME: 't' });
    expect(config).toMatchObject({
      PBX_TIMEOUT_MS: 8_000,
      AUTH_CACHE_TTL_MS: 30_000,
      RECONCILE_MAX_TRIES: 5,
      RECONCILE_MIN_AGE_SEC: 60,
      NOTIFY_TIMEOUT_MS: 5_000,
      NOTIFY_BASE_DELAY_MS: 5_000,
      NOTIFY_MAX_DELAY_MS: 300_000,
      NOTIFY_MAX_AGE_SEC: 86_400,
      NOTIFY_MAX_ATTEMPTS: 0,
      SEAL_DATA_KEY_TTL_SEC: 900,
      STAGE: 'dev',
      ALLOW_PRIVATE_OUTBOUND: false,
      API_SCHEME: 'https',
      CALL_INDEXES: 'narrow',
    });
    expect(loadConfig({ TABLE_NAME: 't', PBX_TIMEOUT_MS: '1.5e3', NOTIFY_MAX_AGE_SEC: ' 2592000 ', AUTH_CACHE_TTL_MS: '0' })).toMatchObject(
      {
        PBX_TIMEOUT_MS: 1_500,
        NOTIFY_MAX_AGE_SEC: 2_592_000,
        AUTH_CACHE_TTL_MS: 0,
      },
    );
  });

  it('refuses an integer out of its bounds, not an integer, or not a number, naming the variable', () => {
    expect(fails({ TABLE_NAME: 't', PBX_TIMEOUT_MS: '50' })).toThrow(
      'Invalid configuration: PBX_TIMEOUT_MS: Too small: expected number to be >=100',
    );
    expect(fails({ TABLE_NAME: 't', PBX_TIMEOUT_MS: '' })).toThrow('PBX_TIMEOUT_MS: Too small: expected number to be >=100');
    expect(fails({ TABLE_NAME: 't', SEAL_DATA_KEY_TTL_SEC: '86401' })).toThrow(
      'SEAL_DATA_KEY_TTL_SEC: Too big: expected number to be <=86400',
    );
    expect(fails({ TABLE_NAME: 't', PBX_TIMEOUT_MS: 'abc' })).toThrow('PBX_TIMEOUT_MS: Invalid input: expected number, received NaN');
    expect(fails({ TABLE_NAME: 't', AUTH_CACHE_TTL_MS: 'Infinity' })).toThrow(
      'AUTH_CACHE_TTL_MS: Invalid input: expected number, received Infinity',
    );
    expect(fails({ TABLE_NAME: 't', NOTIFY_MAX_ATTEMPTS: '-0.5' })).toThrow(
      /^Invalid configuration: NOTIFY_MAX_ATTEMPTS: Invalid input: expected int, received number$/,
    );
    expect(fails({ TABLE_NAME: 't', PBX_TIMEOUT_MS: '1e17' })).toThrow(
      /^Invalid configuration: PBX_TIMEOUT_MS: Too big: expected int to be <=9007199254740991; PBX_TIMEOUT_MS: Too big: expected number to be <=29000$/,
    );
  });

  it('lists every problem in the order of the variables, integers among the others', () => {
    expect(
      fails({
        STAGE: '',
        PBX_TIMEOUT_MS: 'x',
        API_SCHEME: 'ftp',
        SEAL_DATA_KEY_TTL_SEC: '0',
        CURSOR_SECRET: 'a',
        CALL_INDEXES: 'bad',
        NOTIFY_BASE_DELAY_MS: '9',
      }),
    ).toThrow(
      new Error(
        'Invalid configuration: STAGE: Too small: expected string to have >=1 characters; TABLE_NAME: Invalid input: expected string, ' +
          'received undefined; API_SCHEME: Invalid option: expected one of "https"|"http"; PBX_TIMEOUT_MS: Invalid input: expected ' +
          'number, received NaN; NOTIFY_BASE_DELAY_MS: Too small: expected number to be >=10; CURSOR_SECRET: Too small: expected string ' +
          'to have >=32 characters; SEAL_DATA_KEY_TTL_SEC: Too small: expected number to be >=1; CALL_INDEXES: Invalid option: expected ' +
          'one of "narrow"|"migrating"|"switched"',
      ),
    );
  });

  it('places work on 8 shards by default, on 4 or 8 as told, and refuses any other count naming WORK_SHARDS', () => {
    expect(loadConfig({ TABLE_NAME: 't' }).WORK_SHARDS).toBe(8);
    expect(loadConfig({ TABLE_NAME: 't', WORK_SHARDS: '' }).WORK_SHARDS).toBe(8);
    expect(loadConfig({ TABLE_NAME: 't', WORK_SHARDS: '4' }).WORK_SHARDS).toBe(4);
    expect(loadConfig({ TABLE_NAME: 't', WORK_SHARDS: '8' }).WORK_SHARDS).toBe(8);
    for (const bad of ['2', '16', '0', 'eight', '4.0', ' 8'])
      expect(fails({ TABLE_NAME: 't', WORK_SHARDS: bad })).toThrow(
        new Error('Invalid configuration: WORK_SHARDS: Invalid option: expected one of "4"|"8"'),
      );
  });

  it('reads an empty optional variable as unset', () => {
    const config = loadConfig({
      TABLE_NAME: 't',
      DYNAMODB_ENDPOINT: '',
      EGRESS_IP: '',
      SEAL_KMS_KEY_ID: '',
      CURSOR_SECRET: '',
      CALL_INDEXES: '',
    });
    expect(config.DYNAMODB_ENDPOINT).toBeUndefined();
    expect(config.EGRESS_IP).toBeUndefined();
    expect(config.SEAL_KMS_KEY_ID).toBeUndefined();
    expect(config.CURSOR_SECRET).toBeUndefined();
    expect(config.CALL_INDEXES).toBe('narrow');
    expect(loadConfig({ TABLE_NAME: 't', ALLOW_PRIVATE_OUTBOUND: '1' }).ALLOW_PRIVATE_OUTBOUND).toBe(true);
  });
});

describe('the workShards parameter of serverless.yml', () => {
  it('passes 8 when not given, and passes the counts the functions accept, refusing the rest at render', async () => {
    const asked: string[] = [];
    const given = (value: unknown) => ({ resolveVariable: (name: string) => (asked.push(name), Promise.resolve(value)) });
    await expect(workShardsParam.workShards(given('8'))).resolves.toBe('8');
    expect(asked).toEqual(["param:workShards, '8'"]);
    await expect(workShardsParam.workShards(given(4))).resolves.toBe('4');
    await expect(workShardsParam.workShards(given('16'))).rejects.toThrow('workShards=16: expected one of 4, 8');
    for (const value of ['4', '8', '2', '16', 'eight', '']) {
      const accepted = (() => {
        try {
          return loadConfig({ TABLE_NAME: 't', WORK_SHARDS: workShardsParam.workShardsOf(value) }).WORK_SHARDS;
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(accepted, value).toBe(value === '4' ? 4 : value === '8' || value === '' ? 8 : `workShards=${value}: expected one of 4, 8`);
    }
  });
});
