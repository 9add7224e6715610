// The sidecar's HTTP surface: /mcp (MCP), /healthz (process up), /readyz (app reachable; for a pack, its backend),
// /health (a pack's readiness; the sidecar's /healthz), /metrics (Prometheus).
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
}

export function createSidecarServer(deps: ServerDeps): http.Server {
  const { settings, dispatcher, metrics, probeClient, log } = deps;
  const transport: TransportOptions = {
    maxBodyBytes: settings.maxBodyBytes,
    bindHost: settings.host,
    allowedHosts: settings.allowedHosts,
    allowedOrigins: settings.allowedOrigins,
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/mcp') {
      handleMcp(req, res, dispatcher, transport, log).catch((err) => {
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
    // What readiness depends on: the app, or for a pack the system it reads (Prometheus's own readiness).
    const [backend, probeUrl] =
      settings.pack === 'prometheus' && settings.prometheusUrl
        ? ['prometheus', `${settings.prometheusUrl}/-/ready`]
        : ['app', settings.appUrl + settings.healthPath];
    const ready = () =>
      probeClient.request(probeUrl, { timeoutMs: 1000, maxBytes: 4096 }).then(
        (r) => json(res, 200, { ready: true, [backend]: { reachable: true, status: r.status } }),
        (err: Error) => json(res, 503, { ready: false, [backend]: { reachable: false, error: err.message } }),
      );
    if (deps.packHealth && (path === '/health' || path === '/readyz')) {
      deps.packHealth().then(
        (h) => json(res, h.ready ? 200 : 503, h),
        (err: Error) => json(res, 503, { ready: false, error: err.message }),
      );
      return;
    }
    switch (path) {
      case '/health':
        // A pack's health is whether it can answer: what it reads reachable. The sidecar's is /healthz's.
        if (settings.pack === 'logs') {
          fs.stat(settings.logDir, (err, st) =>
            err || !st.isDirectory()
              ? json(res, 503, { ready: false, logs: { readable: false, error: err?.code ?? 'not a directory' } })
              : json(res, 200, { ready: true, logs: { readable: true, dir: settings.logDir } }),
          );
          return;
        }
        if (settings.pack) {
          void ready();
          return;
        }
        return json(res, 200, { status: 'ok', service: settings.serviceName });
      case '/readyz':
        void ready();
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

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
