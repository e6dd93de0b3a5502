/**
 * The checks of `c2c doctor`, as pure functions from what was read or measured to a verdict in plain
 * words and what to do about it. The I/O is in ./run.ts. docs/troubleshooting.md has one entry per id.
 */
export * from './check-result';
export * from './checks-crm';
export * from './checks-outcomes';
export * from './checks-pbx';
export * from './checks-subscriptions';
export * from './checks-tenant';
