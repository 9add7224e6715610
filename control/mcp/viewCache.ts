// The per-caller list views the control service has computed, kept for reuse: a bounded LRU keyed by the list and
// the caller's whole authorization context (identityKey), cleared when the catalog changes, counting hits and
// misses for /metrics and the bench; and the pages cut from them as JSON text, bounded by bytes. Pure (no I/O).
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

/** Texts made once and kept while they fit in a byte budget, least recently used first out; cleared with the views. */
export class TextCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly capacity: number) {}

  /** The text under this key, made by make() when it is not held (and kept if it fits). */
  get(key: string, make: () => Buffer): Buffer {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const text = make();
    if (text.length > this.capacity) return text;
    this.entries.set(key, text);
    this.bytes += text.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.capacity) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
    return text;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
