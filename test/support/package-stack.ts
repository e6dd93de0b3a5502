/**
 * The CloudFormation template and artifacts that `serverless package` renders for a stage, shared by the tests that
 * judge the deployable stack (test/integration/template.test.ts, test/integration/iam-roles.test.ts).
 *
 * Packaging takes tens of seconds, so its output is kept in the temp folder under a hash of everything it is made from
 * (the files copied into the sandbox, the environment variables serverless.yml reads, the stage): two test files of one
 * run, and later runs on unchanged sources, package once. The first to arrive takes a lock (an atomic mkdir) and
 * packages; the others wait for the folder. The result is renamed into place whole, so nobody reads half a package.
 *
 * Packaging runs in a throw-away copy of the repository: `serverless package` deletes the service's `.esbuild/` and
 * `.serverless/` folders, which would pull the bundles from under a serverless-offline started by another test.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const serverlessBin = join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js');
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
/** A lock older than this is left by a run that died: packaging itself gives up after 170 s. */
const STALE_LOCK_MS = 200_000;
/** Packages of other sources older than this are removed when a new one is made. */
const PRUNE_AFTER_MS = 6 * 3600_000;

/** Top-level entries not copied into the packaging sandbox (node_modules is linked instead). */
const NOT_COPIED = new Set([
  'node_modules',
  '.git',
  '.esbuild',
  '.serverless',
  '.serverless-offline',
  '.local',
  'coverage',
  'test',
  'bench',
]);
/** Local-stack overrides and credentials: never part of what a deploy renders. */
const NOT_PASSED = [
  'EGRESS_IP',
  'DYNAMODB_ENDPOINT',
  'LOG_LEVEL',
  'PBX_TIMEOUT_MS',
  'PBX_SIMULATOR_URL',
  'C2C_LOCAL_SEAL_KEY',
  'CURSOR_SECRET',
  'C2C_ESBUILD_WORK_FOLDER',
  'API_SCHEME',
];

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
}
export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}
export interface Packaged {
  /** The package folder: the template and one zip per function. */
  dir: string;
  template: Template;
  /** How long this call took (packaging, or waiting for another test's packaging, or nothing when cached). */
  ms: number;
  cached: boolean;
}

const copied = (src: string) => !NOT_COPIED.has(relative(repoRoot, src).split(sep)[0]!);

/** Environment without AWS credentials or local-stack overrides, so the template is what a deploy would render. */
function packagingEnv(sandbox: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_') || NOT_PASSED.includes(name)) continue;
    env[name] = value;
  }
  env.AWS_SDK_LOAD_CONFIG = '0';
  env.AWS_CONFIG_FILE = join(sandbox, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = join(sandbox, 'no-aws-credentials');
  return env;
}

/** Every input of a package: the copied files (path and bytes), the stage, and the variables serverless.yml reads. */
function inputsHash(stage: string): string {
  const hash = createHash('sha256').update(`stage ${stage}\n`);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (!copied(path)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(`${relative(repoRoot, path)}\n`).update(readFileSync(path));
    }
  };
  walk(repoRoot);
  const yml = readFileSync(join(repoRoot, 'serverless.yml'), 'utf8');
  for (const name of [...new Set([...yml.matchAll(/\$\{env:([A-Z0-9_]+)/g)].map((m) => m[1]!))].sort()) {
    if (!NOT_PASSED.includes(name)) hash.update(`env ${name}=${process.env[name] ?? ''}\n`);
  }
  return hash.digest('hex').slice(0, 20);
}

async function packageInto(stage: string, target: string): Promise<void> {
  const sandbox = mkdtempSync(join(tmpdir(), 'c2c-template-'));
  try {
    const service = join(sandbox, 'service');
    const out = join(sandbox, 'package');
    mkdirSync(service);
    cpSync(repoRoot, service, { recursive: true, filter: copied });
    symlinkSync(join(repoRoot, 'node_modules'), join(service, 'node_modules'), 'dir');
    await run(process.execPath, [serverlessBin, 'package', '--stage', stage, '--package', out], {
      cwd: service,
      env: packagingEnv(sandbox),
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`serverless package --stage ${stage} failed: ${error.message}\n${error.stdout}\n${error.stderr}`);
    });
    if (!existsSync(target)) renameSync(out, target);
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

function pruneOthers(stage: string, keep: string) {
  const prefix = `c2c-package-${stage}-`;
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith(prefix) || path === keep || name.endsWith('.lock')) continue;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && Date.now() - stat.mtimeMs > PRUNE_AFTER_MS) rmSync(path, { recursive: true, force: true });
  }
}

/** The stage's package: from the cache when its inputs are unchanged, else packaged now (once, whoever asks). */
export async function packagedStack(stage: string): Promise<Packaged> {
  const started = Date.now();
  const dir = join(tmpdir(), `c2c-package-${stage}-${inputsHash(stage)}`);
  const lock = `${dir}.lock`;
  let packagedHere = false;
  while (!existsSync(join(dir, TEMPLATE_FILE))) {
    if (Date.now() - started > 2 * STALE_LOCK_MS) throw new Error(`waited too long for the package of ${stage} (${lock})`);
    if (!takeLock(lock)) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (!existsSync(join(dir, TEMPLATE_FILE))) {
        rmSync(dir, { recursive: true, force: true });
        await packageInto(stage, dir);
        packagedHere = true;
        pruneOthers(stage, dir);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const template = JSON.parse(readFileSync(join(dir, TEMPLATE_FILE), 'utf8')) as Template;
  return { dir, template, ms: Date.now() - started, cached: !packagedHere };
}
