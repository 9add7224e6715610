// The per-caller list views the control service has computed, kept for reuse: a bounded LRU keyed by the list and
// the caller's whole authorization context (identityKey), cleared when the catalog changes, counting hits and
// misses for /metrics and the bench. Pure (no I/O).
import type { Identity } from './authorize.js';
import { identityKey } from './identity.js';

export interface ViewCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

export class ViewCache<V> {
  /** Map order is the LRU order: a hit is moved to the end, the first entry is the least recently used. */
  private readonly entries = new Map<string, V>();
  private hits = 0;
  private misses = 0;
  private readonly capacity: number;

  /** capacity: views kept at once (every list, caller and server endpoint together); at least 1. */
  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  /**
   * The key of one caller's view of one list (`tools`, or `tools` on a server's own endpoint): JSON of both, so no
   * list name or service can run into the identity part.
   */
  private static key(list: string, service: string | undefined, id: Identity): string {
    return JSON.stringify([list, service ?? null, identityKey(id)]);
  }

  /** The caller's view of the list, computed by make() on a miss; never another authorization context's. */
  get(list: string, service: string | undefined, id: Identity, make: () => V): V {
    const key = ViewCache.key(list, service, id);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const view = make();
    this.entries.set(key, view);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return view;
  }

  /** Drops every view (a new catalog). */
  clear(): void {
    this.entries.clear();
  }

  stats(): ViewCacheStats {
    return { entries: this.entries.size, hits: this.hits, misses: this.misses };
  }
}
