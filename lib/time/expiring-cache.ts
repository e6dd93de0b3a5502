/**
 * Values a container keeps for `ttlMs` after loading them: the API keys' tenants (lib/http/auth.ts), the PBX events'
 * tenants (lib/tenants/tenant-cache.ts). A load in flight is shared by the reads that come meanwhile; a load that fails,
 * or whose value `keep` refuses (a key or tenant not found, so that one just created is seen at once), is not kept.
 * Past `EVICT_ABOVE` entries a new load drops the expired ones: a container serves a bounded set of keys.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly keep: (value: V) => boolean = () => true,
  ) {}

  /** The value kept for `key`, else `load()`'s (kept from now on); `fresh` loads past a value kept and replaces it. */
  get(key: string, load: () => Promise<V>, options: { fresh?: boolean } = {}): Promise<V> {
    const at = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > at && !options.fresh) return hit.value;
    const value = load();
    if (this.ttlMs <= 0) return value;
    const entry = { expiresAt: at + this.ttlMs, value };
    this.entries.set(key, entry);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    value.then((v) => this.keep(v) || forget(), forget);
    if (this.entries.size > EVICT_ABOVE) for (const [k, e] of this.entries) if (e.expiresAt <= at) this.entries.delete(k);
    return value;
  }
}

const EVICT_ABOVE = 1000;
