// What each caller sees of the catalog's four lists (tools, prompts, resources, resource templates): filtered per
// identity with the same authorize() the gateway filter applies to the calls they name, versioned by content, kept
// per authorization context in a ViewCache until the catalog changes, and paged with stateless cursors any replica
// can check. Each view also keeps what decides its caching hints (listFreshness.ts). Pure (no I/O).

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonicalJson.js';
import { isObject } from '../../shared/json.js';
import type { Catalog, GatewayPolicy, ListKind } from '../types.js';
import { type Identity, listable } from './authorize.js';
import type { HintBasis } from './listFreshness.js';
import { KINDS, LIST_KINDS } from './listKinds.js';
import { pageOf, versionOf } from './listPages.js';
import { askedAlike, listedAlike, mayList } from './policyReach.js';
import { TextCache, ViewCache, type ViewCacheStats } from './viewCache.js';

export { CursorError } from './listPages.js';

interface Item {
  /** The name authorize() judges: a tool's or prompt's `<route>__<name>`, a resource's (template's) wrapped URI. */
  key: string;
  /** The server's own name or URI, which its own endpoint (`/mcp/<service>`) lists. */
  own: string;
  route: string;
  /** The wire form: the catalog entry without the server's own name. */
  wire: Record<string, unknown>;
  digest: string;
  /** Listed on the aggregated /mcp (a sessionOnly tool is listed only on its server's own endpoint). */
  aggregated: boolean;
  /** Whether the SDK sends the wire form as it is in both revisions (sentAsIs). */
  asIs: boolean;
}

/**
 * One caller's list; `version` changes exactly when what this caller sees of it changes. `routes` are the servers
 * with an item in it, each once, in catalog order.
 */
export interface ListView extends HintBasis {
  version: string;
  /** The catalog items the caller sees, in catalog order (the view holds references, not copies). */
  picked: readonly Item[];
  /** An item's wire form in this list: the catalog's, or on a server's own endpoint under its own name. */
  wire(item: Item): Record<string, unknown>;
}

/** What a catalog says about each list beyond its items, for the views' hint bases. */
interface ListFacts {
  /** Servers that gave caching hints for the list. */
  hinted: string[];
  /** Servers with an item that not every caller is shown alike. */
  varies: Set<string>;
  /** Whether the gateway decides the list request itself alike for every caller. */
  asked: boolean;
}

export interface ListPage {
  /** The list result: `{ tools | prompts | resources | resourceTemplates, nextCursor? }`. */
  result: Record<string, unknown>;
  /** The view the page was cut from. */
  view: ListView;
}

/** One page as JSON text: the array of its items' wire forms, as JSON.stringify writes it, and the next cursor. */
export interface ListPageText {
  items: Buffer;
  nextCursor?: string;
  /** The view the page was cut from. */
  view: ListView;
}

export interface ListViewsOptions {
  /** Items per list page. Default 200. */
  pageSize?: number;
  /** Per-caller views kept at once, all lists and server endpoints together. Default 2048. */
  cacheSize?: number;
  /** Bytes of page text (pageText) kept at once. Default 64 MiB. */
  pageTextBytes?: number;
}

/**
 * Whether the SDK sends this wire form unchanged in both revisions: its codecs rewrite a tool with `execution` (a
 * member 2026-07-28 deleted) and one whose outputSchema root is not an object (2025-11-25 wraps it in one).
 */
function sentAsIs(kind: ListKind, wire: Record<string, unknown>): boolean {
  if (kind !== 'tools') return true;
  return !('execution' in wire) && !(isObject(wire['outputSchema']) && wire['outputSchema']['type'] !== 'object');
}

function itemOf(kind: ListKind, route: string, entry: Record<string, unknown>): Item {
  const { [KINDS[kind].own]: own, sessionOnly, ...wire } = entry;
  return {
    key: String(wire[KINDS[kind].member]),
    own: String(own),
    route,
    wire,
    // Canonical JSON, so equal content hashes equal whatever order a server sent the keys in.
    digest: createHash('sha256')
      .update(canonicalJson(wire) + (sessionOnly === true ? '\nsession-only' : ''))
      .digest('hex')
      .slice(0, 32),
    aggregated: sessionOnly !== true,
    asIs: sentAsIs(kind, wire),
  };
}

function viewOf(
  picked: Item[],
  version: string,
  wire: (i: Item) => Record<string, unknown>,
  hints: Omit<HintBasis, 'routes'>,
): ListView {
  const routes: string[] = [];
  for (const i of picked) if (routes[routes.length - 1] !== i.route) routes.push(i.route);
  return { version, picked, wire, routes, ...hints };
}

const emptyItems = (): Record<ListKind, Item[]> => ({ tools: [], prompts: [], resources: [], resourceTemplates: [] });

export class ListViews {
  private items = emptyItems();
  private readonly facts = {} as Record<ListKind, ListFacts>;
  /** Each list's content version; an empty catalog's to begin with, so the first catalog tells only what it has. */
  private versions = Object.fromEntries(LIST_KINDS.map((k) => [k, versionOf([])])) as Record<ListKind, string>;
  /** Per list: whether the SDK sends every item of the catalog's as it is, in both revisions. */
  private asIs = {} as Record<ListKind, boolean>;
  private readonly cache: ViewCache<ListView>;
  /**
   * Pages as JSON text, by list, server, view version and offset: the version names exactly which items a view
   * holds, so every caller whose view has that version is sent the same page.
   */
  private readonly texts: TextCache;
  private readonly pageSize: number;

