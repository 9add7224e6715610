// The aggregated MCP endpoint's state: the current catalog as per-caller list views and their caching hints, the SDK
// handler that serves both eras, and the 2025-11-25 GET streams; setCatalog() is the one way a new catalog reaches
// callers, collected() how each collection round's timing reaches the hints.

import { serviceKey } from '../catalog/naming.js';
import { RESOURCE_SCHEME } from '../catalogRules.js';
import type { Catalog, GatewayPolicy } from '../types.js';
import { authorize, type Identity } from './authorize.js';
import { GetStreams } from './getStreams.js';
import { ListAnswers } from './listAnswers.js';
import { ListFreshness } from './listFreshness.js';
import { ListViews, type ListViewsOptions } from './listViews.js';
import { ResourceInterest, unwrapUri } from './resourceInterest.js';
import { type CatalogServer, createCatalogServer, SERVER_NAME } from './server.js';
import type { ViewCacheStats } from './viewCache.js';

export interface McpEndpointOptions extends ListViewsOptions {
  policy: GatewayPolicy['policy'];
  version: string;
  /** Largest POST body (413 above it). Default 1 MiB. */
  maxBodyBytes?: number;
  maxStreams?: number;
  keepAliveMs?: number;
  onError?: (err: Error) => void;
  /** Time source of the caching hints, in ms since the epoch (the catalog runner's clock). Default Date.now. */
  clock?: () => number;
  /**
   * Whether plain list requests are answered from the pages' JSON text (listAnswers.ts) rather than by the SDK.
   * Default true; false sends every request through the SDK (the tests compare the two answers).
   */
  listAnswers?: boolean;
}

export class McpEndpoint {
  readonly views: ListViews;
  readonly freshness: ListFreshness;
  readonly server: CatalogServer;
  /** The fast path of the four list methods; undefined when every request goes through the SDK. */
  readonly lists: ListAnswers | undefined;
  readonly getStreams: GetStreams;
  readonly maxBodyBytes: number;
  /** The resources 2026-07-28 listen streams asked to hear about, while they are open. */
  readonly interest: ResourceInterest;
  private catalog: Catalog | undefined;
  /** The extensions the catalog's servers have that the gateway carries, worked out once per catalog. */
  private extensions: readonly string[] = [];
  /** Whether a server of the catalog runs 2025-11-25 tasks that the aggregated /mcp carries. */
  private sessionTasks = false;
  private resourceSink: ((service: string, uris: ReadonlySet<string>) => void) | undefined;

  constructor(private readonly opts: McpEndpointOptions) {
    this.views = new ListViews(opts.policy, opts);
    this.freshness = new ListFreshness(opts.clock);
    this.maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
    this.interest = new ResourceInterest((route, uris) => {
      const key = this.serviceKeyOf(route);
      if (key) this.resourceSink?.(key, uris);
    });
    this.server = createCatalogServer({
      views: this.views,
      freshness: this.freshness,
      version: opts.version,
      maxBodyBytes: this.maxBodyBytes,
      resources: { interest: this.interest, mayHear: (id, uri) => this.mayHear(id, uri) },
      extensions: () => this.extensions,
      sessionTasks: () => this.sessionTasks,
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
    this.lists =
      opts.listAnswers === false
        ? undefined
        : new ListAnswers(this.views, this.freshness, { name: SERVER_NAME, version: opts.version });
    const streamOpts = {
      ...(opts.maxStreams !== undefined ? { maxStreams: opts.maxStreams } : {}),
      ...(opts.keepAliveMs !== undefined ? { keepAliveMs: opts.keepAliveMs } : {}),
    };
    this.getStreams = new GetStreams(this.views, streamOpts);
  }

  /** Whether a catalog has arrived (readiness). */
  hasCatalog(): boolean {
    return this.catalog !== undefined;
  }

  /**
   * Takes a new catalog; tells listening callers whose view changed (prompts and resources: every listener).
   * Returns whether any tool changed.
   */
  setCatalog(catalog: Catalog): boolean {
    this.catalog = catalog;
    this.extensions = [...new Set(catalog.services.flatMap((s) => s.extensions ?? []))].sort();
    this.sessionTasks = catalog.services.some((s) => s.sessionTasks === true);
    const changed = this.views.setCatalog(catalog);
    this.freshness.update(catalog);
    if (changed.includes('tools')) {
      this.server.toolsChanged();
      this.getStreams.toolsChanged();
    }
    const kinds = new Set(changed.filter((k) => k !== 'tools').map((k) => (k === 'prompts' ? 'prompts' : 'resources')));
    for (const kind of kinds) {
      this.server.offeringsChanged(kind);
      this.getStreams.offeringsChanged(kind);
    }
    return changed.includes('tools');
  }

  /**
   * A collection round ended (whether or not the catalog changed): the catalog with each service's latest collection
   * time, and when the next scheduled round is due (in all, and per route), for the lists' caching hints.
   */
  collected(catalog: Catalog, nextRoundAt: number | undefined, nextByRoute?: ReadonlyMap<string, number>): void {
    this.freshness.update(catalog, nextRoundAt, nextByRoute);
  }

  /**
   * Where the resources to subscribe to go, per server of its own (`namespace/name`, the server's own URIs): the
   * catalog runner holds them on its watch sessions.
   */
  onResourceInterest(sink: (service: string, uris: ReadonlySet<string>) => void): void {
    this.resourceSink = sink;
  }

  /** A server of its own (`namespace/name`) said one of its resources changed: listeners that asked hear it. */
  resourceUpdated(service: string, uri: string): void {
    const route = this.catalog?.services.find((s) => serviceKey(s) === service)?.route;
    if (route !== undefined) this.server.resourceUpdated(`${RESOURCE_SCHEME}${route}/${uri}`);
  }

  /** A resource of a server of its own that this caller may read, as the gateway would judge resources/read. */
  private mayHear(id: Identity, uri: string): boolean {
    const parts = unwrapUri(uri);
    if (!parts || !this.serviceKeyOf(parts.route)) return false;
    if (id.via !== undefined && !authorize(this.opts.policy, id.via, 'resources/read', uri).allowed) return false;
    return authorize(this.opts.policy, id, 'resources/read', uri).allowed;
  }

  private serviceKeyOf(route: string): string | undefined {
    const s = this.catalog?.services.find((c) => c.route === route && c.upstream !== undefined);
    return s ? serviceKey(s) : undefined;
  }

  /** The per-caller view cache: views held, hits and misses. */
  cacheStats(): ViewCacheStats {
    return this.views.cacheStats();
  }

  /** Open list_changed streams of both eras. */
  streams(): number {
    return this.server.listeners() + this.getStreams.size;
  }

  async close(): Promise<void> {
    this.getStreams.close();
    await this.server.close();
  }
}
