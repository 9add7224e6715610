// The control service's Prometheus metrics (its own registry): the documented discovery and sidecar health gauges,
// catalog build time, apply outcomes, the MCP endpoint's requests and its per-caller view cache.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Catalog } from './types.js';

export class ControlMetrics {
  readonly registry = new Registry();
  readonly discoveredServices = new Gauge(
    this.spec('mcp_gateway_discovery_services_total', 'MCP-enabled services discovery currently sees'),
  );
  readonly sidecarHealth = new Gauge(
    this.spec('mcp_gateway_sidecar_health', "1 when the service's MCP sidecar answered its last tools/list, else 0", {
      labelNames: ['service'],
    }),
  );
  readonly catalogTools = new Gauge(this.spec('mcp_gateway_catalog_tools', 'tools in the aggregated catalog'));
  readonly catalogBuild = new Histogram(
    this.spec(
      'mcp_gateway_catalog_build_seconds',
      'wall time of one catalog round (collecting every tools/list and building the catalog)',
      { buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    ),
  );
  readonly applies = new Counter(
    this.spec('mcp_gateway_apply_total', 'apply rounds of the rendered Istio resources, by result (ok, error)', {
      labelNames: ['result'],
    }),
  );
  readonly applyErrors = new Counter(
    this.spec('mcp_gateway_apply_errors_total', 'apply rounds that failed (the next try backs off)'),
  );
  readonly appliedObjects = new Counter(
    this.spec('mcp_gateway_apply_objects_total', 'Istio objects written or pruned, by action (applied, pruned)', {
      labelNames: ['action'],
    }),
  );
  readonly requests = new Counter(
    this.spec('mcp_gateway_control_requests_total', 'HTTP requests to the control MCP endpoint, by method and status', {
      labelNames: ['method', 'status'],
    }),
  );
  readonly listenStreams = new Gauge(
    this.spec(
      'mcp_gateway_control_listen_streams',
      'open list_changed streams (subscriptions/listen and 2025-11-25 GET streams)',
    ),
  );
  readonly listViews = new Gauge(
    this.spec(
      'mcp_gateway_control_list_views',
      'per-caller list views held in the view cache (bounded; emptied by a new catalog)',
    ),
  );
  readonly listViewLookups = new Counter(
    this.spec(
      'mcp_gateway_control_list_view_lookups_total',
      'per-caller list view lookups, by result (hit: reused from the view cache, miss: computed)',
      { labelNames: ['result'] },
    ),
  );
  private healthLabels = new Set<string>();
  private lookupsSeen = { hits: 0, misses: 0 };

  /** A metric's configuration in this registry. */
  private spec<E extends object>(name: string, help: string, extra?: E) {
    return { name, help, ...extra, registers: [this.registry] };
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Takes the view cache's counts (cumulative since start) into its gauge and counters. */
  observeViewCache(stats: { entries: number; hits: number; misses: number }): void {
    this.listViews.set(stats.entries);
    this.listViewLookups.inc({ result: 'hit' }, stats.hits - this.lookupsSeen.hits);
    this.listViewLookups.inc({ result: 'miss' }, stats.misses - this.lookupsSeen.misses);
    this.lookupsSeen = { hits: stats.hits, misses: stats.misses };
  }

  /** Sets the per-service health gauges from a catalog; a service that left drops its series. */
  observeCatalog(catalog: Catalog): void {
    const now = new Set<string>();
    let tools = 0;
    for (const s of catalog.services) {
      now.add(s.route);
      this.sidecarHealth.set({ service: s.route }, s.health.healthy ? 1 : 0);
      tools += s.tools.length;
    }
    for (const old of this.healthLabels) if (!now.has(old)) this.sidecarHealth.remove({ service: old });
    this.healthLabels = now;
    this.catalogTools.set(tools);
  }
}
