// The sidecar's HTTP surface: /mcp (MCP; in bridge mode the bridge's), /healthz (process up), /readyz (app
// reachable; for a pack, its backend; in bridge mode, the server it fronts), /health (a pack's readiness; the
// sidecar's /healthz), /metrics (Prometheus).
import fs from 'node:fs';
import http from 'node:http';
import type { PackHealth } from './app.js';
import type { McpDispatcher } from './mcp/dispatch.js';
import { handleMcp, sendRpcError, type TransportOptions } from './mcp/httpTransport.js';
import type { Registry } from './metrics.js';
import type { HttpClient, Logger, SidecarSettings } from './types.js';

export interface ServerDeps {
  settings: SidecarSettings;
  dispatcher: McpDispatcher;
  metrics: Registry;
  /** a client that does not count toward tool metrics, for readiness probes */
  probeClient: HttpClient;
  log: Logger;
  /** a pack's own readiness check for /health and /readyz */
  packHealth?: PackHealth;
  /** what serves /mcp instead of the dispatcher (bridge mode) */
  mcp?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
}

export function createSidecarServer(deps: ServerDeps): http.Server {
  const { settings, dispatcher, metrics, probeClient, log } = deps;
  const transport: TransportOptions = {
    maxBodyBytes: settings.maxBodyBytes,
    bindHost: settings.host,
    allowedHosts: settings.allowedHosts,
    allowedOrigins: settings.allowedOrigins,
  };
  const readiness = deps.packHealth ?? defaultReadiness(settings, probeClient);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/mcp') {
      (deps.mcp ? deps.mcp(req, res) : handleMcp(req, res, dispatcher, transport, log)).catch((err) => {
        log.error('unhandled MCP transport error', { error: String(err) });
        if (!res.headersSent) sendRpcError(res, 500, -32603, 'Internal error');
        else res.destroy();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    switch (path) {
      case '/health':
        // A pack's health is whether it can answer: what it reads reachable. The sidecar's is /healthz's.
        if (settings.pack) {
          void answer(res, readiness);
          return;
        }
        return json(res, 200, { status: 'ok', service: settings.serviceName });
      case '/readyz':
        void answer(res, readiness);
        return;
      case '/healthz':
        return json(res, 200, { status: 'ok', service: settings.serviceName });
      case '/metrics': {
        const text = metrics.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(text);
        return;
      }
      default:
        return json(res, 404, {
          error: `not found: ${path}; endpoints are /mcp, /health, /healthz, /readyz, /metrics`,
        });
    }
  });
  // Bounded: slow or idle clients cannot hold sockets forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 65_000;
  server.maxHeadersCount = 100;
  return server;
}

/**
 * What readiness depends on, decided once: the app; for the prometheus pack Prometheus's own readiness; for the logs
 * pack its log directory. (The kubernetes pack brings its own, deps.packHealth.)
 */
function defaultReadiness(settings: SidecarSettings, probeClient: HttpClient): PackHealth {
  if (settings.pack === 'logs') {
    return () =>
      new Promise((resolve) =>
        fs.stat(settings.logDir, (err, st) =>
          resolve(
            err || !st.isDirectory()
              ? { ready: false, logs: { readable: false, error: err?.code ?? 'not a directory' } }
              : { ready: true, logs: { readable: true, dir: settings.logDir } },
          ),
        ),
      );
  }
  const [backend, probeUrl] =
    settings.pack === 'prometheus' && settings.prometheusUrl
      ? ['prometheus', `${settings.prometheusUrl}/-/ready`]
      : ['app', settings.appUrl + settings.healthPath];
  return () =>
    probeClient.request(probeUrl, { timeoutMs: 1000, maxBytes: 4096 }).then(
      (r) => ({ ready: true, [backend]: { reachable: true, status: r.status } }),
      (err: Error) => ({ ready: false, [backend]: { reachable: false, error: err.message } }),
    );
}

/** 200 with the readiness when ready, else 503 with why. */
function answer(res: http.ServerResponse, readiness: PackHealth): Promise<void> {
  return readiness().then(
    (h) => json(res, h.ready ? 200 : 503, h),
    (err: Error) => json(res, 503, { ready: false, error: err.message }),
  );
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
