// A test and development HTTP front (not a production proxy): HTTP/1 listener, plain or mTLS → wasm filter →
// upstream by header, plain or mTLS.

import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { frontCluster } from './frontCalls.js';
import { Exchange, type ExchangeSettings, type Upstream } from './frontExchange.js';
import {
  DEFAULT_MAX_HEADERS_COUNT,
  DEFAULT_MAX_REQUEST_HEADERS_KB,
  type HeaderLimits,
  nodeMaxHeaderSize,
  onClientError,
  refusal,
  refuse,
} from './frontLimits.js';
import { type FrontTls, refuseUnverifiedPeers, tlsServerOptions, UpstreamAgents } from './frontTls.js';
import { createPlugin, LogLevel, type Plugin, type PluginOptions } from './index.js';
import type { PropertyMap } from './properties.js';

export type { Upstream } from './frontExchange.js';
export type { FrontTls, Pem, UpstreamTls } from './frontTls.js';

export interface FrontOptions extends Omit<PluginOptions, 'clusters'> {
  /** The compiled filter and its plugin configuration (JSON text, as Envoy passes it). */
  wasm: Uint8Array;
  configuration: string;
  /** Where a request goes, by the value of the route header as the filter left it. */
  upstreams?: Record<string, Upstream>;
  /** The catch-all route: when the route header is absent or names no upstream. Without it: 404. */
  defaultUpstream?: Upstream;
  /**
   * Envoy's clusters the filter may call with proxy_http_call (in the mesh, e.g. the cluster an EnvoyFilter adds for
   * the pod's own app): each call is a real HTTP request to its upstream.
   */
  clusters?: Record<string, Upstream>;
  /** Default x-meshmcp-service, the header the filter sets and the mesh's VirtualService matches. */
  routeHeader?: string;
  /**
   * The domains of the virtual host the routes live in (exact, `*.suffix`, `*`; the port is ignored, as on Istio's
   * gateways): a request for another host meets no route (404). Default: every host.
   */
  routeHosts?: readonly string[];
  /**
   * Listen with TLS and check client certificates against `ca`, as an Istio sidecar's inbound listener does; the
   * connection.* attributes then come from the handshake. Plain HTTP without it.
   */
  tls?: FrontTls;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Until response headers reach the client; 504 (or 408 while the filter holds the request). Default 30 s; 0: none. */
  timeoutMs?: number;
  /**
   * Attributes for each stream, merged over those the front takes from the connection (connection.mtls, and with
   * `tls` the certificates' SANs, subjects and digest), e.g. { connection: { uri_san_peer_certificate: 'spiffe://...' } }
   * to name a peer on a plain listener.
   */
  streamProperties?: (req: IncomingMessage) => PropertyMap;
  /**
   * Envoy's common_http_protocol_options.max_headers_count: a request with more header lines gets the codec's 431
   * before any filter runs. Default 100, Envoy's (Istio keeps it).
   */
  maxHeadersCount?: number;
  /** Envoy's max_request_headers_kb (URL plus header names and values), refused the same way. Default 60. */
  maxRequestHeadersKb?: number;
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
  /**
   * Replaces the route map (and the default upstream and the virtual host domains: none / every host when omitted)
   * for requests routed from now on; exchanges already routed finish on their upstream.
   */
  setUpstreams(upstreams: Record<string, Upstream>, defaultUpstream?: Upstream, routeHosts?: readonly string[]): void;
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

// node:https servers have node:http's connection handling (closeAllConnections) on top of tls.Server.
function shut(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const urlOf = (host: string, port: number, scheme = 'http') =>
  `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;

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
    routeHosts,
    timeoutMs,
    streamProperties,
    tls,
    admin: adminOptions,
    ticks,
    maxHeadersCount = DEFAULT_MAX_HEADERS_COUNT,
    maxRequestHeadersKb = DEFAULT_MAX_REQUEST_HEADERS_KB,
    clusters: clusterTargets = {},
    ...pluginOptions
  } = options;
  const limits: HeaderLimits = { maxHeadersCount, maxRequestHeadersKb };
  const agents = new UpstreamAgents();
  const clusters = Object.fromEntries(
    Object.entries(clusterTargets).map(([name, target]) => [name, frontCluster(target, agents)]),
  );
  const plugin = await createPlugin(wasm, configuration, { logLimit: 10_000, ...pluginOptions, clusters });
  const settings: ExchangeSettings = {
    plugin,
    upstreams: { ...upstreams },
    defaultUpstream,
    routeHeader: (routeHeader ?? 'x-meshmcp-service').toLowerCase(),
    routeHosts: routeHosts === undefined ? undefined : [...routeHosts],
    agents,
    scheme: tls ? 'https' : 'http',
    timeoutMs: timeoutMs ?? 30_000,
    streamProperties,
  };
  const handle: RequestListener = (req, res) => {
    // Envoy's HTTP/1 codec refuses these before the connection manager makes a stream: no filter sees them.
    if (refusal(req, limits)) {
      refuse(res);
      return;
    }
    try {
      new Exchange(settings, req, res).start();
    } catch (error) {
      // A host bug must not take the process down with every other stream; Envoy would answer 500 too.
      plugin.logs.push({ vm: -1, level: LogLevel.Critical, message: `front: ${(error as Error).stack}`, contextId: 0 });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
      else res.destroy();
    }
  };
  // Node must neither drop header lines past its own count (maxHeadersCount 0: no limit) nor refuse a block Envoy
  // would accept (maxHeaderSize above Envoy's): the front counts and measures, as Envoy's codec does.
  const parserOptions = { maxHeaderSize: nodeMaxHeaderSize(limits) };
  let server: Server;
  if (tls) {
    const secure = createTlsServer({ ...tlsServerOptions(tls), ...parserOptions }, handle);
    if (tls.requireClientCert === false) refuseUnverifiedPeers(secure);
    server = secure;
  } else {
    server = createServer(parserOptions, handle);
  }
  server.maxHeadersCount = 0;
  server.on('clientError', onClientError);
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
    url: urlOf(host, bound, settings.scheme),
    port: bound,
    plugin,
    setUpstreams(next, nextDefault, nextHosts) {
      settings.upstreams = { ...next };
      settings.defaultUpstream = nextDefault;
      settings.routeHosts = nextHosts === undefined ? undefined : [...nextHosts];
      agents.retain([...Object.values(next), nextDefault, ...Object.values(clusterTargets)]);
    },
    configure: (next) => plugin.configure(next),
    close() {
      closed ??= (async () => {
        plugin.stopTicks();
        await Promise.all(servers.map(shut));
        // Streams end on their connections' close events; let those run before the root contexts go.
        await new Promise((resolve) => setImmediate(resolve));
        agents.destroy();
        plugin.close();
      })();
      return closed;
    },
  };
  if (adminUrl) front.adminUrl = adminUrl;
  return front;
}
