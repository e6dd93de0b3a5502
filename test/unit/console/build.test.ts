import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONSOLE_SCRIPT } from '../../../lib/console/generated/script';
import { renderConsolePage } from '../../../lib/console/page';
import { buildConsoleScript, GENERATED_MODULE, generatedModule } from '../../../scripts/build-console';

describe('the console script build (npm run build:console)', () => {
  it('has written the script of the current browser source: lib/console/generated/ is not stale', async () => {
    const built = await buildConsoleScript();
    // A boolean, not the two 24 KB texts: the diff of one long line says nothing.
    const fresh = readFileSync(GENERATED_MODULE, 'utf8') === generatedModule(built) && CONSOLE_SCRIPT === built;
    expect(fresh, 'lib/console/generated/script.ts is stale: run `npm run build:console` and commit it').toBe(true);
  });

  it('inlines the bundled browser code, one classic script in its own scope', () => {
    expect(CONSOLE_SCRIPT).toMatch(/^"use strict";\n\(\(\) => \{\n/);
    expect(CONSOLE_SCRIPT).toContain('// lib/console/browser/main.ts');
    // Types are gone, ASCII only (non-ASCII as escapes), nothing that would end the <script> element.
    expect(CONSOLE_SCRIPT).not.toMatch(/\binterface\s+\w+\s*\{/);
    expect(CONSOLE_SCRIPT).toMatch(/^[\x09\x0a\x0d\x20-\x7e]*$/);
    expect(CONSOLE_SCRIPT).not.toMatch(/<\/script|<!--/i);
    expect(renderConsolePage().html).toContain(`<script>${CONSOLE_SCRIPT}</script>`);
  });
});
