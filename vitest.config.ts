import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and e2e tests start real servers (dynalite, the PBX simulator, serverless-offline).
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time on a 2-core machine (vitest's default is one fewer than the cores): most of a file's time
    // is waiting on servers, timers and sockets, not on the CPU.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/support/capture-logs.ts', 'test/support/record-secrets.ts'],
    // The PBX simulator and the receivers of the tests listen on loopback, which only the local stage may reach
    // (lib/net/outbound.ts); the tests of that rule pass a strict policy of their own.
    env: { ALLOW_PRIVATE_OUTBOUND: 'true' },
  },
});
