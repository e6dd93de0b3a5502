/**
 * The CRM source registry (lib/crm/sources): every adapter is held to what it declares, so a new source is checked by
 * these tests without a line of its own here (docs/design.md, "Adding a CRM source").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapPayload } from '../../../lib/crm/mapping';
import { isWebhookSource, SOURCE_ADAPTERS, WEBHOOK_SOURCES } from '../../../lib/crm/sources';
import type { WebhookDelivery } from '../../../lib/crm/types';
import { buildSample, SAMPLE_TIME_MS, SOURCE_SAMPLES } from '../../../local/hook-samples';

const ROOT = path.resolve(__dirname, '../../..');

/** Heading slugs and explicit ids of a Markdown file, as GitHub renders them (test/unit/docs-links.test.ts). */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const anchors = new Set<string>();
  for (const line of text.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading)
      anchors.add(
        heading[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      );
    for (const m of line.matchAll(/\bid="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** The valid sample of a source as the verifier sees it. */
function sampleDelivery(source: (typeof WEBHOOK_SOURCES)[number]): WebhookDelivery {
  const event = buildSample(source, 'valid');
  return {
    method: 'POST',
    url: `https://${event.headers.host}${event.rawPath}`,
    headers: event.headers as Record<string, string>,
    rawBody: event.body ?? '',
  };
}

describe('the CRM source registry', () => {
  it('lists the sources by the names their adapters give, in the registry order help texts show them', () => {
    expect(Object.keys(SOURCE_ADAPTERS)).toEqual(WEBHOOK_SOURCES);
    expect(WEBHOOK_SOURCES.slice(0, 4)).toEqual(['standard', 'hubspot', 'pipedrive', 'token']);
    for (const source of WEBHOOK_SOURCES) expect(SOURCE_ADAPTERS[source].name).toBe(source);
  });

  it('names only its own sources: no inherited property of an object is a source', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'zapier', '']) expect(isWebhookSource(name)).toBe(false);
    for (const source of WEBHOOK_SOURCES) expect(isWebhookSource(source)).toBe(true);
  });
});

describe.each(WEBHOOK_SOURCES)('the %s adapter', (source) => {
  const adapter = SOURCE_ADAPTERS[source];
  const samples = SOURCE_SAMPLES[source];

  it('points at a section of docs/webhooks.md that exists', () => {
    const [file, anchor] = adapter.docs.split('#');
    expect(anchorsOf(file!)).toContain(anchor);
  });

  it('stores what its secretStorage says: a hash for `hash`, a usable key (sealed by the store) for `seal`', () => {
    const stored = adapter.secrets.toStored(samples.secret);
    if (adapter.secretStorage === 'hash') expect(stored.value).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    else expect(stored.value).not.toMatch(/^sha256:/);
    expect(stored.hint).not.toContain(samples.secret);
  });

  it('verifies its sample with the sample secret and refuses the forger, naming the delivery as its identity says', () => {
    const delivery = sampleDelivery(source);
    const secrets = [{ secretId: 'whs_1', value: adapter.secrets.toStored(samples.secret).value }];
    const verification = adapter.verify(delivery, secrets, SAMPLE_TIME_MS);
    expect(verification.ok).toBe(true);
    if (!verification.ok) return;
    const { identity } = adapter;
    if (identity.kind === 'signed') {
      expect(verification.deliveryId).toBe(delivery.headers[identity.header]);
      expect(adapter.defaultMapping.deliveryId).toBeNull();
    } else if (identity.kind === 'signature') {
      expect(verification.replay?.id).toMatch(/\S/);
      expect(verification.deliveryId).toBeUndefined();
    } else {
      expect(verification).not.toHaveProperty('deliveryId');
      expect(verification).not.toHaveProperty('replay');
      expect(adapter.defaultMapping.deliveryId?.length).toBeGreaterThan(0);
    }
    const forged = {
      ...delivery,
      headers: { ...delivery.headers, ...samples.sign({ ...delivery, body: delivery.rawBody }, samples.forgedSecret, SAMPLE_TIME_MS) },
    };
    expect(adapter.verify(forged, secrets, SAMPLE_TIME_MS).ok).toBe(false);
  });

  it('reads its sample body into a call request, and a mapped identity finds its delivery id there', () => {
    const delivery = sampleDelivery(source);
    const payload = adapter.parseBody(delivery.headers, delivery.rawBody);
    adapter.checkPayload?.(payload, adapter.defaultMapping);
    const mapped = mapPayload(payload, delivery.headers, adapter.defaultMapping);
    expect(mapped.request.to).toMatch(/7766\s?88990\d$/);
    if (adapter.identity.kind === 'mapped') expect(mapped.deliveryId).toMatch(/\S/);
    else expect(mapped.deliveryId).toBeUndefined();
  });
});
