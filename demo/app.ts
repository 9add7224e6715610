// The runtime the three demo services share: routing, failure injection (/chaos), JSON logs, /health and /metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody } from '../shared/readBody.js';
import { createLogger } from '../sidecar/log.js';
import { Counter, Histogram, Registry } from '../sidecar/metrics.js';
import type { Logger } from '../sidecar/types.js';
import { applyChaos, type ChaosState, latencyProblem } from './chaos.js';
import { logFile } from './logFile.js';

export interface DemoOptions {
  /** 0 picks a free port; RunningDemo.port tells which */
  port: number;
  host?: string;
  /** when set, log lines go to DIR/app.log (created if missing) instead of stdout */
  logDir?: string;
  /** start with the main dependency down */
  unhealthy?: boolean;
  /** delay added to every request but /chaos */
  latencyMs?: number;
  /** payment-service: when set, /admin/* requires this value in X-Admin-Token */
  adminToken?: string;
}

export interface RunningDemo {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DemoRequest {
  method: string;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** the raw body, at most MAX_BODY_BYTES */
  body: Buffer;
}

export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: DemoRequest) => Reply | Promise<Reply>;

/** Thrown by handlers and helpers to answer with a JSON error. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 64 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  json: body,
  ...(headers ? { headers } : {}),
});

/** Validates an id taken from the path, so lookups and logs only ever see a bounded, printable value. */
export function validId(id: string | undefined, what: string): string {
  if (id === undefined || !ID.test(id)) throw new HttpError(400, `${what} id must match ${ID.source}`);
  return id;
}

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

function matchPath(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.startsWith('{')) params[s.slice(1, -1)] = parts[i]!;
    else if (s !== parts[i]) return undefined;
  }
  return params;
}

async function readLimited(req: http.IncomingMessage): Promise<Buffer> {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === undefined) {
    throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
  }
  return body;
}

export interface DemoApp {
  readonly name: string;
  readonly log: Logger;
  readonly registry: Registry;
  readonly chaos: Readonly<ChaosState>;
  route(method: string, pattern: string, handler: Handler): void;
  /** dependencies shown by /health; the overall status follows chaos.healthy */
  health(report: () => Record<string, unknown>): void;
  /** runs fn every ms until close; the timer never keeps the process alive */
  every(ms: number, fn: () => void): void;
  onChaosChange(fn: (next: ChaosState, previous: ChaosState) => void): void;
  listen(): Promise<RunningDemo>;
}

