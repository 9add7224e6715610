// An HTTP header map with Envoy's rules: lower-case keys, ordered entries, duplicates allowed.

import type { HeaderPairs } from './memory.js';

export class HeaderMap {
  private entries: HeaderPairs;

  constructor(pairs: HeaderPairs | Record<string, string> = []) {
    const list = Array.isArray(pairs) ? pairs : Object.entries(pairs);
    this.entries = list.map(([k, v]) => [k.toLowerCase(), v]);
  }

  pairs(): HeaderPairs {
    return this.entries.map(([k, v]) => [k, v]);
  }

  /** Envoy answers with the first value of a repeated header. */
  get(key: string): string | undefined {
    const lower = key.toLowerCase();
    return this.entries.find(([k]) => k === lower)?.[1];
  }

  add(key: string, value: string): void {
    this.entries.push([key.toLowerCase(), value]);
  }

  /** Replaces the first occurrence in place and drops the rest, so header order stays stable. */
  replace(key: string, value: string): void {
    const lower = key.toLowerCase();
    const index = this.entries.findIndex(([k]) => k === lower);
    if (index < 0) {
      this.add(lower, value);
      return;
    }
    this.entries = this.entries.filter(([k], i) => k !== lower || i === index);
    this.entries[this.entries.findIndex(([k]) => k === lower)] = [lower, value];
  }

  remove(key: string): void {
    const lower = key.toLowerCase();
    this.entries = this.entries.filter(([k]) => k !== lower);
  }

  /** set_header_map_pairs drops every existing header, then adds the new ones. */
  setAll(pairs: HeaderPairs): void {
    this.entries = pairs.map(([k, v]) => [k.toLowerCase(), v]);
  }

  get size(): number {
    return this.entries.length;
  }

  /** What proxy_get_header_map_size reports in Envoy: the map's byte size, not its entry count. */
  byteSize(): number {
    return this.entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  }

  /** Duplicates joined with ",", the way a CEL lookup of request.headers sees them. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries) out[k] = k in out ? `${out[k]},${v}` : v;
    return out;
  }
}
