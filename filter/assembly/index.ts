// Entry of meshmcp.wasm: the proxy-wasm ABI 0.2.1 exports, wired to the two-context model. A root context parses
// and validates the configuration once in on_configure (false keeps Envoy's last good one); each stream context
// takes the root's Runtime at creation and, once its request headers show it is one for this filter (in gateway
// mode: for an MCP host), gets its Stream and hands its callbacks to the gateway or sidecar handlers.

import {
  hostAlloc,
  resetArena,
  getHeader,
  HEADERS_CONTINUE,
  DATA_CONTINUE,
  DATA_STOP_NO_BUFFER,
  bufferBytes,
  HostBytes,
  log,
  LOG_ERROR,
  LOG_INFO,
  PLUGIN_CONFIGURATION,
  release,
  removeHeader,
  RESPONSE_BODY,
  RESPONSE_HEADERS,
  setTickPeriod,
} from './abi';
import { parseConfig } from './config';
import { Mode } from './configTypes';
import { Outcome } from './errors';
import { ensureSlots } from './rateLimit';
import { gatewayRequestBody, gatewayRequestHeaders, sealResponseSession, takeTaskSession } from './gateway';
import { Runtime } from './runtime';
import { sidecarRequestBody, sidecarRequestHeaders } from './sidecar';
import { isRouterFailure, taskGone, taskGoneHeaders, unavailableBody, unavailableHeaders } from './unavailable';
import { MAX_SCAN_BYTES, ResponseScan } from './responseScan';
import { finishStream, Stream } from './stream';
import {
  endExpiredSessions,
  endOrKeepSession,
  giveTaskSession,
  onCallAnswer,
  SWEEP_PERIOD_MS,
} from './upstreamSession';
import { completeResults } from './bridgeDown';
import { wrapChunk } from './resultUris';
import { wrapTaskIds } from './taskWrap';
import { enter, GC, leave, SCAN } from './profile';

/** Runtime per root context id; null until a configuration was accepted. */
const roots = new Map<u32, Runtime | null>();
/** Streams created but not yet past their request headers, with the Runtime they were created under. */
const pending = new Map<u32, Runtime | null>();
/** Streams this filter handles; any other stream id gets Continue from every callback. */
const streams = new Map<u32, Stream>();
const configBytes = new HostBytes();

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: usize): usize {
  return hostAlloc(size);
}

export function proxy_on_memory_allocate(size: usize): usize {
  return hostAlloc(size);
}

export function proxy_on_context_create(id: u32, parent: u32): void {
  resetArena();
  if (parent === 0) {
    roots.set(id, null);
    return;
  }
  const rt = roots.has(parent) ? roots.get(parent) : null;
  // A stream always has a configured root in Envoy (a plugin that never configured is never installed); the
  // guard keeps a host that thinks otherwise from reaching a null config.
  if (rt != null) pending.set(id, rt);
}

export function proxy_on_vm_start(_root: u32, _size: u32): u32 {
  return 1;
}

export function proxy_on_configure(root: u32, size: u32): u32 {
  resetArena();
  if (!bufferBytes(PLUGIN_CONFIGURATION, <i32>size, configBytes)) {
    log(LOG_ERROR, 'meshmcp: configuration rejected: document: empty');
    return 0;
  }
  const result = parseConfig(configBytes.ptr, configBytes.len);
  release(configBytes);
  const config = result.config;
  if (config == null) {
    log(LOG_ERROR, 'meshmcp: configuration rejected: ' + result.message);
    return 0;
  }
  roots.set(root, new Runtime(config));
  if (config.rateLimits != null) ensureSlots();
  // A pod whose own server keeps sessions may keep some for tasks: each worker ends those past their time.
  const own = config.mode === Mode.Sidecar && config.services.length > 0 ? config.services[0] : null;
  setTickPeriod(own != null && own.upstream && !own.stateless ? SWEEP_PERIOD_MS : 0);
  log(
    LOG_INFO,
    'meshmcp: configuration accepted: mode ' +
      (config.mode === Mode.Gateway ? 'gateway, ' : 'sidecar, ') +
      config.services.length.toString() +
      ' services',
  );
  collect();
  return 1;
}

function unconfigured(id: u32): bool {
  return !streams.has(id);
}

export function proxy_on_request_headers(id: u32, _headers: u32, endOfStream: u32): u32 {
  resetArena();
  if (!pending.has(id)) return HEADERS_CONTINUE;
  const rt = pending.get(id)!;
  pending.delete(id);
  // The host gate comes first: another site's request on a shared listener gets no Stream, so every later
  // callback continues untouched (no header removed, no body held, no metric, no audit line).
  if (rt.gateway && !rt.hosts.admitsRequest()) return HEADERS_CONTINUE;
  const s = new Stream(rt);
  s.id = id;
  streams.set(id, s);
  return s.rt.gateway ? gatewayRequestHeaders(s, endOfStream !== 0) : sidecarRequestHeaders(s, endOfStream !== 0);
}

export function proxy_on_request_body(id: u32, size: u32, endOfStream: u32): u32 {
  resetArena();
  if (unconfigured(id)) return DATA_CONTINUE;
  const s = streams.get(id);
  if (s.outcome !== Outcome.Forwarded) return DATA_STOP_NO_BUFFER;
  return s.rt.gateway
    ? gatewayRequestBody(s, <i32>size, endOfStream !== 0)
    : sidecarRequestBody(s, <i32>size, endOfStream !== 0);
}

