#!/usr/bin/env node
'use strict';
// The package's `bin`: registers tsx's CommonJS loader, then runs the TypeScript entry point.
require('tsx/cjs/api').register();
require('./c2c.ts');
