/**
 * The layering of docs/design.md ("Layers and wiring"), checked by `npm run deps` (part of `npm test`):
 *
 *   functions/  ->  lib/compose/  ->  use cases (lib/agents, lib/calls, lib/crm, lib/notify, lib/diagnostics, lib/stats, lib/privacy, lib/tenants, lib/subscriptions)
 *               ->  lib/store, lib/pbx, lib/policy  ->  lib/model, lib/time, lib/net, lib/secrets
 *
 * A function only wires a handler to its use case; only the composition modules build things.
 */
const USE_CASES = '^lib/(agents|calls|crm|notify|diagnostics|stats|privacy|tenants|subscriptions)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes every module in it load, and change, with all the others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-not-to-entry-points',
      severity: 'error',
      comment: 'lib/ is what the entry points use; it never reaches back into them.',
      from: { path: '^lib/' },
      to: { path: '^(functions|local|bench|test|scripts)/' },
    },
    {
      name: 'functions-only-wire',
      severity: 'error',
      comment:
        'A function wires a handler to its use case: it takes the use case from lib/compose/, speaks HTTP through lib/http/ ' +
        'and reads models and metrics; types may come from anywhere. What it would build or call besides belongs in lib/compose/.',
      from: { path: '^functions/' },
      to: {
        path: '^lib/',
        pathNot: '^lib/(compose|http|model|observability)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'use-cases-are-composed-elsewhere',
      severity: 'error',
      comment: 'Use cases take what they need as dependencies; only lib/compose/ builds them.',
      from: { path: `${USE_CASES}|^lib/(store|pbx|policy|http|model)/` },
      to: { path: '^lib/compose/' },
    },
    {
      name: 'store-imports-no-use-case',
      severity: 'error',
      comment: 'lib/store holds repositories only: it knows models, never the use cases, the HTTP layer or the CLI.',
      from: { path: '^lib/store/' },
      to: { path: '^lib/(agents|calls|crm|notify|diagnostics|doctor|cli|http|compose|subscriptions)/' },
    },
    {
      name: 'adapters-import-no-use-case',
      severity: 'error',
      comment: 'The PBX client and the call policy sit under the use cases, beside the store.',
      from: { path: '^lib/(pbx|policy)/' },
      to: { path: `${USE_CASES}|^lib/(doctor|cli)/` },
    },
    {
      name: 'use-cases-speak-no-http',
      severity: 'error',
      comment:
        'Use cases, repositories and adapters speak in domain outcomes and DomainError (lib/model/domain-error.ts); ' +
        'only lib/http turns them into status codes and problem+json, so lib/http stands above them.',
      from: { path: `${USE_CASES}|^lib/(store|pbx|policy|model|net|secrets|json|time|observability)/` },
      to: { path: '^lib/http/' },
    },
    {
      name: 'openapi-document-built-at-build-time',
      severity: 'error',
      comment:
        'The service serves the OpenAPI document as scripts/build-openapi.ts wrote it (lib/openapi/generated/): converting ' +
        "every schema at module load was most of the openapi function's cold start. Only the build script and tests build it.",
      from: { path: '^(functions|lib)/', pathNot: '^lib/openapi/' },
      to: { path: '^lib/openapi/', pathNot: '^lib/openapi/generated/' },
    },
    {
      name: 'zapier-app-stands-alone',
      severity: 'error',
      comment:
        'integrations/zapier is pushed to Zapier as its own folder (`zapier push`): it imports nothing of the service, only ' +
        'its own modules, node built-ins and its declared dependency zapier-platform-core.',
      from: { path: '^integrations/zapier/' },
      to: { pathNot: '^integrations/zapier/|^node_modules/zapier-platform-core/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'service-imports-no-integration',
      severity: 'error',
      comment: 'The service never loads an integration: their code and dependencies stay out of every Lambda bundle.',
      from: { path: '^(lib|functions|local|bench|scripts)/' },
      to: { path: '^integrations/|zapier-platform' },
    },
    {
      name: 'models-at-the-bottom',
      severity: 'error',
      comment: 'Domain models and API schemas are imported by every layer, so they import none of them.',
      from: { path: '^lib/model/' },
      to: { path: '^lib/', pathNot: '^lib/(model|time)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
