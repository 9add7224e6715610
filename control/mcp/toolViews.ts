// What each caller sees of the catalog: the flat tools/list over every service, filtered per identity with
// authorize(), versioned by content, and paged with stateless cursors any replica can check. Pure (no I/O).

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonicalJson.js';
import type { Catalog, CatalogTool, GatewayPolicy } from '../types.js';
import { type Identity, listable } from './authorize.js';
import { identityKey } from './identity.js';
import { pageOf, versionOf } from './listPages.js';

export { CursorError } from './listPages.js';

/** A tool as tools/list carries it on the wire. */
export interface WireTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** One caller's filtered list; version changes exactly when what this caller sees changes. */
export interface ToolView {
  version: string;
  tools: readonly WireTool[];
}

export interface ToolPage {
  tools: WireTool[];
  nextCursor?: string;
}

export interface ToolViewsOptions {
  /** Tools per tools/list page. Default 200. */
  pageSize?: number;
  /** Distinct identities whose filtered view is kept per catalog. Default 1024. */
  cacheSize?: number;
}

function toWire(t: CatalogTool): WireTool {
  const w: WireTool = { name: t.name, inputSchema: t.inputSchema };
  if (t.title !== undefined) w.title = t.title;
  if (t.description !== undefined) w.description = t.description;
  if (t.outputSchema !== undefined) w.outputSchema = t.outputSchema;
  if (t.annotations !== undefined) w.annotations = t.annotations;
  return w;
}

export class ToolViews {
  private tools: WireTool[] = [];
  private digests: string[] = [];
  /** Content version of the whole tool list (not of health), to skip catalog updates that change no tool. */
  private allVersion = versionOf([]);
  private readonly cache = new Map<string, ToolView>();
  private readonly pageSize: number;
  private readonly cacheSize: number;

  constructor(
    private readonly policy: GatewayPolicy['policy'],
    opts: ToolViewsOptions = {},
  ) {
    this.pageSize = Math.max(1, Math.floor(opts.pageSize ?? 200));
    this.cacheSize = Math.max(1, Math.floor(opts.cacheSize ?? 1024));
  }

  /** Takes a new catalog; returns whether any tool (name, description, schema, …) changed. */
  setCatalog(catalog: Catalog): boolean {
    const tools: WireTool[] = [];
    for (const s of catalog.services) for (const t of s.tools) tools.push(toWire(t));
    // Canonical JSON, so equal content hashes equal whatever order a sidecar sent the keys in.
    const digests = tools.map((t) => createHash('sha256').update(canonicalJson(t)).digest('hex').slice(0, 32));
    const version = versionOf(digests);
    if (version === this.allVersion) return false;
    this.tools = tools;
    this.digests = digests;
    this.allVersion = version;
    this.cache.clear();
    return true;
  }

  /**
   * The tools this identity may see, in catalog order: those it may call (authorize with tools/call and the full
   * name, exactly as the filter decides a call), plus those a `forbidden` rule denies, since that rule means to tell
   * the caller the tool exists and which scope unlocks it. A tool denied as unknown is not listed.
   */
  view(id: Identity): ToolView {
    const key = identityKey(id);
    const hit = this.cache.get(key);
    if (hit) {
      // Re-insert: Map order is the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const tools: WireTool[] = [];
    const digests: string[] = [];
    for (let i = 0; i < this.tools.length; i++) {
      const t = this.tools[i]!;
      if (!listable(this.policy, id, 'tools/call', t.name)) continue;
      tools.push(t);
      digests.push(this.digests[i]!);
    }
    const view: ToolView = { version: versionOf(digests), tools };
    this.cache.set(key, view);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  /** The caller's view of one service's tools, under the service's own names (its /mcp/<service> endpoint). */
  private serviceView(id: Identity, service: string): ToolView {
    const key = `${service}\n${identityKey(id)}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const all = this.view(id);
    const prefix = `${service}__`;
    const tools: WireTool[] = [];
    const digests: string[] = [];
    for (const t of all.tools) {
      if (!t.name.startsWith(prefix)) continue;
      tools.push({ ...t, name: t.name.slice(prefix.length) });
      digests.push(t.name);
    }
    const view: ToolView = { version: versionOf([all.version, ...digests]), tools };
    this.cache.set(key, view);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  /**
   * One page of the caller's view (of one service's, under its own names, when service is given); the cursor names
   * the view version, so a page never mixes two lists.
   */
  page(id: Identity, cursor: string | undefined, service?: string): ToolPage {
    const view = service === undefined ? this.view(id) : this.serviceView(id, service);
    const { items, nextCursor } = pageOf(view.tools, view.version, cursor, this.pageSize, 'tools/list');
    return nextCursor === undefined ? { tools: items } : { tools: items, nextCursor };
  }

  /** Whether this identity's view differs from the version it saw last (for list_changed per listener). */
  versionFor(id: Identity): string {
    return this.view(id).version;
  }
}
