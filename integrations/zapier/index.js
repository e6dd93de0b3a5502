/* eslint-disable @typescript-eslint/no-require-imports -- Zapier loads index.js with require(), as CommonJS */
// The entry Zapier loads (`zapier push` uploads this folder): the app is TypeScript, built into dist/ by `npm run
// build`, which `zapier push` runs as `_zapier-build`.
const { buildApp } = require('./dist/app.js');

module.exports = buildApp(require('./package.json').version);
