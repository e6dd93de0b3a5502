'use strict';
/**
 * The functions' WORK_SHARDS: how many shards their writes spread a tenant's work lists over (lib/store/keys.ts),
 * chosen by the serverless parameter `workShards` (default 8, what a fresh install gets). A stage deployed with 4
 * deploys once with `--param="workShards=4"`, then without it (docs/operations.md, "Work shards: from 4 to 8").
 * Checked here as lib/config.ts checks it, so a mistyped parameter stops the deploy before any function runs.
 *
 * Plain CommonJS: serverless.yml loads it with `${file(./resources/work-shards.js):workShards}`, which calls
 * `workShards` with serverless' variable resolver.
 */

const WORK_SHARD_COUNTS = ['4', '8'];
const DEFAULT_WORK_SHARDS = '8';

/** The count a parameter's value names, as text (an environment variable's value), or an error naming the parameter. */
function workShardsOf(value) {
  const text = value === undefined || value === null || value === '' ? DEFAULT_WORK_SHARDS : String(value);
  if (!WORK_SHARD_COUNTS.includes(text)) throw new Error(`workShards=${text}: expected one of ${WORK_SHARD_COUNTS.join(', ')}`);
  return text;
}

module.exports = {
  WORK_SHARD_COUNTS,
  DEFAULT_WORK_SHARDS,
  workShardsOf,
  /** For serverless.yml: the count named by `--param="workShards=<n>"`. */
  workShards: async ({ resolveVariable }) => workShardsOf(await resolveVariable(`param:workShards, '${DEFAULT_WORK_SHARDS}'`)),
};
