// A test and development HTTP front (not a production proxy): node:http listener → wasm filter → upstream by header.

import { Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Exchange, type ExchangeSettings, type Upstream } from './frontExchange.js';
import { createPlugin, LogLevel, type Plugin, type PluginOptions } from './index.js';
import type { PropertyMap } from './properties.js';

export type { Upstream } from './frontExchange.js';

export interface FrontOptions extends PluginOptions {
  /** The compiled filter and its plugin configuration (JSON text, as Envoy passes it). */
  wasm: Uint8Array;
  configuration: string;
  /** Where a request goes, by the value of the route header as the filter left it. */
  upstreams?: Record<string, Upstream>;
  /** Used when the route header is absent; without it such a request is a 404 like an unmatched route. */
  defaultUpstream?: Upstream;
  /** Default x-meshmcp-service, the header the filter sets and the mesh's VirtualService matches. */
  routeHeader?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Until response headers reach the client; 504 (or 408 while the filter holds the request). Default 30 s; 0: none. */
  timeoutMs?: number;
  /**
   * Attributes for each stream; with no TLS here, this is where the caller supplies what Envoy would know from the
   * connection, e.g. { connection: { uri_san_peer_certificate: 'spiffe://...' } }.
   */
  streamProperties?: (req: IncomingMessage) => PropertyMap;
  /** An Envoy-like admin listener: GET /stats/prometheus and /ready. */
  admin?: { host?: string; port?: number };
  /** Drive proxy_on_tick with real timers. Default true. */
  ticks?: boolean;
}

export interface Front {
  url: string;
  port: number;
  /** Set when `admin` was asked for. */
  adminUrl?: string;
  plugin: Plugin;
  /** A new plugin configuration; false: rejected, the old one stays. */
  configure(configuration: string): boolean;
  /** Stops listening, ends open streams (on_log runs for each), then shuts the plugin down. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function shut(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const urlOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

function adminServer(plugin: Plugin): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/stats/prometheus') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(plugin.prometheus());
    } else if (path === '/ready') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('LIVE\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('invalid path\n');
    }
  });
}

export async function startFront(options: FrontOptions): Promise<Front> {
  const {
    wasm,
    configuration,
    host = '127.0.0.1',
    port = 0,
    upstreams,
    defaultUpstream,
    routeHeader,
    timeoutMs,
    streamProperties,
    admin: adminOptions,
    ticks,
    ...pluginOptions
  } = options;
  const plugin = await createPlugin(wasm, configuration, { logLimit: 10_000, ...pluginOptions });
  const agent = new Agent({ keepAlive: true });
  const settings: ExchangeSettings = {
    plugin,
    upstreams: upstreams ?? {},
    defaultUpstream,
    routeHeader: (routeHeader ?? 'x-meshmcp-service').toLowerCase(),
    agent,
    timeoutMs: timeoutMs ?? 30_000,
    streamProperties,
  };
  const server = createServer((req, res) => {
    try {
      new Exchange(settings, req, res).start();
    } catch (error) {
      // A host bug must not take the process down with every other stream; Envoy would answer 500 too.
      plugin.logs.push({ vm: -1, level: LogLevel.Critical, message: `front: ${(error as Error).stack}`, contextId: 0 });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
      else res.destroy();
    }
  });
  const servers = [server];
  let bound: number;
  let adminUrl: string | undefined;
  try {
    bound = await listen(server, host, port);
    if (adminOptions) {
      const admin = adminServer(plugin);
      servers.push(admin);
      const adminHost = adminOptions.host ?? host;
      adminUrl = urlOf(adminHost, await listen(admin, adminHost, adminOptions.port ?? 0));
    }
  } catch (error) {
    await Promise.all(servers.filter((s) => s.listening).map(shut));
    plugin.close();
    throw error;
  }
  if (ticks ?? true) plugin.startTicks();

  let closed: Promise<void> | undefined;
  const front: Front = {
    url: urlOf(host, bound),
    port: bound,
    plugin,
    configure: (next) => plugin.configure(next),
    close() {
      closed ??= (async () => {
        plugin.stopTicks();
        await Promise.all(servers.map(shut));
        // Streams end on their connections' close events; let those run before the root contexts go.
        await new Promise((resolve) => setImmediate(resolve));
        agent.destroy();
        plugin.close();
      })();
      return closed;
    },
  };
  if (adminUrl) front.adminUrl = adminUrl;
  return front;
}
