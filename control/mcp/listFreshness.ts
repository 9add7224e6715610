// The caching hints (SEP-2549 ttlMs and cacheScope) of each caller's lists: from the hints of the servers behind a
// list, counted from when each was collected, and the control service's own bound, the next scheduled catalog
// refresh. Merged by catalogRules.ts mergeHints' rule (the shortest ttlMs, the most private cacheScope). Pure but for
// the clock it is given.
import type { CacheHint, Catalog, ListKind } from '../types.js';

/** What decides a view's hints (listViews.ts keeps it with each view). */
export interface HintBasis {
  /** The servers with an item in the view: their cacheScope counts. */
  routes: readonly string[];
  /** The servers whose list could change the view (listed now, or could be later): their ttlMs counts. */
  reach: readonly string[];
  /** Whether the view is the same for every caller (policyReach.ts), so it may be public. */
  shared: boolean;
}

interface Held {
  /** When the server's own ttlMs runs out, counted from the collection that gave it (ms since the epoch). */
  expiresAt: number;
  cacheScope: CacheHint['cacheScope'];
}

export class ListFreshness {
  private held = new Map<string, Partial<Record<ListKind, Held>>>();
  private nextRoundAt: number | undefined;
  /** When each server (by route) is next collected on schedule; a view's bound is the soonest of its reach's. */
  private nextByRoute: ReadonlyMap<string, number> | undefined;
  /** Per basis: the absolute expiry and scope it came to, valid for one generation of what is held. */
  private readonly memo = new WeakMap<
    HintBasis,
    { generation: number; until: number; cacheScope: Held['cacheScope'] }
  >();
  private generation = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /**
   * Takes a catalog's hints, each as of its service's last successful collection, and, when given, the time of the
   * next scheduled refresh: until then the catalog changes only by an event (discovery, a server's list_changed),
   * which list_changed announces. Without one known, the control service's bound is 0. With nextByRoute, a view's
   * bound is the soonest scheduled collection of the servers that could change it (its reach), nextRoundAt for a
   * server the map does not name.
   */
  update(catalog: Catalog, nextRoundAt?: number, nextByRoute?: ReadonlyMap<string, number>): void {
    const held = new Map<string, Partial<Record<ListKind, Held>>>();
    for (const s of catalog.services) {
      if (!s.cacheHints) continue;
      const collected = Date.parse(s.health.lastSuccess ?? '');
      const lists: Partial<Record<ListKind, Held>> = {};
      for (const [kind, hint] of Object.entries(s.cacheHints) as Array<[ListKind, CacheHint]>) {
        lists[kind] = {
          expiresAt: Number.isFinite(collected) ? collected + hint.ttlMs : Number.NEGATIVE_INFINITY,
          cacheScope: hint.cacheScope,
        };
      }
      held.set(s.route, lists);
    }
    this.held = held;
    if (nextRoundAt !== undefined) {
      this.nextRoundAt = nextRoundAt;
      this.nextByRoute = nextByRoute;
    }
    this.generation++;
  }

  /** The soonest scheduled collection that could change a view reaching these servers. */
  private scheduledBound(reach: readonly string[]): number {
    const all = this.nextRoundAt ?? Number.NEGATIVE_INFINITY;
    const by = this.nextByRoute;
    if (by === undefined || reach.length === 0) return all;
    let soonest = Number.POSITIVE_INFINITY;
    for (const route of reach) soonest = Math.min(soonest, by.get(route) ?? all);
    return soonest;
  }

  /** The hints of a list of this kind whose view has this basis, now. */
  hint(kind: ListKind, basis: HintBasis): CacheHint {
    let m = this.memo.get(basis);
    if (m === undefined || m.generation !== this.generation) {
      const inView = new Set(basis.routes);
      // mergeHints' rule over absolute times: the earliest expiry and the most private scope win.
      let until = this.scheduledBound(basis.reach);
      let cacheScope: Held['cacheScope'] = basis.shared ? 'public' : 'private';
      for (const route of basis.reach) {
        const h = this.held.get(route)?.[kind];
        if (h === undefined) continue;
        until = Math.min(until, h.expiresAt);
        // A server's scope speaks for its items; one whose items the caller does not see adds only its expiry.
        if (inView.has(route) && h.cacheScope === 'private') cacheScope = 'private';
      }
      m = { generation: this.generation, until, cacheScope };
      this.memo.set(basis, m);
    }
    return { ttlMs: Math.max(0, Math.floor(m.until - this.clock())), cacheScope: m.cacheScope };
  }
}
