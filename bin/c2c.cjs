#!/usr/bin/env node
'use strict';
// The package's `bin`: runs the CLI as built JavaScript (dist/cli.cjs, from bin/c2c.ts by `npm run build:cli`, which
// `npm ci` runs through `prepare`), with no TypeScript loader.
const path = require('node:path');
const { existsSync } = require('node:fs');

const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('c2c: the CLI is not built: run npm run build:cli (npm ci does it)\n');
  process.exit(1);
}
// Stack traces (C2C_DEBUG=1) point into the TypeScript sources.
process.setSourceMapsEnabled(true);
require(bundle);
