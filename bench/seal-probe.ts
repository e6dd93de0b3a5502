/**
 * Bundled by bench/seal.ts as a function bundle is (esbuild, minified, CJS) and loaded in fresh Node processes:
 * what sealing costs a cold container. Not part of any function.
 */
import { EnvelopeSealer, KmsKeyProvider } from '../lib/secrets/seal';

/** Opens `sealed` twice through KMS at `endpoint` (the first open unwraps the data key, the second reuses it). */
export async function openTwice(sealed: string, endpoint: string): Promise<{ firstMs: number; secondMs: number }> {
  const sealer = new EnvelopeSealer(new KmsKeyProvider({ keyId: 'alias/c2c-bench', region: 'eu-west-1', endpoint }));
  const context = { tenantId: 'bench', purpose: 'tenant-secrets' as const, item: 'pbx.basicAuth.password' };
  const t0 = performance.now();
  await sealer.open(sealed, context);
  const t1 = performance.now();
  await sealer.open(sealed, context);
  return { firstMs: t1 - t0, secondMs: performance.now() - t1 };
}
