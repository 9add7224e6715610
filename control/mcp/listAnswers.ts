// The four list methods answered from page text: the fast path for a plain list request, which the MCP SDK would
// answer with a page of the caller's view (or refuse its cursor). The SDK's handler builds a Server and a transport
// per request and serialises the whole page each time; here the page's JSON text is made once per catalog, view
// version and offset (listViews.ts pageText) and written between the envelope the SDK would put around it, byte for
// byte (test/control/listAnswers.test.ts checks the two against each other in both revisions). Any other request,
// or one the SDK might answer otherwise, is left to the SDK: answer() returns undefined. Pure but for the caches and
// the clock behind the hints.

import type { IncomingHttpHeaders } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  classifyInboundRequest,
  isJsonContentType,
  PROTOCOL_VERSION_META_KEY,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
import { isObject } from '../../shared/json.js';
import type { ListKind } from '../types.js';
import type { Identity } from './authorize.js';
import type { ListFreshness } from './listFreshness.js';
import { KINDS, LIST_KINDS } from './listKinds.js';
import { CursorError, type ListViews } from './listViews.js';

/** The one 2026-07-28-era revision the SDK serves per request (its SUPPORTED_MODERN_PROTOCOL_VERSIONS). */
const MODERN = '2026-07-28';
/** The 2025-era revisions the SDK's stateless transport accepts in MCP-Protocol-Version. */
const LEGACY_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < MODERN));
/** The per-request envelope a 2026-07-28 list request may carry, and nothing else in its `_meta`. */
const ENVELOPE_KEYS = new Set([PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY]);
const BY_METHOD = new Map(LIST_KINDS.map((k) => [KINDS[k].list, k]));

/** What the SDK's stateless 2025-11-25 transport answers a request with: one SSE event. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEAD = 'event: message\ndata: ';
const SSE_TAIL = '\n\n';

/** A whole HTTP answer: its status, headers (content-length included) and body, in parts to write in order. */
export interface ListAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer[];
}

/** A header as the web Headers the SDK reads would give it (repeats joined by ", "). */
function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

const only = (o: Record<string, unknown>, keys: ReadonlySet<string>) => Object.keys(o).every((k) => keys.has(k));
const MESSAGE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const PARAM_KEYS = new Set(['cursor', '_meta']);

interface ListRequest {
  kind: ListKind;
  id: string | number;
  cursor: string | undefined;
  era: 'legacy' | 'modern';
}

/**
 * The list request in this POST, when it is one the SDK would serve as a plain list request: a single JSON-RPC
 * request (string or integer id) for one of the four lists, with at most a string cursor and, in 2026-07-28, the
 * envelope; its era as the SDK's own classifier decides it, and the headers each era's serving checks as it wants
 * them (2025: both media types accepted, a 2025 MCP-Protocol-Version or none; 2026-07-28: MCP-Protocol-Version and
 * Mcp-Method naming exactly the body's). Anything else is undefined, and the SDK answers it.
 */
