import { run } from './program';
import { DEFAULT_STACK_FILE } from './target';

/** The CLI on this process: its streams, its environment, its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // The SDK's notice about its future Node.js requirement is for developers, not on every operator command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stackFile: DEFAULT_STACK_FILE,
  });
  process.exitCode = code;
  return code;
}
