// A session per call, in the pod's proxy, for an MCP server of the pod's own that keeps sessions (a revision before
// 2026-07-28): the aggregated /mcp is sessionless, so when the gateway routes it a request marked
// `x-meshmcp-upstream-session: call`, this filter holds the request, opens a session on the server itself
// (initialize, then notifications/initialized, through the `meshmcp-upstream` cluster the pod's EnvoyFilter adds),
// sends the request in it, and ends it (DELETE) when the stream is over. Everything stays in the pod, so no gateway
// or control replica holds state, and a server restart costs nothing but the calls in flight.

import {
  CALL_RESPONSE_BODY,
  CALL_RESPONSE_HEADERS,
  bufferBytes,
  DATA_CONTINUE,
  DATA_STOP_BUFFER,
  continueRequest,
  enterStream,
  getHeader,
  HostBytes,
  httpCall,
  release,
  REQUEST_BODY,
  REQUEST_HEADERS,
  replaceBuffer,
  RESPONSE_BODY,
  sendLocalResponse,
  setHeader,
} from './abi';
import { Outcome } from './errors';
import { MAX_SCAN_BYTES } from './responseScan';
import { JsonKind, JsonRange } from './jsonScanner';
import { Stream } from './stream';

/** The cluster the sidecar EnvoyFilter adds: the pod's own server on loopback (control/render/envoyFilter.ts). */
export const UPSTREAM_CLUSTER = 'meshmcp-upstream';
/** The gateway's mark on a request that needs a session opened for it. */
export const SESSION_MARK = 'x-meshmcp-upstream-session';
const ASKED_VERSION = '2025-11-25';
const CALL_TIMEOUT_MS: u32 = 5000;
/** How much of initialize's answer is read for the negotiated protocolVersion. */
const MAX_INIT_BYTES: i32 = 65536;

const OPEN: u8 = 1;
const READY: u8 = 2;
const CLOSE: u8 = 3;

class Call {
  constructor(
    public stream: u32,
    public step: u8,
    public path: string,
    public authority: string,
    public session: string,
    public version: string,
  ) {}
}

/** Calls in flight, by token. */
const calls = new Map<u32, Call>();
const answer = new HostBytes();

function headersFor(method: string, c: Call): string[] {
  const names = [':method', ':path', ':authority', 'accept'];
  if (method === 'POST') names.push('content-type');
  if (c.session.length > 0) {
    names.push('mcp-session-id');
    names.push('mcp-protocol-version');
  }
  return names;
}

function send(method: string, c: Call, body: string): bool {
  const values = [method, c.path, c.authority, 'application/json, text/event-stream'];
  if (method === 'POST') values.push('application/json');
  if (c.session.length > 0) {
    values.push(c.session);
    values.push(c.version);
  }
  const token = httpCall(UPSTREAM_CLUSTER, headersFor(method, c), values, body, CALL_TIMEOUT_MS);
  if (token === 0) return false;
  calls.set(token, c);
  return true;
}

/**
 * on_request_headers: starts opening a session for the stream; the caller returns Stop (Envoy keeps the body for
 * this filter until the stream is continued). False: the call could not be made, and the request was answered.
 */
export function openSession(s: Stream, path: string, authority: string): bool {
  s.upstreamAuthority = authority;
  s.holding = true;
  const c = new Call(s.id, OPEN, path, authority, '', ASKED_VERSION);
  const init =
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"' +
    ASKED_VERSION +
    '","capabilities":{},"clientInfo":{"name":"meshmcp","version":"1"}}}';
  if (send('POST', c, init)) return true;
  failOpen(s, 'no route to the server (cluster ' + UPSTREAM_CLUSTER + ')');
  return false;
}

/** on_log: the session this stream's call used is ended. */
export function closeSession(s: Stream, path: string): void {
  send('DELETE', new Call(0, CLOSE, path, s.upstreamAuthority, s.upstreamSession, s.upstreamVersion), '');
  s.upstreamSession = '';
}

/**
 * The session could not be opened: a 503 in the router's own form (plain text), so the gateway answers a tools/call
 * as it answers for a server that is down, with an isError result naming it (unavailable.ts).
 */
