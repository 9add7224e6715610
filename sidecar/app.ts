// Assembles one sidecar from its settings: tools, runner, MCP dispatcher, HTTP server, tools.yaml reloads.
// main.ts only parses flags and listens; tests build a fresh sidecar with startSidecar and close it.
import type http from 'node:http';
import { VERSION } from '../shared/version.js';
import { createHttpClient } from './http/client.js';
import { createLogger, type LogSink } from './log.js';
import { McpDispatcher } from './mcp/dispatch.js';
import { createSidecarMetrics, type SidecarMetrics } from './metrics.js';
import { ToolRegistry } from './registry.js';
import { createSidecarServer } from './server.js';
import { ToolRunner } from './toolRunner.js';
import type { Logger, SidecarSettings, Tool } from './types.js';

/** Where service-specific tools come from (tools.yaml); reload keeps the last good set on error. */
export interface ToolSource {
  load(): Promise<Tool[]>;
  watch(onChange: () => void): { close(): void };
}

export interface SidecarOptions {
  settings: SidecarSettings;
  genericTools: readonly Tool[];
  toolSource?: ToolSource;
  env?: Record<string, string | undefined>;
  logSink?: LogSink;
  /** run on close, e.g. to end database pools */
  onClose?: () => Promise<void>;
  /** a pack's own /health: whether what it reads answers (the kubernetes pack's API server) */
  packHealth?: PackHealth;
  /** bridge mode: makes what serves /mcp instead of the tools, its readiness, and what close() ends first */
  bridge?: (log: Logger) => McpFront;
}

/** What serves /mcp in bridge mode (sidecar/bridge, loaded by main.ts only then). */
export interface McpFront {
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  health: PackHealth;
  close(): Promise<void>;
}

/** A pack's readiness: 200 with `ready: true` and what was checked, or 503 with `ready: false` and why. */
export type PackHealth = () => Promise<{ ready: boolean } & Record<string, unknown>>;

export interface Sidecar {
  server: http.Server;
  registry: ToolRegistry;
  metrics: SidecarMetrics;
  log: Logger;
  /** http://host:port of the listening server */
  url: string;
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startSidecar(opts: SidecarOptions): Promise<Sidecar> {
  const { settings } = opts;
  const log = createLogger('mcp-sidecar', settings.logLevel, opts.logSink);
  const metrics = createSidecarMetrics();
  const bridge = opts.bridge?.(log);
  const allowed = new Set(
    [settings.appUrl, settings.envoyAdminUrl, settings.prometheusUrl, settings.gatewayUrl]
      .filter(Boolean)
      .map((u) => new URL(u!).host),
  );
  const registry = new ToolRegistry(opts.genericTools);
  const fileToolHosts = new Set<string>();
  const http = createHttpClient({
    // Generic tools reach only the app, Envoy admin, Prometheus and (when set, for trace_request) the gateway;
    // tools.yaml tools add the hosts they declare.
    isAllowed: (u) => allowed.has(u.host) || fileToolHosts.has(u.host),
    requests: metrics.localhostRequests,
  });
  const env = Object.freeze({ ...(opts.env ?? process.env) });
  const runner = new ToolRunner(registry, { settings, http, log, env }, metrics, log);
  const dispatcher = new McpDispatcher(
    {
      name: `${settings.serviceName}-mcp`,
      version: VERSION,
      title: `${settings.serviceName} diagnostics`,
      instructions: `Diagnostic tools for ${settings.serviceName}: health, metrics, logs, its Envoy proxy and service-specific checks. All tools are read-only unless their annotations say otherwise.`,
    },
    settings.serviceName,
    registry,
    runner,
  );

  const reload = async (): Promise<boolean> => {
    if (!opts.toolSource) return true;
    try {
      const tools = await opts.toolSource.load();
      fileToolHosts.clear();
      for (const t of tools as (Tool & { allowedHosts?: string[] })[])
        for (const h of t.allowedHosts ?? []) fileToolHosts.add(h);
      registry.setFileTools(tools);
      log.info('tools loaded', { file: settings.toolsConfig, tools: tools.length, total: registry.list().length });
      return true;
    } catch (err) {
      log.error('tools.yaml rejected; keeping the previous tools', {
        file: settings.toolsConfig,
        error: (err as Error).message,
      });
      return false;
    }
  };
  await reload();
  const watcher = opts.toolSource?.watch(() => void reload());

  const server = createSidecarServer({
    settings,
    dispatcher,
    metrics: metrics.registry,
    probeClient: createHttpClient({ isAllowed: (u) => allowed.has(u.host) }),
    log,
    ...(opts.packHealth ? { packHealth: opts.packHealth } : {}),
    ...(bridge ? { packHealth: bridge.health, mcp: bridge.handle } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : settings.port;
  const hostForUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${port}`;
  log.info('listening', {
    service: settings.serviceName,
    url: `${url}/mcp`,
    ...(settings.bridge
      ? { bridge: settings.bridge.upstreamUrl, protocols: settings.bridge.protocols }
      : { tools: registry.list().length }),
  });

  return {
    server,
    registry,
    metrics,
    log,
    url,
    reload,
    async close() {
      watcher?.close();
      // Held streams keep their connections open: they end first, or the server would wait for them.
      await bridge?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await opts.onClose?.();
    },
  };
}
