// The translation between the two MCP revisions the bridge joins: 2025-11-25 (sessions; a server asks its client
// for input with a JSON-RPC request on the SSE answer of the client's POST) and 2026-07-28 (stateless; every request
// carries its `_meta` envelope, and a server that needs input returns `resultType: "input_required"` with
// `inputRequests` and a `requestState` the client retries with, adding `inputResponses`). Pure: no I/O, no state.
import { CAPABILITY_NAMES } from '../../shared/clientSessions.js';
import { isObject, type Json } from '../../shared/json.js';
import { isHandshakeVersion, LATEST_HANDSHAKE_VERSION, META } from '../mcp/versions.js';

export { CAPABILITY_NAMES, isObject, type Json };

export const MODERN_VERSION = '2026-07-28';
export const SESSION_VERSION = '2025-11-25';

export type RpcId = string | number;

/** The server-to-client requests the two revisions share (2026-07-28 embeds them in inputRequests). */
export const INPUT_METHODS: ReadonlySet<string> = new Set([
  'elicitation/create',
  'sampling/createMessage',
  'roots/list',
]);

/** The header through which the gateway tells the bridge what a 2025-11-25 client declared at initialize. */
export const CAPABILITIES_HEADER = 'x-meshmcp-client-capabilities';

export type Kind = 'request' | 'notification' | 'response' | 'invalid';

/** What a JSON-RPC message is, by its members. */
export function kindOf(m: unknown): Kind {
  if (!isObject(m) || m['jsonrpc'] !== '2.0') return 'invalid';
  const id = m['id'];
  const hasId = typeof id === 'string' || typeof id === 'number';
  if (typeof m['method'] === 'string') return hasId ? 'request' : 'id' in m ? 'invalid' : 'notification';
  if (hasId && ('result' in m ? isObject(m['result']) : isObject(m['error']))) return 'response';
  return 'invalid';
}

export const rpcResult = (id: RpcId | null, result: Json): Json => ({ jsonrpc: '2.0', id, result });

export function rpcError(id: RpcId | null, code: number, message: string, data?: unknown): Json {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } };
}

/**
 * The capabilities x-meshmcp-client-capabilities names (`elicitation,sampling`), as a 2026-07-28 envelope declares
 * them; absent or empty is none. A name outside CAPABILITY_NAMES is an error message, not a guess.
 */
export function capabilitiesFromHeader(v: string | string[] | undefined): Json | string {
  const raw = Array.isArray(v) ? v.join(',') : (v ?? '');
  const out: Json = {};
  for (const item of raw.split(',')) {
    const name = item.trim();
    if (name === '') continue;
    if (!(CAPABILITY_NAMES as readonly string[]).includes(name)) {
      return `${CAPABILITIES_HEADER} names ${JSON.stringify(name)}; it takes a comma list of ${CAPABILITY_NAMES.join(', ')}`;
    }
    out[name] = {};
  }
  return out;
}

/** The client capabilities a session is opened with: what the envelope declared for elicitation, sampling, roots. */
export function sessionCapabilities(envelopeCapabilities: unknown): Json {
  const out: Json = {};
  if (!isObject(envelopeCapabilities)) return out;
  for (const name of CAPABILITY_NAMES) {
    const v = envelopeCapabilities[name];
    if (isObject(v)) out[name] = v;
  }
  return out;
}

const ENVELOPE_PREFIX = 'io.modelcontextprotocol/';

/**
 * A 2026-07-28 request's params as a session's server reads them: the envelope members of _meta go (the session's
 * initialize said who the client is), the rest of _meta (a progress token, trace context) stays, and the retry
 * members (inputResponses, requestState) go: in a session, input travels as responses to the server's requests.
 */
export function withoutEnvelope(params: Json): Json {
  const { inputResponses: _r, requestState: _s, ...rest } = params;
  return withoutEnvelopeMeta(rest);
}

/** obj without the `io.modelcontextprotocol/*` members of its _meta (and without _meta when nothing is left). */
function withoutEnvelopeMeta(obj: Json): Json {
  const { _meta, ...rest } = obj;
  if (!isObject(_meta)) return rest;
  const kept = Object.fromEntries(Object.entries(_meta).filter(([k]) => !k.startsWith(ENVELOPE_PREFIX)));
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}

/** A 2025-era request's params as a 2026-07-28 server requires them: the envelope added to _meta. */
export function withEnvelope(params: Json, capabilities: Json, clientInfo: Json): Json {
  const meta = isObject(params['_meta']) ? params['_meta'] : {};
  return {
    ...params,
    _meta: {
      ...meta,
      [META.protocolVersion]: MODERN_VERSION,
      [META.clientCapabilities]: capabilities,
      [META.clientInfo]: clientInfo,
    },
  };
}

