// The one way tools make HTTP requests: bounded time and bytes, no redirects followed, only allowed origins,
// and every request counted in mcp_sidecar_localhost_requests_total{endpoint}.
import http from 'node:http';
import { nowMs } from '../clock.js';
import { ToolError } from '../errors.js';
import type { Counter } from '../metrics.js';
import type { HttpClient, HttpRequestOptions, HttpResponse } from '../types.js';

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface HttpClientOptions {
  /** true when the URL may be reached; the sidecar allows its app, Envoy admin and Prometheus, plus tool hosts */
  isAllowed: (url: URL) => boolean;
  requests?: Counter;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4 });
/** node:https (and with it TLS) is loaded on the first https URL only: the app and Envoy admin are plain http. */
let httpsModule: Promise<{ mod: typeof import('node:https'); agent: import('node:https').Agent }> | undefined;
function loadHttps() {
  httpsModule ??= import('node:https').then((mod) => ({
    mod,
    agent: new mod.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4 }),
  }));
  return httpsModule;
}

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  return {
    request(rawUrl: string, req: HttpRequestOptions = {}): Promise<HttpResponse> {
      let url: URL;
      try {
        url = new URL(rawUrl);
      } catch {
        return Promise.reject(new ToolError(`invalid URL ${JSON.stringify(rawUrl)}`));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return Promise.reject(new ToolError(`only http and https URLs are allowed, not ${url.protocol}`));
      }
      if (!opts.isAllowed(url)) {
        return Promise.reject(
          new ToolError(`host ${url.host} is not allowed for this sidecar (allowed: the app, Envoy admin, Prometheus)`),
        );
      }
      opts.requests?.inc({ endpoint: req.endpoint ?? url.pathname });
      if (url.protocol === 'http:') return send(url, req, http, httpAgent);
      return loadHttps().then(({ mod, agent }) => send(url, req, mod, agent));
    },
  };
}

/**
 * The client for one tool call: requests to the app (origin appUrl) carry the gateway's request id as x-request-id
 * unless the tool set one, so the app's log lines name the MCP call that caused them and trace_request finds them.
 */
export function withRequestId(client: HttpClient, appUrl: string, requestId: string): HttpClient {
  let app: string;
  try {
    app = new URL(appUrl).origin;
  } catch {
    return client;
  }
  return {
    request(rawUrl, req = {}) {
      let origin: string | undefined;
      try {
        origin = new URL(rawUrl).origin;
      } catch {
        // The client itself refuses it with the reason.
      }
      if (origin !== app || Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === 'x-request-id')) {
        return client.request(rawUrl, req);
      }
      return client.request(rawUrl, { ...req, headers: { 'x-request-id': requestId, ...req.headers } });
    },
  };
}

function send(
  url: URL,
  req: HttpRequestOptions,
  mod: Pick<typeof http, 'request'>,
  agent: http.Agent,
): Promise<HttpResponse> {
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  const started = nowMs();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const headers: Record<string, string> = { 'user-agent': 'meshmcp-sidecar', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = mod.request(url, {
      method: req.method ?? 'GET',
      headers,
      agent,
    });
    const timer = setTimeout(() => {
      r.destroy();
      fail(new ToolError(`${req.method ?? 'GET'} ${url.origin}${url.pathname} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => {
      r.destroy();
      fail(new ToolError(`${req.method ?? 'GET'} ${url.origin}${url.pathname} was cancelled`));
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused (is it running and listening?)' : err.message;
      fail(new ToolError(`${req.method ?? 'GET'} ${url.origin}${url.pathname} failed: ${why}`, { code: err.code }));
    });
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let bytes = 0;
      let truncated = false;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (kept < maxBytes) {
          const take = c.subarray(0, maxBytes - kept);
          chunks.push(take);
          kept += take.length;
        }
        if (bytes > maxBytes && !truncated) {
          truncated = true;
          // Stop reading: a misbehaving endpoint must not make the sidecar download megabytes.
          res.destroy();
          finish();
        }
      });
      res.on('end', finish);
      res.on('error', (err) => {
        if (!truncated) fail(err);
      });
      function finish() {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          bytes,
          truncated,
          durationMs: nowMs() - started,
        });
      }
    });
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
