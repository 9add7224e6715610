// HTTP/1 ↔ Envoy header maps for the front: pseudo-headers, hop-by-hop removal, and the router's own replies.

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { LocalReply } from './context.js';
import { type HeaderPairs, toBytes } from './memory.js';

// Envoy's HTTP/1 codec and connection manager drop these before filters see a request, and before a response goes out.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  const named = String(headers['connection'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return new Set([...HOP_BY_HOP, ...named]);
}

/** Raw header lines as pairs (duplicates kept, names lower-cased), minus hop-by-hop ones. */
function rawPairs(raw: string[], headers: IncomingHttpHeaders, skip: Set<string> = new Set()): HeaderPairs {
  const drop = hopByHop(headers);
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!drop.has(name) && !skip.has(name)) out.push([name, raw[i + 1]!]);
  }
  return out;
}

/**
 * The request as Envoy's filters see it: pseudo-headers first, `host` folded into `:authority`, and the headers the
 * connection manager adds (x-request-id when absent, x-forwarded-proto).
 */
export function requestPairs(req: IncomingMessage, scheme = 'http'): HeaderPairs {
  const pairs: HeaderPairs = [
    [':method', req.method ?? 'GET'],
    [':path', req.url ?? '/'],
    [':authority', req.headers.host ?? ''],
    [':scheme', scheme],
  ];
  pairs.push(...rawPairs(req.rawHeaders, req.headers, new Set(['host'])));
  if (req.headers['x-request-id'] === undefined) pairs.push(['x-request-id', randomUUID()]);
  if (req.headers['x-forwarded-proto'] === undefined) pairs.push(['x-forwarded-proto', scheme]);
  return pairs;
}

/** Whether an HTTP/1 message carries no body, so end_of_stream rides on its headers (as Envoy's codec does). */
export function requestHasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || Number(length) === 0);
}

export function responseHasNoBody(method: string, res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return true;
  return res.headers['transfer-encoding'] === undefined && Number(res.headers['content-length'] ?? -1) === 0;
}

export function responsePairs(res: IncomingMessage): HeaderPairs {
  return [[':status', String(res.statusCode ?? 502)], ...rawPairs(res.rawHeaders, res.headers)];
}

/** Pairs without pseudo-headers, as a flat [name, value, ...] list node:http accepts (duplicates kept). */
export function wirePairs(pairs: HeaderPairs, skip: string[] = []): string[] {
  const out: string[] = [];
  for (const [k, v] of pairs) if (!k.startsWith(':') && !skip.includes(k)) out.push(k, v);
  return out;
}

export function header(pairs: HeaderPairs, name: string): string | undefined {
  return pairs.find(([k]) => k === name)?.[1];
}

const routerReply = (status: number, body: string, details: string): LocalReply => ({
  status,
  body: toBytes(body),
  headers: [],
  details,
  grpcStatus: -1,
});

/** Envoy's router when no route matches: 404 with an empty body. */
export const routeNotFound = () => routerReply(404, '', 'route_not_found');

export function upstreamReset(reason: 'connection failure' | 'connection termination'): LocalReply {
  return routerReply(
    503,
    `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`,
    `upstream_reset_before_response_started{${reason.replace(' ', '_')}}`,
  );
}

export const upstreamTimeout = () => routerReply(504, 'upstream request timeout', 'upstream_response_timeout');

/** The connection manager's answer when a stream sits idle (here: held by the filter) past the timeout. */
export const streamTimeout = () => routerReply(408, 'stream timeout', 'stream_idle_timeout');
