// What each caller sees of the catalog's prompts, resources and resource templates: filtered per identity with the
// same authorize() the gateway filter applies to prompts/get and resources/read, versioned by content, paged with
// stateless cursors. Pure (no I/O).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonicalJson.js';
import type { Catalog, GatewayPolicy } from '../types.js';
import { type Identity, listable } from './authorize.js';
import { identityKey } from './identity.js';
import { pageOf, versionOf } from './listPages.js';

export type OfferingKind = 'prompts' | 'resources' | 'resourceTemplates';

/** The list method of each kind, and the call whose authorization decides what the list shows. */
const KINDS: Record<OfferingKind, { list: string; call: string }> = {
  prompts: { list: 'prompts/list', call: 'prompts/get' },
  resources: { list: 'resources/list', call: 'resources/read' },
  resourceTemplates: { list: 'resources/templates/list', call: 'resources/read' },
};

interface Item {
  /** The name authorize() judges: a prompt's `<route>__<prompt>`, a resource's (template's) wrapped URI. */
  key: string;
  wire: Record<string, unknown>;
  digest: string;
}

interface View {
  version: string;
  items: Array<Record<string, unknown>>;
}

/** Wire form: the catalog entry without the server's own name or URI (the gateway's business, not the client's). */
function wireOf(kind: OfferingKind, entry: Record<string, unknown>): Item {
  const { prompt: _p, resource: _r, template: _t, ...wire } = entry;
  const key = kind === 'prompts' ? String(wire['name']) : String(wire[kind === 'resources' ? 'uri' : 'uriTemplate']);
  return { key, wire, digest: createHash('sha256').update(canonicalJson(wire)).digest('hex').slice(0, 32) };
}

export class OfferingViews {
  private items: Record<OfferingKind, Item[]> = { prompts: [], resources: [], resourceTemplates: [] };
  private allVersion = '';
  private readonly cache = new Map<string, View>();

  constructor(
    private readonly policy: GatewayPolicy['policy'],
    private readonly pageSize = 200,
    private readonly cacheSize = 1024,
  ) {}

  /** Takes a new catalog; returns the kinds whose content changed. */
  setCatalog(catalog: Catalog): OfferingKind[] {
    const next: Record<OfferingKind, Item[]> = { prompts: [], resources: [], resourceTemplates: [] };
    for (const s of catalog.services) {
      for (const kind of Object.keys(KINDS) as OfferingKind[]) {
        for (const entry of s[kind] ?? []) next[kind].push(wireOf(kind, entry as unknown as Record<string, unknown>));
      }
    }
    const changed = (Object.keys(KINDS) as OfferingKind[]).filter(
      (k) => versionOf(next[k].map((i) => i.digest)) !== versionOf(this.items[k].map((i) => i.digest)),
    );
    const all = versionOf((Object.keys(KINDS) as OfferingKind[]).map((k) => versionOf(next[k].map((i) => i.digest))));
    if (all !== this.allVersion) {
      this.items = next;
      this.allVersion = all;
      this.cache.clear();
    }
    return changed;
  }

  /** Whether the catalog has any of this kind (the aggregated server declares a capability only then). */
  has(kind: OfferingKind): boolean {
    return this.items[kind].length > 0;
  }

  private view(kind: OfferingKind, id: Identity): View {
    const key = `${kind}\n${identityKey(id)}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const items: Array<Record<string, unknown>> = [];
    const digests: string[] = [];
    for (const item of this.items[kind]) {
      if (!listable(this.policy, id, KINDS[kind].call, item.key)) continue;
      items.push(item.wire);
      digests.push(item.digest);
    }
    const view = { version: versionOf(digests), items };
    this.cache.set(key, view);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  /** This caller's list of a kind on one server's own endpoint: its own prompt names and URIs. */
  private serviceView(kind: OfferingKind, id: Identity, service: string): View {
    const key = `${kind}\n${service}\n${identityKey(id)}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const all = this.view(kind, id);
    const member = kind === 'prompts' ? 'name' : kind === 'resources' ? 'uri' : 'uriTemplate';
    const prefix = kind === 'prompts' ? `${service}__` : `meshmcp://${service}/`;
    const items: Array<Record<string, unknown>> = [];
    for (const item of all.items) {
      const v = String(item[member]);
      if (v.startsWith(prefix)) items.push({ ...item, [member]: v.slice(prefix.length) });
    }
    const view = { version: versionOf([all.version, service]), items };
    this.cache.set(key, view);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  /**
   * One page of this caller's list of a kind (of one server's, in its own terms, when service is given), as
   * `{ prompts | resources | resourceTemplates, nextCursor? }`.
   */
  page(kind: OfferingKind, id: Identity, cursor: string | undefined, service?: string): Record<string, unknown> {
    const view = service === undefined ? this.view(kind, id) : this.serviceView(kind, id, service);
    const { items, nextCursor } = pageOf(view.items, view.version, cursor, this.pageSize, KINDS[kind].list);
    return nextCursor === undefined ? { [kind]: items } : { [kind]: items, nextCursor };
  }
}