export function proxy_on_response_headers(id: u32, _headers: u32, endOfStream: u32): u32 {
  resetArena();
  if (unconfigured(id)) return HEADERS_CONTINUE;
  const s = streams.get(id);
  const status = getHeader(RESPONSE_HEADERS, ':status');
  if (status != null && status.length > 0 && status.length <= 3) s.upstreamStatus = <u32>I32.parseInt(status);
  if (s.outcome !== Outcome.Forwarded || !s.mcp) return HEADERS_CONTINUE;
  if (s.rt.gateway) {
    sealResponseSession(s);
    if (s.taskAffinity.length > 0) takeTaskSession(s);
    if (taskGone(s)) return taskGoneHeaders(s, endOfStream !== 0);
  } else {
    if (s.bridgedDown) removeHeader(RESPONSE_HEADERS, 'content-length');
    if (s.keepSession) giveTaskSession(s);
  }
  const contentType = getHeader(RESPONSE_HEADERS, 'content-type');
  if (s.rt.gateway && isRouterFailure(s.upstreamStatus, contentType)) {
    return unavailableHeaders(s, s.upstreamStatus, contentType, endOfStream !== 0);
  }
  if (s.uriWrap != null || s.taskWrap != null) removeHeader(RESPONSE_HEADERS, 'content-length');
  // An MCP server's answer: read as it passes, to meter and audit what it said.
  if (contentType != null && !endOfStream) {
    enter(SCAN);
    if (contentType.startsWith('application/json')) s.scan = new ResponseScan(false);
    else if (contentType.startsWith('text/event-stream')) s.scan = new ResponseScan(true);
    leave();
  }
  return HEADERS_CONTINUE;
}

export function proxy_on_response_body(id: u32, size: u32, endOfStream: u32): u32 {
  resetArena();
  if (unconfigured(id)) return DATA_CONTINUE;
  const s = streams.get(id);
  if (s.rewriteUnavailable) return unavailableBody(s, <i32>size, endOfStream !== 0);
  if (s.bridgedDown) return completeResults(s, <i32>size, endOfStream !== 0);
  const scan = s.scan;
  if (scan != null && !scan.done) {
    enter(SCAN);
    scanChunk(scan, <i32>size, endOfStream !== 0);
    leave();
  }
  const wrap = s.uriWrap;
  if (wrap != null) wrapChunk(wrap, <i32>size, endOfStream !== 0);
  const tasks = s.taskWrap;
  if (tasks != null) wrapTaskIds(tasks, <i32>size, endOfStream !== 0);
  return DATA_CONTINUE;
}

const chunk = new HostBytes();

/** Feeds this callback's response bytes (never more than the scan still wants) to the stream's scan. */
function scanChunk(scan: ResponseScan, size: i32, endOfStream: bool): void {
  const room = MAX_SCAN_BYTES - scan.scanned;
  const n = size < room ? size : room;
  if (n > 0 && bufferBytes(RESPONSE_BODY, n, chunk)) {
    scan.feed(chunk.ptr, chunk.len);
    release(chunk);
  }
  if (endOfStream) scan.finish();
}

export function proxy_on_log(id: u32): void {
  resetArena();
  if (unconfigured(id)) return;
  const s = streams.get(id);
  finishStream(s);
  if (s.upstreamSession.length > 0) endOrKeepSession(s, s.rt.config.services[0].path);
}

/** An http call's answer, on the root context that made it (upstreamSession.ts makes the only calls). */
export function proxy_on_http_call_response(
  _root: u32,
  token: u32,
  _headers: u32,
  bodySize: u32,
  _trailers: u32,
): void {
  resetArena();
  onCallAnswer(token, bodySize, streams);
}

export function proxy_on_tick(_root: u32): void {
  resetArena();
  endExpiredSessions();
}

export function proxy_on_done(_id: u32): u32 {
  return 1;
}

/** Streams between collections: garbage stays bounded (a few KiB per stream) without a mark per request. */
const COLLECT_EVERY: i32 = 32;
let sinceCollect: i32 = 0;

export function proxy_on_delete(id: u32): void {
  resetArena();
  if (streams.has(id)) streams.delete(id);
  else if (pending.has(id)) pending.delete(id);
  else if (roots.has(id)) roots.delete(id);
  if (++sinceCollect >= COLLECT_EVERY) collect();
}

// The minimal runtime marks from globals only, so it may run only where no managed reference lives on the stack:
// at the very end of an export the host called, as here and at the end of on_configure.
function collect(): void {
  sinceCollect = 0;
  enter(GC);
  __collect();
  leave();
}

// Envoy never provides env.abort: the build routes AssemblyScript's abort here, and a trap fails the VM, which
// Envoy's FAIL_CLOSE turns into 503s rather than letting requests through unchecked.
// biome-ignore lint/correctness/noUnusedVariables: asconfig.json's `use: abort=filter/assembly/index/abortHandler`
function abortHandler(_message: usize, _fileName: usize, _line: u32, _column: u32): void {
  unreachable();
}