export function listRequestOf(headers: IncomingHttpHeaders, body: Buffer): ListRequest | undefined {
  const contentType = header(headers, 'content-type');
  if (contentType === undefined || !isJsonContentType(contentType)) return undefined;
  let msg: unknown;
  try {
    msg = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(msg) || !only(msg, MESSAGE_KEYS) || msg['jsonrpc'] !== '2.0') return undefined;
  const kind = typeof msg['method'] === 'string' ? BY_METHOD.get(msg['method']) : undefined;
  const id = msg['id'];
  if (kind === undefined || (typeof id !== 'string' && !Number.isSafeInteger(id))) return undefined;
  const params = msg['params'];
  if (params !== undefined && (!isObject(params) || !only(params, PARAM_KEYS))) return undefined;
  const cursor = params?.['cursor'];
  if (cursor !== undefined && typeof cursor !== 'string') return undefined;
  const meta = params?.['_meta'];
  if (meta !== undefined && (!isObject(meta) || !only(meta, ENVELOPE_KEYS))) return undefined;

  const version = header(headers, 'mcp-protocol-version');
  const method = header(headers, 'mcp-method');
  const name = header(headers, 'mcp-name');
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    ...(version !== undefined ? { protocolVersionHeader: version } : {}),
    ...(method !== undefined ? { mcpMethodHeader: method } : {}),
    ...(name !== undefined ? { mcpNameHeader: name } : {}),
    body: msg,
  });
  const base = { kind, id: id as string | number, cursor: cursor as string | undefined };
  if (route.kind === 'legacy') {
    const accept = header(headers, 'accept');
    if (meta !== undefined || accept === undefined) return undefined;
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
    if (version !== undefined && !LEGACY_VERSIONS.has(version)) return undefined;
    return { ...base, era: 'legacy' };
  }
  if (route.kind === 'modern' && route.messageKind === 'request' && route.classification.revision === MODERN) {
    if (version !== MODERN || method !== msg['method']) return undefined;
    return { ...base, era: 'modern' };
  }
  return undefined;
}

export class ListAnswers {
  /** How the SDK ends every 2026-07-28 result: `resultType`, then `_meta` with the server's identity. */
  private readonly modernTail: string;

  constructor(
    private readonly views: ListViews,
    private readonly freshness: ListFreshness,
    serverInfo: { name: string; version: string },
  ) {
    this.modernTail = `,"resultType":"complete","_meta":${JSON.stringify({ [SERVER_INFO_META_KEY]: serverInfo })}}`;
  }

  /**
   * The answer to a plain list request of this caller's (on a server's own endpoint when `service` is given), as the
   * SDK would write it: a page of the caller's view, or the -32602 of a cursor it refuses. Undefined when the request
   * is not one (listRequestOf) or the list has an item the SDK rewrites for a revision: the SDK answers those.
   */
  answer(headers: IncomingHttpHeaders, raw: Buffer, id: Identity, service?: string): ListAnswer | undefined {
    const req = listRequestOf(headers, raw);
    if (req === undefined || !this.views.sameOnBothRevisions(req.kind)) return undefined;
    const rpcId = JSON.stringify(req.id);
    const [open, close] = req.era === 'legacy' ? [SSE_HEAD, SSE_TAIL] : ['', ''];
    let body: Buffer[];
    try {
      const page = this.views.pageText(req.kind, id, req.cursor, service);
      let tail = '';
      if (page.nextCursor !== undefined) tail += `,"nextCursor":${JSON.stringify(page.nextCursor)}`;
      if (req.era === 'modern') {
        const { ttlMs, cacheScope } = this.freshness.hint(req.kind, page.view);
        // The SDK sends a ttlMs that is not a non-negative safe integer as 0.
        tail += `,"ttlMs":${Number.isSafeInteger(ttlMs) && ttlMs >= 0 ? ttlMs : 0},"cacheScope":${JSON.stringify(cacheScope)}`;
        tail += this.modernTail;
      } else {
        tail += '}';
      }
      body = [
        Buffer.from(`${open}{"result":{${JSON.stringify(req.kind)}:`),
        page.items,
        Buffer.from(`${tail},"jsonrpc":"2.0","id":${rpcId}}${close}`),
      ];
    } catch (err) {
      // Anything but a refused cursor is the SDK's to answer (and report).
      if (!(err instanceof CursorError)) return undefined;
      const error = JSON.stringify({ code: ProtocolErrorCode.InvalidParams, message: err.message });
      body = [Buffer.from(`${open}{"jsonrpc":"2.0","id":${rpcId},"error":${error}}${close}`)];
    }
    // 2025-11-25: the stateless transport's one SSE event; 2026-07-28: the JSON answer.
    const length = body.reduce((n, b) => n + b.length, 0);
    const answered = req.era === 'legacy' ? SSE_HEADERS : JSON_HEADERS;
    return { status: 200, headers: { ...answered, 'content-length': String(length) }, body };
  }
}
