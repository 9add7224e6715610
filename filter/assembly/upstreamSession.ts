// A session per call, in the pod's proxy, for an MCP server of the pod's own that keeps sessions (a revision before
// 2026-07-28): the aggregated /mcp is sessionless, so when the gateway routes it a request marked
// `x-meshmcp-upstream-session: call`, this filter holds the request, opens a session on the server itself
// (initialize, then notifications/initialized, through the `meshmcp-upstream` cluster the pod's EnvoyFilter adds),
// sends the request in it, and ends it (DELETE) when the stream is over. Everything stays in the pod, so no gateway
// or control replica holds state, and a server restart costs nothing but the calls in flight.
//
// A 2025-11-25 tools/call that asks for a task (mark `task`) needs its session after the call: the task lives there.
// Its session id goes back to the gateway in `x-meshmcp-task-session`, which puts it into the task id it hands out
// (taskIds.ts), and the session is kept for the task's ttl (at most a day; an hour when it names none), at most
// MAX_KEPT per worker, the oldest ended first when more come. The task's methods come back marked `resume` with
// that session, and go straight into it. Kept sessions past their time are ended at the worker's next tick
// (SWEEP_PERIOD_MS), so an idle proxy ends them too.

import {
  CALL_RESPONSE_BODY,
  CALL_RESPONSE_HEADERS,
  bufferBytes,
  continueRequest,
  enterStream,
  getHeader,
  HostBytes,
  httpCall,
  nowNanos,
  release,
  removeHeader,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  sendLocalResponse,
  setHeader,
} from './abi';
import { Outcome } from './errors';
import { Verdict } from './responseScan';
import { Stream } from './stream';

/** The cluster the sidecar EnvoyFilter adds: the pod's own server on loopback (control/render/envoyFilter.ts). */
export const UPSTREAM_CLUSTER = 'meshmcp-upstream';
/** The gateway's mark on a request that needs a session opened for it (`call`, `task`), or one kept (`resume`). */
export const SESSION_MARK = 'x-meshmcp-upstream-session';
/** The session a task lives in: from the pod to the gateway on `task`, back to the pod on `resume`. */
export const TASK_SESSION = 'x-meshmcp-task-session';
/** Sessions kept for tasks, per worker. */
export const MAX_KEPT: i32 = 256;
const NO_TTL_MS: u64 = 3600_000;
const MAX_TTL_MS: u64 = 86400_000;
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

class Kept {
  constructor(
    public path: string,
    public authority: string,
    public session: string,
    public version: string,
    public until: u64,
  ) {}
}

/** Sessions kept for tasks, oldest first. */
const kept = new Array<Kept>();

function end(k: Kept): void {
  send('DELETE', new Call(0, CLOSE, k.path, k.authority, k.session, k.version), '');
}

/** How often a worker of a pod whose server keeps sessions ends the kept sessions whose time is over. */
export const SWEEP_PERIOD_MS: u32 = 60_000;

/** Ends the kept sessions whose time is over (proxy_on_tick; a clock read only when some are kept). */
export function endExpiredSessions(): void {
  if (kept.length === 0) return;
  const now = nowNanos() / 1_000_000;
  let n = 0;
  for (let i = 0; i < kept.length; i++) {
    if (kept[i].until <= now) end(kept[i]);
    else {
      kept[n] = kept[i];
      n++;
    }
  }
  kept.length = n;
}

/**
 * on_log: the session this stream's call used is ended, unless it was opened for a task and the server answered:
 * then it is kept for the task's ttl.
 */
export function endOrKeepSession(s: Stream, path: string): void {
  const k = new Kept(path, s.upstreamAuthority, s.upstreamSession, s.upstreamVersion, 0);
  s.upstreamSession = '';
  const scan = s.scan;
  const answered = s.upstreamStatus === 200 && (scan == null || scan.verdict !== Verdict.Error);
  if (!s.keepSession || !answered) {
    end(k);
    return;
  }
  const ttl = s.taskTtlMs;
  k.until = nowNanos() / 1_000_000 + (ttl < 0 ? NO_TTL_MS : <u64>ttl < MAX_TTL_MS ? <u64>ttl : MAX_TTL_MS);
  if (kept.length >= MAX_KEPT) end(kept.shift());
  kept.push(k);
}

/** on_response_headers in sidecar mode, a call that asked for a task: the gateway learns the session it lives in. */
export function giveTaskSession(s: Stream): void {
  if (s.upstreamSession.length > 0) setHeader(RESPONSE_HEADERS, TASK_SESSION, s.upstreamSession);
}

/**
 * on_request_headers, marked `resume`: the request goes into the session its task was kept in; unchanged when the
 * gateway named no session.
 */
export function resumeSession(): void {
  const session = getHeader(REQUEST_HEADERS, TASK_SESSION);
  removeHeader(REQUEST_HEADERS, TASK_SESSION);
  if (session == null || session.length === 0) return;
  setHeader(REQUEST_HEADERS, 'mcp-session-id', session);
  setHeader(REQUEST_HEADERS, 'mcp-protocol-version', ASKED_VERSION);
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
