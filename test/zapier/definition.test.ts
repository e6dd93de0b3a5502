import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { app, APP_VERSION, validateDefinition, ZAPIER_DIR } from './support';

/**
 * The Zapier app's definition passes the platform's own validation offline (what `zapier validate` runs before any
 * remote style check: zapier-platform-core's compile and zapier-platform-schema's check), and every trigger, action,
 * search and field carries the help and samples the Zap editor shows.
 */

type Field = { key: string; label?: string; helpText?: string };
type Operation = { inputFields?: Field[]; outputFields?: Field[]; sample?: Record<string, unknown> };
type Step = { key: string; noun: string; display: { label?: string; description?: string }; operation: Operation };

const steps = (): Array<[string, Step]> => [
  ...Object.values(app.triggers).map((t) => [`triggers.${t.key}`, t as unknown as Step] as [string, Step]),
  ...Object.values(app.creates).map((c) => [`creates.${c.key}`, c as unknown as Step] as [string, Step]),
  ...Object.values(app.searches).map((s) => [`searches.${s.key}`, s as unknown as Step] as [string, Step]),
];

describe('the Zapier app definition', () => {
  it("passes zapier-platform-core's schema validation", () => {
    expect(validateDefinition(app)).toEqual([]);
  });

  it('is refused by the same validation when a trigger lacks its noun (the check can fail)', () => {
    const broken = { ...app, triggers: { ...app.triggers, call_ended: { ...app.triggers.call_ended, noun: undefined } } };
    expect(validateDefinition(broken).length).toBeGreaterThan(0);
  });

  it('has the three REST Hook triggers, the two actions and the search', () => {
    expect(Object.keys(app.triggers).sort()).toEqual(['call_answered', 'call_ended', 'call_state_changed']);
    expect(Object.keys(app.creates).sort()).toEqual(['cancel_call', 'place_call']);
    expect(Object.keys(app.searches)).toEqual(['find_calls_by_lead']);
    for (const [where, step] of steps()) expect(where.split('.')[1]).toBe(step.key);
    for (const trigger of Object.values(app.triggers)) {
      expect(trigger.operation.type).toBe('hook');
      expect(typeof trigger.operation.performSubscribe).toBe('function');
      expect(typeof trigger.operation.performUnsubscribe).toBe('function');
      expect(typeof trigger.operation.performList).toBe('function');
    }
  });

  it('gives every step a label, a description and a sample, every input field a label and help text, every output field a label', () => {
    const missing: string[] = [];
    for (const [where, step] of steps()) {
      if (!step.display.label) missing.push(`${where}: label`);
      if (!step.display.description) missing.push(`${where}: description`);
      if (!step.operation.sample || Object.keys(step.operation.sample).length === 0) missing.push(`${where}: sample`);
      for (const field of step.operation.inputFields ?? []) {
        if (!field.label) missing.push(`${where}.${field.key}: label`);
        if (!field.helpText) missing.push(`${where}.${field.key}: helpText`);
      }
      // The schema takes no help text on output fields: the label is all the editor shows.
      for (const field of step.operation.outputFields ?? []) if (!field.label) missing.push(`${where}.${field.key}: label`);
    }
    for (const field of app.authentication.fields) if (!field.helpText) missing.push(`authentication.${field.key}: helpText`);
    expect(missing).toEqual([]);
  });

  it('has samples with an id, whose output fields are all in the sample', () => {
    for (const [where, step] of steps()) {
      expect(step.operation.sample?.id, where).toEqual(expect.any(String));
      for (const field of step.operation.outputFields ?? []) {
        const value = field.key
          .split('__')
          .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], step.operation.sample);
        expect(value, `${where}.${field.key}`).not.toBeUndefined();
      }
    }
  });

  it('builds into the entry Zapier loads (index.js over dist/), which validates with the version of its package.json', async () => {
    const tsc = path.resolve(ZAPIER_DIR, '../../node_modules/typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', path.join(ZAPIER_DIR, 'tsconfig.build.json')]);
    const built = createRequire(path.join(ZAPIER_DIR, 'package.json'))('./index.js') as { version: string; triggers: object };
    expect(built.version).toBe(APP_VERSION);
    expect(Object.keys(built.triggers)).toEqual(Object.keys(app.triggers));
    expect(validateDefinition(built)).toEqual([]);
  }, 60_000);
});
