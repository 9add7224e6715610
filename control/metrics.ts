// The control service's Prometheus metrics (its own registry): the documented discovery and sidecar health gauges,
// catalog build time, apply outcomes and the MCP endpoint's requests.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Catalog } from './types.js';

export class ControlMetrics {
  readonly registry = new Registry();
  readonly discoveredServices = new Gauge({
    name: 'mcp_gateway_discovery_services_total',
    help: 'MCP-enabled services discovery currently sees',
    registers: [this.registry],
  });
  readonly sidecarHealth = new Gauge({
    name: 'mcp_gateway_sidecar_health',
    help: "1 when the service's MCP sidecar answered its last tools/list, else 0",
    labelNames: ['service'],
    registers: [this.registry],
  });
  readonly catalogTools = new Gauge({
    name: 'mcp_gateway_catalog_tools',
    help: 'tools in the aggregated catalog',
    registers: [this.registry],
  });
  readonly catalogBuild = new Histogram({
    name: 'mcp_gateway_catalog_build_seconds',
    help: 'wall time of one catalog round (collecting every tools/list and building the catalog)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly applies = new Counter({
    name: 'mcp_gateway_apply_total',
    help: 'apply rounds of the rendered Istio resources, by result (ok, error)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly applyErrors = new Counter({
    name: 'mcp_gateway_apply_errors_total',
    help: 'apply rounds that failed (the next try backs off)',
    registers: [this.registry],
  });
  readonly appliedObjects = new Counter({
    name: 'mcp_gateway_apply_objects_total',
    help: 'Istio objects written or pruned, by action (applied, pruned)',
    labelNames: ['action'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'mcp_gateway_control_requests_total',
    help: 'HTTP requests to the control MCP endpoint, by method and status',
    labelNames: ['method', 'status'],
    registers: [this.registry],
  });
  readonly listenStreams = new Gauge({
    name: 'mcp_gateway_control_listen_streams',
    help: 'open list_changed streams (subscriptions/listen and 2025-11-25 GET streams)',
    registers: [this.registry],
  });
  private healthLabels = new Set<string>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
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