/** Methods whose Mcp-Name header mirrors a params member (2026-07-28). */
const NAME_SOURCE: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** The target of a request (a tool or prompt name, a resource URI), as its Mcp-Name header names it. */
export function targetOf(method: string, params: Json): string | undefined {
  const field = NAME_SOURCE[method];
  const v = field ? params[field] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** A header value as 2026-07-28 carries it: plain visible ASCII as is, anything else as =?base64?…?= (SEP-2243). */
export function headerValue(s: string): string {
  const plain = s !== '' && s === s.trim() && /^[\x20-\x7e\t]*$/.test(s) && !/^=\?base64\?.*\?=$/.test(s);
  return plain ? s : `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

/** The headers a 2026-07-28 request must carry beside its body. */
export function modernHeaders(method: string, params: Json): Record<string, string> {
  const target = targetOf(method, params);
  return {
    'mcp-protocol-version': MODERN_VERSION,
    'mcp-method': method,
    ...(target === undefined ? {} : { 'mcp-name': headerValue(target) }),
  };
}

/** Results that say how long they may be cached (2026-07-28): lists, resources/read, server/discover. */
const CACHED = /\/list$|^resources\/read$|^server\/discover$/;

/**
 * A session server's result as a 2026-07-28 client requires it: `resultType: "complete"`, the server's identity in
 * _meta, and for lists and reads the caching hints (ttlMs 0, private: nothing the server said allows more).
 */
export function modernResult(method: string, result: Json, serverInfo?: Json): Json {
  const meta = isObject(result['_meta']) ? result['_meta'] : {};
  return {
    ...result,
    ...(CACHED.test(method) && !('ttlMs' in result) ? { ttlMs: 0, cacheScope: 'private' } : {}),
    resultType: 'complete',
    ...(serverInfo ? { _meta: { [META.serverInfo]: serverInfo, ...meta } } : {}),
  };
}

/** A 2026-07-28 result as a 2025-era client reads it: the revision's own members (resultType, _meta keys) go. */
export function sessionResult(result: Json): Json {
  const { resultType: _t, ...rest } = result;
  return withoutEnvelopeMeta(rest);
}

/** The input_required result a 2026-07-28 client gets for the server requests a session's server sent. */
export function inputRequiredResult(
  inputRequests: Record<string, Json>,
  requestState: string,
  serverInfo?: Json,
): Json {
  return {
    resultType: 'input_required',
    inputRequests,
    requestState,
    ...(serverInfo ? { _meta: { [META.serverInfo]: serverInfo } } : {}),
  };
}

/**
 * A session server's request as a 2026-07-28 input request: its method and params, without what 2026-07-28 drops
 * (a URL elicitation's elicitationId: completion travels in the retry, not in a notification).
 */
export function inputRequestOf(request: Json): Json {
  const method = request['method'] as string;
  const params = isObject(request['params']) ? request['params'] : undefined;
  if (method === 'elicitation/create' && params?.['mode'] === 'url') {
    const { elicitationId: _e, ...rest } = params;
    return { method, params: rest };
  }
  return params === undefined ? { method } : { method, params };
}

/**
 * A 2026-07-28 input request as the JSON-RPC request a 2025-era client answers; undefined when it is not one of
 * INPUT_METHODS. A URL elicitation gets the elicitationId 2025-11-25 requires.
 */
export function sessionRequestOf(id: string, input: unknown, elicitationId: () => string): Json | undefined {
  if (!isObject(input) || typeof input['method'] !== 'string' || !INPUT_METHODS.has(input['method'])) return undefined;
  const method = input['method'];
  let params = isObject(input['params']) ? input['params'] : undefined;
  if (method === 'elicitation/create' && params?.['mode'] === 'url' && params['elicitationId'] === undefined) {
    params = { ...params, elicitationId: elicitationId() };
  }
  return { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
}

/** A 2025-11-25 initialize result as server/discover's (capabilities that 2026-07-28 removed taken out). */
export function discoverResult(init: Json): Json {
  const caps = isObject(init['capabilities']) ? { ...init['capabilities'] } : {};
  delete caps['tasks'];
  if (isObject(caps['resources'])) {
    const { subscribe: _s, ...resources } = caps['resources'];
    caps['resources'] = resources;
  }
  return modernResult(
    'server/discover',
    {
      supportedVersions: [MODERN_VERSION],
      capabilities: caps,
      ...(typeof init['instructions'] === 'string' ? { instructions: init['instructions'] } : {}),
    },
    isObject(init['serverInfo']) ? init['serverInfo'] : undefined,
  );
}

/** server/discover's result as the answer to a 2025-era initialize asking for `requested`. */
export function initializeResult(discover: Json, requested: unknown, fallbackInfo: Json): Json {
  const meta = isObject(discover['_meta']) ? discover['_meta'] : {};
  const info = meta[META.serverInfo];
  return {
    protocolVersion:
      typeof requested === 'string' && isHandshakeVersion(requested) ? requested : LATEST_HANDSHAKE_VERSION,
    capabilities: isObject(discover['capabilities']) ? discover['capabilities'] : {},
    serverInfo: isObject(info) ? info : fallbackInfo,
    ...(typeof discover['instructions'] === 'string' ? { instructions: discover['instructions'] } : {}),
  };
}

/** The progress token a request's _meta carries, if any. */
export function progressTokenOf(params: Json): RpcId | undefined {
  const meta = params['_meta'];
  const t = isObject(meta) ? meta['progressToken'] : undefined;
  return typeof t === 'string' || typeof t === 'number' ? t : undefined;
}

/** A progress notification re-addressed to the token of the request now waiting for it. */
export function withProgressToken(notification: Json, token: RpcId): Json {
  const params = isObject(notification['params']) ? notification['params'] : {};
  return { ...notification, params: { ...params, progressToken: token } };
}