function failOpen(s: Stream, why: string): void {
  s.holding = false;
  s.outcome = Outcome.Unavailable;
  s.decided = true;
  sendLocalResponse(
    503,
    'meshmcp_upstream_session',
    s.service + ' did not open a session: ' + why,
    ['content-type'],
    ['text/plain'],
  );
}

/** The protocolVersion initialize's answer (JSON or one SSE event) negotiated; `fallback` when it names none. */
function negotiated(size: u32, fallback: string): string {
  const n = <i32>size < MAX_INIT_BYTES ? <i32>size : MAX_INIT_BYTES;
  if (n <= 0 || !bufferBytes(CALL_RESPONSE_BODY, n, answer)) return fallback;
  const text = String.UTF8.decodeUnsafe(answer.ptr, <usize>answer.len);
  release(answer);
  const key = '"protocolVersion":"';
  const at = text.indexOf(key);
  if (at < 0) return fallback;
  const from = at + key.length;
  const to = text.indexOf('"', from);
  // A revision is a date: digits and dashes, nothing to escape into a header.
  if (to < 0 || to - from !== 10) return fallback;
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x2d && (ch < 0x30 || ch > 0x39)) return fallback;
  }
  return text.substring(from, to);
}

/**
 * proxy_on_http_call_response (root context). `streams` finds a stream still alive; a session whose stream is
 * gone is ended at once.
 */
export function onCallAnswer(token: u32, bodySize: u32, streams: Map<u32, Stream>): void {
  if (!calls.has(token)) return;
  const c = calls.get(token);
  calls.delete(token);
  if (c.step === CLOSE) return;
  const alive = streams.has(c.stream) && enterStream(c.stream);
  if (c.step === OPEN) {
    const status = getHeader(CALL_RESPONSE_HEADERS, ':status');
    const session = getHeader(CALL_RESPONSE_HEADERS, 'mcp-session-id');
    if (session != null && session.length > 0) {
      c.session = session;
      c.version = negotiated(bodySize, ASKED_VERSION);
    }
    if (!alive) {
      if (c.session.length > 0) send('DELETE', c, '');
      return;
    }
    const s = streams.get(c.stream);
    if (c.session.length === 0) {
      failOpen(s, status == null ? 'no answer' : 'initialize answered HTTP ' + status + ' without Mcp-Session-Id');
      return;
    }
    c.step = READY;
    if (!send('POST', c, '{"jsonrpc":"2.0","method":"notifications/initialized"}')) {
      send('DELETE', c, '');
      failOpen(s, 'no route to the server (cluster ' + UPSTREAM_CLUSTER + ')');
    }
    return;
  }
  // READY: notifications/initialized was answered; the held request goes on in the session.
  if (!alive) {
    send('DELETE', c, '');
    return;
  }
  const s = streams.get(c.stream);
  s.holding = false;
  s.upstreamSession = c.session;
  s.upstreamVersion = c.version;
  setHeader(REQUEST_HEADERS, 'mcp-session-id', c.session);
  setHeader(REQUEST_HEADERS, 'mcp-protocol-version', c.version);
  continueRequest();
}

const ENVELOPE_PREFIX = 'io.modelcontextprotocol/';

