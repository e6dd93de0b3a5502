// Every shared piece in one place, for the tests and benches that build several use cases from one root. Functions'
// compositions import the narrowest of ./readers.ts, ./call-store.ts and ./secrets.ts instead: a module's zod schemas
// are built when it is imported, whatever the bundle then uses of it (BENCHMARKS.md, "Cold start, per function").
export { callLedger, calls } from './call-store';
export { agents, apiKeys, cursors, outbound, readerAuthenticator, table, tenantProfiles } from './readers';
export { authenticator, sealer, tenants } from './secrets';
