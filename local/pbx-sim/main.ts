/**
 * `npm run pbx-sim -- [--port 4010] [--host 127.0.0.1] [--extensions 1000,1001] [--allow 127.0.0.1,::1]
 *                     [--basic-auth user:password] [--cdr-api-key KEY]`
 */
import { parseArgs } from 'node:util';
import { DEFAULT_ALLOW, DEFAULT_EXTENSIONS, startPbxSimulator, type PbxSimulatorOptions } from './simulator';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0..65535, got ${value}`);
  return port;
}

function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseBasicAuth(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon < 1) throw new Error('--basic-auth must be user:password');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

function readOptions(): PbxSimulatorOptions {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PBX_SIM_PORT ?? '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      extensions: { type: 'string', default: DEFAULT_EXTENSIONS.join(',') },
      allow: { type: 'string', default: DEFAULT_ALLOW.join(',') },
      'basic-auth': { type: 'string', default: process.env.PBX_SIM_BASIC_AUTH },
      'cdr-api-key': { type: 'string', default: process.env.PBX_SIM_CDR_API_KEY },
    },
    strict: true,
  });
  const basicAuth = values['basic-auth'];
  const cdrApiKey = values['cdr-api-key'];
  return {
    port: parsePort(values.port),
    host: values.host,
    extensions: parseList(values.extensions),
    allow: parseList(values.allow),
    ...(basicAuth !== undefined && basicAuth !== '' && { basicAuth: parseBasicAuth(basicAuth) }),
    ...(cdrApiKey !== undefined && cdrApiKey !== '' && { cdrApiKey }),
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  const simulator = await startPbxSimulator(options);
  console.log(`PBX simulator listening on ${simulator.url}`);
  console.log(`  extensions: ${simulator.extensions().join(', ')}`);
  console.log(`  allow:      ${simulator.allow().join(', ')}`);
  if (options.basicAuth) console.log('  dial requests require HTTP Basic credentials');
  if (options.cdrApiKey !== undefined) console.log('  the CDR search requires X-Api-Key');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal means the user does not want to wait.
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: stopping the PBX simulator`);
    simulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
