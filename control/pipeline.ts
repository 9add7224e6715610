// The control pipeline, wired: discovery → catalog runner → (the MCP endpoint, and render → the apply hook). Each
// stage stays ignorant of the others; this file only subscribes one to the next.
import { serviceKey } from './catalog/naming.js';
import { CatalogRunner, type RefreshReport } from './catalog/runner.js';
import type { Discovery } from './discovery/discovery.js';
import { writeFilterConfigs } from './filterFiles.js';
import type { ControlLogger } from './log.js';
import type { McpEndpoint } from './mcp/endpoint.js';
import type { ControlMetrics } from './metrics.js';
import { filterConfigs, RenderError, renderResources } from './render/index.js';
import type { Catalog, GatewayPolicy, RenderSettings, Resource } from './types.js';

export interface PipelineOptions {
  discovery: Discovery;
  endpoint: McpEndpoint;
  metrics: ControlMetrics;
  log: ControlLogger;
  policy: GatewayPolicy;
  settings: RenderSettings;
  wasmPlugin?: boolean;
  runner: {
    cacheTtlMs: number;
    gracePeriodMs: number;
    /** Hold a session to each server of its own for its list_changed (default true). */
    watchLists?: boolean;
    concurrency: number;
    timeoutMs: number;
  };
  /** Also write the filter configurations here as files (the local mesh's fronts read them). */
  filterConfigDir?: string;
  /** Each successful render of a changed catalog (the apply loop's offer); absent when nothing applies. */
  onRendered?: (resources: Resource[]) => void;
}

export interface Pipeline {
  runner: CatalogRunner;
  /** Resolves once discovery listed and the first catalog was published. */
  started: Promise<void>;
  /** The last render's problem, if the latest catalog could not be rendered (the previous resources stay). */
  renderProblem(): string | undefined;
  stop(): Promise<void>;
}

export function startPipeline(opts: PipelineOptions): Pipeline {
  const { log, metrics, endpoint } = opts;
  let renderProblem: string | undefined;
  const runner = new CatalogRunner({
    cacheTtlMs: opts.runner.cacheTtlMs,
    gracePeriodMs: opts.runner.gracePeriodMs,
    ...(opts.runner.watchLists === false ? { watchLists: false } : {}),
    concurrency: opts.runner.concurrency,
    limits: { timeoutMs: opts.runner.timeoutMs },
    reserved: [opts.settings.control.route],
    log,
    onRefresh: (r: RefreshReport) => {
      if (r.seconds > 0) metrics.catalogBuild.observe(r.seconds);
      metrics.observeCatalog(r.catalog);
      // Every round, changed or not: the collection times and the next round bound the lists' caching hints.
      const next = runner.nextCollections();
      const byRoute = new Map<string, number>();
      for (const s of r.catalog.services) {
        const at = next.get(serviceKey(s));
        if (at !== undefined) byRoute.set(s.route, at);
      }
      endpoint.collected(r.catalog, runner.nextRoundAt(), byRoute);
    },
  });

  const onCatalog = (catalog: Catalog) => {
    const changed = endpoint.setCatalog(catalog);
    const tools = catalog.services.reduce((n, s) => n + s.tools.length, 0);
    log.info({ services: catalog.services.length, tools, toolsChanged: changed }, 'catalog published');
    if (!opts.filterConfigDir && !opts.onRendered) return;
    try {
      // Once per catalog: the files and the Istio resources carry the same configurations.
      const configs = filterConfigs(catalog, opts.policy, opts.settings);
      if (opts.filterConfigDir) {
        const written = writeFilterConfigs(opts.filterConfigDir, configs);
        if (written.length > 0)
          log.info({ dir: opts.filterConfigDir, files: written }, 'filter configurations written');
      }
      if (opts.onRendered) {
        opts.onRendered(renderResources(configs, opts.settings, { wasmPlugin: opts.wasmPlugin ?? false }));
      }
      renderProblem = undefined;
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      // The files and the cluster keep the last good render; the endpoint already serves the new catalog.
      renderProblem = err.message;
      log.error({ error: err.message }, 'render failed: what was last written and applied stays in place');
    }
  };
  runner.onChange(onCatalog);
  // Resource subscriptions of 2026-07-28 listeners: held on the servers' watch sessions, their updates relayed.
  endpoint.onResourceInterest((service, uris) => runner.watchResources(service, uris));
  runner.onResourceUpdated((service, uri) => endpoint.resourceUpdated(service, uri));

  let firstCatalog!: () => void;
  const first = new Promise<void>((resolve) => {
    firstCatalog = resolve;
  });
  const started = opts.discovery
    .start((services) => {
      metrics.discoveredServices.set(services.length);
      runner
        .update(services)
        .then(() => firstCatalog())
        .catch((err: Error) => log.error({ error: err.message }, 'catalog update failed'));
    })
    .then(() => first);

  return {
    runner,
    started,
    renderProblem: () => renderProblem,
    async stop() {
      await opts.discovery.stop();
      await runner.stop();
    },
  };
}