  constructor(
    private readonly policy: GatewayPolicy['policy'],
    opts: ListViewsOptions = {},
  ) {
    this.pageSize = Math.max(1, Math.floor(opts.pageSize ?? 200));
    this.cache = new ViewCache(opts.cacheSize ?? 2048);
    this.texts = new TextCache(opts.pageTextBytes ?? 64 * 1024 * 1024);
    this.setCatalog({ services: [] });
  }

  /** Takes a new catalog, and every cached view goes; returns the lists whose content changed. */
  setCatalog(catalog: Catalog): ListKind[] {
    const next = emptyItems();
    for (const s of catalog.services) {
      for (const kind of LIST_KINDS) {
        for (const entry of s[kind] ?? [])
          next[kind].push(itemOf(kind, s.route, entry as unknown as Record<string, unknown>));
      }
    }
    const changed: ListKind[] = [];
    for (const kind of LIST_KINDS) {
      const version = versionOf(next[kind].map((i) => i.digest));
      if (version !== this.versions[kind]) changed.push(kind);
      this.versions[kind] = version;
    }
    this.items = next;
    for (const kind of LIST_KINDS) {
      this.asIs[kind] = next[kind].every((i) => i.asIs);
      const { list, call } = KINDS[kind];
      this.facts[kind] = {
        hinted: catalog.services.filter((s) => s.cacheHints?.[kind] !== undefined).map((s) => s.route),
        varies: new Set(next[kind].filter((i) => !listedAlike(this.policy, call, i.key)).map((i) => i.route)),
        asked: askedAlike(this.policy, list),
      };
    }
    this.cache.clear();
    // A version names the same items in a new catalog, but not their text (a server may send its keys in a new order).
    this.texts.clear();
    return changed;
  }

  /**
   * The items of a list this identity may see, in catalog order: those whose call it may make (authorize with the
   * call's method and the full name, exactly as the filter decides the call), plus those a `forbidden` rule denies,
   * since that rule means to tell the caller the item exists and which scope unlocks it.
   */
  view(kind: ListKind, id: Identity): ListView {
    return this.cache.get(kind, undefined, id, () => {
      const picked = this.items[kind].filter((i) => i.aggregated && listable(this.policy, id, KINDS[kind].call, i.key));
      const { hinted, varies, asked } = this.facts[kind];
      return viewOf(picked, versionOf(picked.map((i) => i.digest)), (i) => i.wire, {
        reach: hinted.filter((route) => this.mayList(kind, id, route)),
        shared: asked && varies.size === 0,
      });
    });
  }

  /** The caller's view of one server's items under the server's own names and URIs (its `/mcp/<service>`). */
  serviceView(kind: ListKind, id: Identity, service: string): ListView {
    return this.cache.get(kind, service, id, () => {
      // Its own endpoint lists what the aggregated one leaves out for it (sessionOnly tools) too.
      const call = KINDS[kind].call;
      const picked = this.items[kind].filter((i) => i.route === service && listable(this.policy, id, call, i.key));
      const member = KINDS[kind].member;
      const { hinted, varies, asked } = this.facts[kind];
      return viewOf(
        picked,
        versionOf([service, ...picked.map((i) => i.digest)]),
        (i) => ({ ...i.wire, [member]: i.own }),
        {
          reach: hinted.includes(service) && this.mayList(kind, id, service) ? [service] : [],
          shared: asked && !varies.has(service),
        },
      );
    });
  }

  /** Whether this caller could ever be listed an item of this server's (so the server's own ttlMs counts). */
  private mayList(kind: ListKind, id: Identity, route: string): boolean {
    return mayList(this.policy, id, KINDS[kind].call, KINDS[kind].prefix(route));
  }

  /**
   * One page of the caller's list (of one server's, in its own terms, when service is given); the cursor names the
   * view's version, so a page never mixes two lists.
   */
  page(kind: ListKind, id: Identity, cursor: string | undefined, service?: string): ListPage {
    const { view, items, nextCursor } = this.cut(kind, id, cursor, service);
    const wire = items.map(view.wire);
    return { result: nextCursor === undefined ? { [kind]: wire } : { [kind]: wire, nextCursor }, view };
  }

  /**
   * The same page as page(), its items as JSON text: made once per catalog, view version and offset (while it fits
   * in pageTextBytes), and shared by every caller with that view.
   */
  pageText(kind: ListKind, id: Identity, cursor: string | undefined, service?: string): ListPageText {
    const { view, items, nextCursor, offset } = this.cut(kind, id, cursor, service);
    const key = JSON.stringify([kind, service ?? null, view.version, offset]);
    const text = this.texts.get(key, () => Buffer.from(JSON.stringify(items.map(view.wire))));
    return nextCursor === undefined ? { items: text, view } : { items: text, nextCursor, view };
  }

  /**
   * Whether the SDK would send every item of this list as the catalog has it, in both revisions (sentAsIs): only
   * then may a page be written from pageText.
   */
  sameOnBothRevisions(kind: ListKind): boolean {
    return this.asIs[kind];
  }

  private cut(kind: ListKind, id: Identity, cursor: string | undefined, service: string | undefined) {
    const view = service === undefined ? this.view(kind, id) : this.serviceView(kind, id, service);
    return { view, ...pageOf(view.picked, view.version, cursor, this.pageSize, KINDS[kind].list) };
  }

  /** The version of this identity's tools list (for list_changed per listener). */
  versionFor(id: Identity): string {
    return this.view('tools', id).version;
  }

  cacheStats(): ViewCacheStats {
    return this.cache.stats();
  }
}