/** Where the JSON value starting at i ends (the index after it); the scanner has proved the text well-formed. */
function valueEnd(p: usize, i: i32, end: i32): i32 {
  let depth = 0;
  while (i < end) {
    const c = load<u8>(p + <usize>i);
    if (c === 0x22) {
      i++;
      while (i < end) {
        const d = load<u8>(p + <usize>i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      if (depth === 0) return i;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === 0x2c || c <= 0x20)) return i;
    i++;
  }
  return end;
}

function isPrefixed(p: usize, keyStart: i32, keyEnd: i32): bool {
  if (keyEnd - keyStart - 2 < ENVELOPE_PREFIX.length) return false;
  for (let k = 0; k < ENVELOPE_PREFIX.length; k++) {
    if (<i32>load<u8>(p + <usize>(keyStart + 1 + k)) !== ENVELOPE_PREFIX.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * on_request_body of a request sent into a session opened here: a 2026-07-28 request carries its revision's
 * envelope in params._meta (`io.modelcontextprotocol/*`: protocol version, client info and capabilities), which a
 * server of an older revision reads as a request of the newer one; the session already told it who the client is,
 * so those members go, and the rest of _meta (a traceparent, a progress token) stays.
 */
export function stripEnvelope(s: Stream, p: usize, n: i32, meta: JsonRange): void {
  if (s.upstreamSession.length === 0 || meta.kind !== JsonKind.Object) return;
  const out = new ArrayBuffer(n);
  const q = changetype<usize>(out);
  // Members are copied one by one, each with the comma before it; the first kept one loses its comma.
  memory.copy(q, p, <usize>(meta.start + 1));
  let to = meta.start + 1;
  let i = meta.start + 1;
  const end = meta.end - 1;
  let kept = 0;
  let cut = false;
  while (i < end) {
    const c = load<u8>(p + <usize>i);
    if (c !== 0x22) {
      i++;
      continue;
    }
    const keyEnd = valueEnd(p, i, end);
    let v = keyEnd;
    while (v < end && load<u8>(p + <usize>v) !== 0x3a) v++;
    v++;
    while (v < end && load<u8>(p + <usize>v) <= 0x20) v++;
    const memberEnd = valueEnd(p, v, end);
    if (isPrefixed(p, i, keyEnd)) {
      cut = true;
    } else {
      if (kept > 0) {
        store<u8>(q + <usize>to, 0x2c);
        to++;
      }
      memory.copy(q + <usize>to, p + <usize>i, <usize>(memberEnd - i));
      to += memberEnd - i;
      kept++;
    }
    i = memberEnd;
  }
  if (!cut) return;
  s.bridgedDown = true;
  memory.copy(q + <usize>to, p + <usize>end, <usize>(n - end));
  to += n - end;
  // The headers went on before this body did (StopAll), Content-Length with them: the body keeps its length, with
  // the JSON whitespace allowed after the message where the members were.
  memory.fill(q + <usize>to, 0x20, <usize>(n - to));
  replaceBuffer(REQUEST_BODY, n, out);
}

const RESULT_KEY = '"result":{';
const RESULT_TYPE = '"resultType":"complete"';

/**
 * on_response_body of a request bridged down (stripEnvelope): a 2026-07-28 client requires `resultType` in a
 * result (and caching hints in a resources/read result), which an older server does not write, so the answer (JSON,
 * or the events of an SSE stream) is held to its end and each result gets `"resultType":"complete"` (and
 * `ttlMs: 0`, `cacheScope: private`: nothing the server said allows more). Response headers dropped Content-Length
 * for it. The answer is then read by the stream's scan, as usual.
 */
export function completeResults(s: Stream, size: i32, endOfStream: bool): u32 {
  if (!endOfStream) return DATA_STOP_BUFFER;
  if (size <= 0 || !bufferBytes(RESPONSE_BODY, size, answer)) return DATA_CONTINUE;
  const text = String.UTF8.decodeUnsafe(answer.ptr, <usize>answer.len);
  release(answer);
  // A read's result must also say how long it may be cached: an older server says nothing, so not at all.
  const members = s.method === 'resources/read' ? RESULT_TYPE + ',"ttlMs":0,"cacheScope":"private"' : RESULT_TYPE;
  let out = '';
  let from = 0;
  let at = text.indexOf(RESULT_KEY);
  while (at >= 0) {
    const open = at + RESULT_KEY.length;
    out += text.substring(from, open) + members + (text.charCodeAt(open) === 0x7d ? '' : ',');
    from = open;
    at = text.indexOf(RESULT_KEY, open);
  }
  const bytes = String.UTF8.encode(from === 0 ? text : out + text.substring(from));
  replaceBuffer(RESPONSE_BODY, size, bytes);
  const scan = s.scan;
  if (scan != null) {
    const n = min<i32>(bytes.byteLength, MAX_SCAN_BYTES);
    scan.feed(changetype<usize>(bytes), n);
    scan.finish();
  }
  return DATA_CONTINUE;
}
