import { processEnv } from '../config';
import { run } from './program';
import { DEFAULT_STACK_FILE } from './target';

/** The CLI on this process: its streams, its environment, its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // The SDK's notice about its future Node.js requirement is for developers, not on every operator command.
  const env = processEnv();
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env,
    // C2C_STACK_FILE names another stack's facts file (npm start writes there too): a second stack, e.g. a test's, clobbers nothing.
    stackFile: env.C2C_STACK_FILE?.trim() || DEFAULT_STACK_FILE,
  });
  process.exitCode = code;
  return code;
}