export function createApp(name: string, version: string, options: DemoOptions): DemoApp {
  const problem = options.latencyMs === undefined ? undefined : latencyProblem(options.latencyMs);
  if (problem) throw new RangeError(problem);
  const sink = options.logDir ? logFile(options.logDir) : undefined;
  const log = createLogger(name, 'info', sink ?? process.stdout);
  const registry = new Registry();
  const requests = registry.register(
    new Counter('http_requests_total', 'HTTP requests by method, route template and status', [
      'method',
      'path',
      'status',
    ]),
  );
  const duration = registry.register(
    new Histogram('http_request_duration_seconds', 'HTTP request duration in seconds', ['method', 'path']),
  );
  const delays = registry.register(
    new Counter('chaos_delays_injected_total', 'Requests delayed by failure injection, by route', ['path']),
  );
  const chaos: ChaosState = { healthy: !options.unhealthy, latencyMs: options.latencyMs ?? 0 };
  const chaosListeners: ((next: ChaosState, previous: ChaosState) => void)[] = [];
  const routes: Route[] = [];
  const timers: NodeJS.Timeout[] = [];
  // Aborted on close so a request sleeping through injected latency does not hold shutdown up.
  const closing = new AbortController();
  const started = Date.now();
  let report: () => Record<string, unknown> = () => ({});

  const route = (method: string, pattern: string, handler: Handler) => {
    routes.push({ method, pattern, segments: pattern.split('/').slice(1), handler });
  };

  route('GET', '/health', () =>
    json(chaos.healthy ? 200 : 503, {
      status: chaos.healthy ? 'healthy' : 'unhealthy',
      version,
      uptime_s: Math.floor((Date.now() - started) / 1000),
      dependencies: report(),
    }),
  );
  route('GET', '/metrics', () => ({
    status: 200,
    text: registry.render(),
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
  }));
  route('GET', '/chaos', () => json(200, chaos));
  route('POST', '/chaos', ({ body }) => {
    const previous = { ...chaos };
    const next = applyChaos(body.toString('utf8'), chaos);
    if (typeof next === 'string') throw new HttpError(400, next);
    Object.assign(chaos, next);
    log.warn('chaos updated', { healthy: chaos.healthy, latency_ms: chaos.latencyMs });
    if (previous.healthy !== chaos.healthy || previous.latencyMs !== chaos.latencyMs)
      for (const fn of chaosListeners) fn({ ...chaos }, previous);
    return json(200, chaos);
  });

  async function dispatch(req: http.IncomingMessage, pathname: string, label: { path: string }): Promise<Reply> {
    let parts: string[];
    try {
      parts = pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'malformed percent-encoding in path');
    }
    const matches = routes.flatMap((r) => {
      const params = matchPath(r.segments, parts);
      return params ? [{ r, params }] : [];
    });
    const hit = matches.find((m) => m.r.method === req.method);
    if (matches.length) label.path = matches[0]!.r.pattern;
    if (pathname !== '/chaos' && chaos.latencyMs > 0) {
      delays.inc({ path: label.path });
      await sleep(chaos.latencyMs, undefined, { signal: closing.signal }).catch(() => {});
    }
    if (!matches.length) throw new HttpError(404, `no route for ${pathname}`);
    if (!hit) {
      const allow = [...new Set(matches.map((m) => m.r.method))].join(', ');
      throw new HttpError(405, `${req.method} not allowed on ${label.path}; use ${allow}`, { allow });
    }
    const body = await readLimited(req);
    return hit.r.handler({ method: req.method ?? 'GET', params: hit.params, headers: req.headers, body });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    const method = req.method ?? 'GET';
    const pathname = (req.url ?? '/').split('?')[0]!;
    const label = { path: 'unmatched' };
    const injected = pathname !== '/chaos' ? chaos.latencyMs : 0;
    let reply: Reply;
    try {
      reply = await dispatch(req, pathname, label);
    } catch (err) {
      if (err instanceof HttpError) reply = json(err.status, { error: err.message }, err.headers);
      else {
        log.error('handler failed', { method, path: label.path, error: err });
        reply = json(500, { error: 'internal error' });
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    // 499 (nginx's "client closed request") keeps the client giving up apart from the service failing.
    const status = gone ? 499 : reply.status;
    requests.inc({ method, path: label.path, status: String(status) });
    duration.observe({ method, path: label.path }, seconds);
    const fields: Record<string, unknown> = {
      method,
      path: pathname.slice(0, 256),
      route: label.path,
      status,
      duration_ms: Math.round(seconds * 1000),
    };
    if (injected) fields['injected_latency_ms'] = injected;
    const requestId = req.headers['x-request-id'];
    if (typeof requestId === 'string') fields['request_id'] = requestId.slice(0, 128);
    if (status >= 400 && reply.json && typeof reply.json === 'object' && 'error' in reply.json)
      fields['error'] = (reply.json as { error: unknown }).error;
    (status >= 500 ? log.error : status >= 400 ? log.warn : log.info)('request', fields);
    if (gone) return;
    const body = reply.text ?? `${JSON.stringify(reply.json ?? null)}\n`;
    res.writeHead(reply.status, {
      'content-type':
        reply.contentType ?? (reply.text === undefined ? 'application/json' : 'text/plain; charset=utf-8'),
      'content-length': Buffer.byteLength(body),
      ...reply.headers,
      // While shutting down, answer and hang up so server.close() need not wait out keep-alive.
      ...(closing.signal.aborted ? { connection: 'close' } : {}),
    });
    res.end(body);
  }

  return {
    name,
    log,
    registry,
    chaos,
    route,
    health: (fn) => {
      report = fn;
    },
    every: (ms, fn) => {
      timers.push(setInterval(fn, ms).unref());
    },
    onChaosChange: (fn) => {
      chaosListeners.push(fn);
    },
    listen: () =>
      new Promise((resolve, reject) => {
        // handle() answers every error itself; a failure here (e.g. writing to a dead socket) only ends the socket.
        const server = http.createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
        server.requestTimeout = 30_000;
        const host = options.host ?? '127.0.0.1';
        const failed = (err: Error) => {
          for (const t of timers) clearInterval(t);
          sink?.close();
          reject(err);
        };
        server.once('error', failed);
        server.listen(options.port, host, () => {
          server.off('error', failed);
          const port = (server.address() as AddressInfo).port;
          log.info('service started', { version, host, port, healthy: chaos.healthy, latency_ms: chaos.latencyMs });
          let closed: Promise<void> | undefined;
          const close = () => {
            closed ??= new Promise<void>((done) => {
              for (const t of timers) clearInterval(t);
              closing.abort();
              // Keep-alive clients may not send another request; do not wait on them past a grace period.
              const force = setTimeout(() => server.closeAllConnections(), 5000).unref();
              server.close(() => {
                clearTimeout(force);
                log.info('service stopped', { uptime_s: Math.floor((Date.now() - started) / 1000) });
                sink?.close();
                done();
              });
              server.closeIdleConnections();
            });
            return closed;
          };
          const urlHost = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${urlHost}:${port}`, port, close });
        });
      }),
  };
}
