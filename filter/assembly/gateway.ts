// Gateway mode, per request: strip client x-meshmcp-* headers, identify the caller, buffer and scan the body, check
// the MCP headers against it, route (control or `<service>__<tool>`), authorize, rate-limit, then set the internal
// headers the VirtualService routes on. Every refusal is a JSON-RPC error sent as a local response.

import {
  DATA_CONTINUE,
  DATA_STOP_NO_BUFFER,
  getHeader,
  RESPONSE_HEADERS,
  HEADERS_CONTINUE,
  HEADERS_STOP,
  HostBytes,
  nowNanos,
  release,
  removeHeader,
  replaceBuffer,
  REQUEST_BODY,
  REQUEST_HEADERS,
  setHeader,
} from './abi';
import { allIn, CLASS_TOOL } from './configReader';
import { OnDeny, Service } from './configTypes';
import { globMatch } from './glob';
import { jsonString, Outcome, Reply } from './errors';
import { percentDecoded, resolveIdentity, takeSkippedClaims } from './identity';
import { KEY_TOO_LONG, MAX_API_KEY_BYTES, readRequestHeaders, RequestHeaders } from './requestHeaders';
import { headersDisagree, HeaderMismatch, TASK_METHODS, taskIdRange } from './mcpHeaders';
import { methodLabel, meterRateLimitEvictions, meterSkippedClaims } from './metering';
import { authorize, Decision, Identity } from './policy';
import { take, takeEvictions } from './rateLimit';
import { BODY_READY, checkMessage, collectBody, declaredTooLarge, readMethod } from './message';
import { auditParams, Stream } from './stream';
import { splitName, ToolSplit } from './toolName';
import { memberString, memberValue } from './jsonMember';
import { JsonKind, JsonRange, ScanResult } from './jsonScanner';
import { decodeString } from './jsonString';
import { metaTraceparent, startTraceparent, validTraceparent } from './traceContext';
import { sha256Hex } from './sha256';
import { openSession, sealSession } from './sessionIds';
import { SESSION_MARK, TASK_SESSION } from './upstreamSession';
import { UriWrap } from './resultUris';
import {
  carriableSession,
  MAX_HANDED_OUT,
  openSessionTask,
  openTaskId,
  SessionTask,
  sessionTaskForm,
  TaskTarget,
} from './taskIds';
import { TaskWrap } from './taskWrap';
import { AUDIT, enter, HEADERS, IDENTITY, leave, METRICS, POLICY, RATE_LIMIT, ROUTE, SCAN } from './profile';

const PRM_PATH = '/.well-known/oauth-protected-resource';
/** The scheme the catalog wraps servers' resource URIs in: `meshmcp://<service>/<the server's URI>`. */
const RESOURCE_SCHEME = 'meshmcp://';
/** Longest params.uri read (control/catalogRules.ts MAX_URI_LENGTH). */
const MAX_URI_BYTES: i32 = 2048;
/**
 * Methods the aggregated endpoint routes by the prompt name or resource URI they carry. Subscriptions live in one
 * server's session: the control service refuses them at /mcp (/mcp/<service> carries them).
 */
const OFFERING_METHODS: string[] = ['prompts/get', 'resources/read', 'completion/complete'];
/** The list methods a server's own endpoint answers from the catalog, per caller. */
const LIST_METHODS: string[] = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'];
/** `/mcp/<name>`: one server's own endpoint, under its own names (README "One server at a time"). */
const DIRECT_PREFIX = '/mcp/';

const body = new HostBytes();
const scan = new ScanResult();
const split = new ToolSplit();
const decision = new Decision();
const mismatch = new HeaderMismatch();

/** A header value safe to forward: bytes outside visible ASCII, '%' and (for list items) ',' are %-encoded. */
export function headerSafe(s: string, listItem: bool): string {
  const b = String.UTF8.encode(s);
  const p = changetype<usize>(b);
  const n = b.byteLength;
  let clean = true;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c <= 0x20 || c >= 0x7f || c === 0x25 || (listItem && c === 0x2c)) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  const parts = new Array<string>();
  const hex = '0123456789ABCDEF';
  for (let i = 0; i < n; i++) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c <= 0x20 || c >= 0x7f || c === 0x25 || (listItem && c === 0x2c)) {
      parts.push('%' + hex.charAt(c >> 4) + hex.charAt(c & 15));
    } else parts.push(String.fromCharCode(c));
  }
  return parts.join('');
}

function challenge(s: Stream): Reply {
  return new Reply().header(
    'www-authenticate',
    'Bearer resource_metadata="' + s.rt.config.protectedResourceMetadata + '"',
  );
}

function forbidden(scope: string): Reply {
  if (scope.length === 0) return new Reply();
  return new Reply().header('www-authenticate', 'Bearer error="insufficient_scope", scope="' + scope + '"');
}

/**
 * The server named by a `/mcp/<name>` path (query aside), null for any other path; an empty name when the path has
 * that form but the routing table has no such server.
 */
function directTarget(s: Stream, path: string): Service | null {
  if (!path.startsWith(DIRECT_PREFIX)) return null;
  let end = path.indexOf('?', DIRECT_PREFIX.length);
  if (end < 0) end = path.length;
  const name = path.substring(DIRECT_PREFIX.length, end);
  if (s.rt.services.has(name)) return s.rt.services.get(name);
  return new Service();
}

/** Routing to a service: its MCP path replaces the request's (the router and the upstream see it). */
function routeTo(s: Stream, target: Service): void {
  s.service = target.name;
  const path = s.headers.path;
  if (path == null || path !== target.path) setHeader(REQUEST_HEADERS, ':path', target.path);
  setRouting(s);
}

/** The revision the gateway bridges older aggregated requests to, and the _meta members that revision requires. */
const MODERN = '2026-07-28';
const META_MEMBERS =
  '"io.modelcontextprotocol/protocolVersion":"' + MODERN + '","io.modelcontextprotocol/clientCapabilities":{}';

const NOTHING = new ArrayBuffer(0);
const META_BYTES = String.UTF8.encode(META_MEMBERS);
const META_OPEN = String.UTF8.encode('"_meta":{');
const TRACE_KEY = String.UTF8.encode('"traceparent":"');

function byte(q: usize, at: i32, c: u8): i32 {
  store<u8>(q + <usize>at, c);
  return at + 1;
}

function put(q: usize, at: i32, b: ArrayBuffer): i32 {
  memory.copy(q + <usize>at, changetype<usize>(b), <usize>b.byteLength);
  return at + b.byteLength;
}

/**
 * The `_meta` members to insert, as bytes built in one piece: the bridge's members, the traceparent (ASCII, checked
 * or made by the filter; empty: none), wrapped in a new `"_meta":{…}` when params has none, and a comma when
 * members follow.
 */
function metaMembers(bridge: bool, traceparent: string, wrap: bool, comma: bool): ArrayBuffer {
  const t = traceparent.length;
  let size = bridge ? META_BYTES.byteLength : 0;
  if (t > 0) size += (bridge ? 1 : 0) + TRACE_KEY.byteLength + t + 1;
  if (wrap) size += META_OPEN.byteLength + 1;
  if (comma) size += 1;
  const out = new ArrayBuffer(size);
  const q = changetype<usize>(out);
  let at = wrap ? put(q, 0, META_OPEN) : 0;
  if (bridge) at = put(q, at, META_BYTES);
  if (t > 0) {
    if (bridge) at = byte(q, at, 0x2c);
    at = put(q, at, TRACE_KEY);
    for (let i = 0; i < t; i++) store<u8>(q + <usize>(at + i), <u8>traceparent.charCodeAt(i));
    at += t;
    at = byte(q, at, 0x22);
  }
  if (wrap) at = byte(q, at, 0x7d);
  if (comma) store<u8>(q + <usize>at, 0x2c);
  return out;
}

/** Whether the JSON object at r has no members. */
function emptyObject(p: usize, r: JsonRange): bool {
  let i = r.start + 1;
  while (i < r.end) {
    const c = load<u8>(p + <usize>i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c === 0x7d;
    i++;
  }
  return true;
}

/**
 * The body as it goes on: the JSON string at r (params.name or params.uri, escapes and all) replaced by `value`
 * when named is true (a server knows its tools and prompts by their own names, its resources by their own URIs),
 * and, when bridge is true, the `_meta` members a 2026-07-28 server needs added to params. Mcp-Name and
 * Content-Length follow; a bridged request also carries that revision's headers and no session.
 */
function rewriteBody(
  s: Stream,
  p: usize,
  n: i32,
  r: JsonRange,
  value: string,
  named: bool,
  bridge: bool,
  trace: bool,
): void {
  let insertAt = -1;
  let add = NOTHING;
  if (bridge || trace) {
    const meta = scan.paramsMeta;
    const params = scan.params;
    if (meta.kind === JsonKind.Object) {
      insertAt = meta.start + 1;
      add = metaMembers(bridge, trace ? s.traceparent : '', false, !emptyObject(p, meta));
    } else if (!meta.present && params.kind === JsonKind.Object) {
      insertAt = params.start + 1;
      add = metaMembers(bridge, trace ? s.traceparent : '', true, !emptyObject(p, params));
    }
  }
  const token = named ? String.UTF8.encode(jsonString(value)) : NOTHING;
  const k = token.byteLength;
  const cut = named ? r.end - r.start : 0;
  const size = n - cut + k + add.byteLength;
  // Only the body up to the last edit is rebuilt: set_buffer_bytes at 0 drains that much and prepends the new
  // prefix, so the rest (the arguments, usually most of the body) is never copied.
  let end = named ? r.end : 0;
  if (insertAt > end) end = insertAt;
  const out = new ArrayBuffer(end - cut + k + add.byteLength);
  const q = changetype<usize>(out);
  // Copy the prefix, replacing [r.start, r.end) and inserting at insertAt (never inside r: params and _meta start
  // before, or lie apart from, the name and uri strings).
  let from = 0;
  let to = 0;
  const firstInsert = insertAt >= 0 && (!named || insertAt <= r.start);
  if (firstInsert) {
    memory.copy(q, p, <usize>insertAt);
    memory.copy(q + <usize>insertAt, changetype<usize>(add), <usize>add.byteLength);
    from = insertAt;
    to = insertAt + add.byteLength;
  }
  if (named) {
    memory.copy(q + <usize>to, p + <usize>from, <usize>(r.start - from));
    to += r.start - from;
    memory.copy(q + <usize>to, changetype<usize>(token), <usize>k);
    to += k;
    from = r.end;
  }
  if (insertAt >= 0 && !firstInsert) {
    memory.copy(q + <usize>to, p + <usize>from, <usize>(insertAt - from));
    to += insertAt - from;
    memory.copy(q + <usize>to, changetype<usize>(add), <usize>add.byteLength);
    to += add.byteLength;
    from = insertAt;
  }
  memory.copy(q + <usize>to, p + <usize>from, <usize>(end - from));
  replaceBuffer(REQUEST_BODY, end, out);
  setHeader(REQUEST_HEADERS, 'content-length', size.toString());
  if (bridge) {
    setHeader(REQUEST_HEADERS, 'mcp-protocol-version', MODERN);
    setHeader(REQUEST_HEADERS, 'mcp-method', s.method);
    removeHeader(REQUEST_HEADERS, 'mcp-session-id');
  }
  // Mcp-Name names a tool, a prompt or a resource; a completion has none.
  if (named && s.method !== 'completion/complete' && (bridge || s.headers.mcpName != null)) {
    setHeader(REQUEST_HEADERS, 'mcp-name', headerSafe(value, false));
  }
}

/**
 * The request's traceparent, settled once: the client's header when valid, else params._meta.traceparent when valid,
 * else a new trace; the header is (re)written unless the client's stands. Returns whether the body's _meta lacks it.
 */
function traceHeader(s: Stream, p: usize = 0): bool {
  const meta = p !== 0 ? metaTraceparent(p, scan.paramsMeta) : null;
  if (s.traceparent.length === 0 && meta != null && validTraceparent(meta)) s.traceparent = meta;
  const sent = s.headers.traceparent;
  if (s.traceparent.length === 0) s.traceparent = startTraceparent(s.requestId, s.start);
  if (sent == null || sent !== s.traceparent) setHeader(REQUEST_HEADERS, 'traceparent', s.traceparent);
  return meta == null;
}

/** How a refusal that hides a name starts, by method. */
function unknownWhat(method: string): string {
  if (method === 'tools/call') return 'Unknown tool: ';
  return method === 'prompts/get' || (method === 'completion/complete' && !offerIsUri)
    ? 'Unknown prompt: '
    : 'Unknown resource: ';
}

/** The JSON string that names what an aggregated request is for (params.name, params.uri or params.ref's member). */
let offerRange: JsonRange = new JsonRange();
/** Whether it is a resource URI (always given back as the server's) rather than a prompt name. */
let offerIsUri = false;
const refMember = new JsonRange();

/**
 * prompts/get `<service>__<prompt>`, resources/read `meshmcp://<service>/<uri>`, and completion/complete of either
 * (params.ref: `ref/prompt` by name, `ref/resource` by URI) on the aggregated endpoint: the service, with s.tool the
 * server's own name or URI; null (refused) when nothing names a service of the table.
 */
function offeringTarget(s: Stream, p: usize): Service | null {
  if (s.method === 'completion/complete') {
    const ref = scan.paramsRef;
    offerIsUri = !memberString(p, ref, 'name', refMember) || refMember.escaped;
    if (offerIsUri && (!memberString(p, ref, 'uri', refMember) || refMember.escaped)) refMember.reset();
    offerRange = refMember;
  } else {
    offerIsUri = s.method !== 'prompts/get';
    offerRange = offerIsUri ? scan.paramsUri : scan.paramsName;
  }
  const raw = offerIsUri ? decodeString(p, offerRange, MAX_URI_BYTES) : decodeString(p, offerRange, 256);
  let service = '';
  if (raw != null && !offerIsUri) {
    if (splitName(raw, split)) {
      service = split.service;
      s.tool = split.tool;
    }
  } else if (raw != null && raw.startsWith(RESOURCE_SCHEME)) {
    const slash = raw.indexOf('/', RESOURCE_SCHEME.length);
    if (slash > 0) {
      service = raw.substring(RESOURCE_SCHEME.length, slash);
      s.tool = raw.substring(slash + 1);
    }
  }
  if (service.length > 0 && s.rt.services.has(service)) return s.rt.services.get(service);
  s.refuse(Outcome.UnknownTool, unknownWhat(s.method) + (raw != null ? raw : '(not a string)'));
  return null;
}

const task = new TaskTarget();
/** The tasks extension's id, and as the JSON string a client's `_meta` client capabilities name it by. */
const TASKS_ID = 'io.modelcontextprotocol/tasks';
const TASKS_EXTENSION = String.UTF8.encode('"' + TASKS_ID + '"');

/**
 * tasks/get, tasks/update or tasks/cancel (2026-07-28): the service of the task id the gateway handed this caller
 * (taskIds.ts), its server's own id in task.id; null (refused as an unknown task, -32602) for any other id, and on
 * /mcp/<service> for another server's. params.taskId was found by headersDisagree.
 */
function taskTarget(s: Stream, p: usize, direct: Service | null): Service | null {
  const sealed = taskIdRange.present ? decodeString(p, taskIdRange, MAX_HANDED_OUT) : null;
  if (sealed != null && openTaskId(s.rt.sessionKeys, s.identity.principal, sealed, task)) {
    const service = task.service;
    if (direct == null ? s.rt.services.has(service) : service === direct.name) return s.rt.services.get(service);
  }
  s.refuse(Outcome.UnknownTool, 'Unknown task: ' + (sealed != null ? sealed : '(not a string)'));
  return null;
}

/** Whether a tools/call's `_meta` declares the tasks extension, so its server may answer with a task. */
function declaresTasks(p: usize): bool {
  const meta = scan.paramsMeta;
  if (meta.kind !== JsonKind.Object) return false;
  const k = TASKS_EXTENSION.byteLength;
  const q = changetype<usize>(TASKS_EXTENSION);
  for (let i = meta.start; i + k <= meta.end; i++) {
    if (memory.compare(p + <usize>i, q, <usize>k) === 0) return true;
  }
  return false;
}

/** The 2025-11-25 task methods the aggregated /mcp routes by a task id the gateway handed out (tasks/list is not). */
const SESSION_TASK_METHODS: StaticArray<string> = ['tasks/get', 'tasks/result', 'tasks/cancel'];
const sessionTask = new SessionTask();
const taskParam = new JsonRange();

/**
 * tasks/get, tasks/result or tasks/cancel (2025-11-25) on the aggregated /mcp: the server of a task id the gateway
 * handed this caller for a task held in a session (taskIds.ts), its server's own id in sessionTask.id; null (refused
 * as an unknown task, -32602) for any other id.
 */
function sessionTaskTarget(s: Stream, p: usize): Service | null {
  taskIdRange.reset();
  const found = memberString(p, scan.params, 'taskId', taskIdRange);
  const sealed = found ? decodeString(p, taskIdRange, MAX_HANDED_OUT) : null;
  if (
    sealed != null &&
    openTaskId(s.rt.sessionKeys, s.identity.principal, sealed, task) &&
    openSessionTask(task.id, sessionTask) &&
    s.rt.services.has(task.service)
  ) {
    const target = s.rt.services.get(task.service);
    if (target.upstream && !target.stateless) {
      s.taskSealed = sealed;
      return target;
    }
  }
  s.refuse(Outcome.UnknownTool, 'Unknown task: ' + (sealed != null ? sealed : '(not a string)'));
  return null;
}

/** Whether a 2025-11-25 tools/call asks to run as a task (`params.task` is an object). */
function asksForTask(p: usize): bool {
  return memberValue(p, scan.params, 'task', taskParam) && taskParam.kind === JsonKind.Object;
}

/** A pod affinity: the first 16 hex digits of the text's SHA-256. */
function affinityOf(text: string): string {
  const b = String.UTF8.encode(text);
  return sha256Hex(changetype<usize>(b), b.byteLength).substring(0, 16);
}

/** A new pod affinity, from the request id and its arrival: a task's creating call, a bridged exchange. */
function freshAffinity(s: Stream): string {
  return affinityOf(s.requestId + '\n' + s.start.toString(16));
}

const requestStateRange = new JsonRange();
const AFFINITY_HEADER = 'x-meshmcp-affinity';
/** The longest affinity a bridge keeps in its handles. */
const MAX_AFFINITY: i32 = 64;
const HANDLE_PREFIX = 'b1.';

/** A bridge handle's affinity (`b1.<affinity>.…`, 1 to 64 of [A-Za-z0-9_-]); empty when raw is not such a handle. */
function handleAffinity(raw: string | null): string {
  if (raw == null || !raw.startsWith(HANDLE_PREFIX)) return '';
  const dot = raw.indexOf('.', HANDLE_PREFIX.length);
  const n = dot - HANDLE_PREFIX.length;
  if (n < 1 || n > MAX_AFFINITY) return '';
  const affinity = raw.substring(HANDLE_PREFIX.length, dot);
  return allIn(affinity, CLASS_TOOL) ? affinity : '';
}

/**
 * A request to a server behind a bridge (sidecar/README.md, Bridge mode) gets the pod affinity the rendered
 * DestinationRule hashes on: a bridge handle's (`requestState`, or the id of an answer to a relayed request), so the
 * second exchange reaches the pod holding the first; else its session's; else a new one, which the bridge writes into
 * the handles it hands out for this exchange.
 */
function setAffinity(s: Stream, p: usize, handle: JsonRange, direct: Service | null): void {
  let affinity = handleAffinity(handle.kind === JsonKind.String ? decodeString(p, handle, 256) : null);
  if (affinity.length === 0) {
    const session = getHeader(REQUEST_HEADERS, 'mcp-session-id');
    affinity = session != null && session.length > 0 ? affinityOf(session) : freshAffinity(s);
    // On /mcp the service goes along, so that an answer to what the bridge relays (which names only the handle)
    // finds its way back (answeredBridge).
    if (direct == null && s.service.length <= MAX_AFFINITY - 17) affinity = affinity + '_' + s.service;
  }
  setHeader(REQUEST_HEADERS, AFFINITY_HEADER, affinity);
}

/**
 * The bridged server a client's answer on /mcp goes to: the service in its id's handle (`b1.<hex>_<service>.…`),
 * when that is a server behind a bridge; null otherwise (the answer is then judged as any other message).
 */
function answeredBridge(s: Stream, p: usize): Service | null {
  const affinity = handleAffinity(scan.id.kind === JsonKind.String ? decodeString(p, scan.id, 256) : null);
  const under = affinity.indexOf('_');
  if (under < 0) return null;
  const service = affinity.substring(under + 1);
  if (!s.rt.services.has(service)) return null;
  const target = s.rt.services.get(service);
  return target.bridged ? target : null;
}

/** Groups as one header value: each %-encoded where needed (and a `,` inside one), comma-separated. */
function safeGroups(groups: string[]): string {
  const safe = new Array<string>(groups.length);
  for (let i = 0; i < groups.length; i++) safe[i] = headerSafe(groups[i], true);
  return safe.join(',');
}

function setRouting(s: Stream): void {
  enter(HEADERS);
  setHeader(REQUEST_HEADERS, 'x-meshmcp-service', s.service);
  if (s.tool.length > 0) setHeader(REQUEST_HEADERS, 'x-meshmcp-tool', headerSafe(s.tool, false));
  setHeader(REQUEST_HEADERS, 'x-meshmcp-principal', headerSafe(s.identity.principal, false));
  const groups = s.identity.groups;
  if (groups.length > 0) setHeader(REQUEST_HEADERS, 'x-meshmcp-groups', safeGroups(groups));
  setHeader(REQUEST_HEADERS, 'x-meshmcp-request-id', headerSafe(s.requestId, false));
  // A delegate key's own identity goes along, so the control service lists only what both it and the caller may use.
  const via = s.via;
  if (via != null) {
    setHeader(REQUEST_HEADERS, 'x-meshmcp-via', headerSafe(via.principal, false));
    if (via.groups.length > 0) setHeader(REQUEST_HEADERS, 'x-meshmcp-via-groups', safeGroups(via.groups));
  }
  s.decided = true;
  leave();
}

/** on_request_headers in gateway mode. */
export function gatewayRequestHeaders(s: Stream, endOfStream: bool): u32 {
  s.start = nowNanos();
  const h = s.headers;
  enter(HEADERS);
  readRequestHeaders(s.rt.apiKeyHeader, h, s.rt.apiKeyBearer, s.rt.config.audit.onBehalfOfHeader);
  leave();
  // Contract 3: nothing a client sends may pose as the filter's own headers, whatever happens next; a delegate
  // key's x-caller-* are read above and go no further either.
  for (let i = 0; i < h.internal.length; i++) removeHeader(REQUEST_HEADERS, h.internal[i]);
  const rid = h.requestId;
  s.requestId = rid != null ? rid : s.start.toString(16);
  const tp = h.traceparent;
  enter(ROUTE);
  if (tp != null && validTraceparent(tp)) s.traceparent = tp;
  leave();
  const method = h.method;
  const path = h.path;
  const cfg = s.rt.config;
  if (path != null && (method === 'GET' || method === 'HEAD') && path.startsWith(PRM_PATH)) {
    // RFC 9728 metadata is what an unauthenticated client reads to learn how to authenticate.
    s.service = cfg.control;
    setHeader(REQUEST_HEADERS, 'x-meshmcp-service', cfg.control);
    s.decided = true;
    return HEADERS_CONTINUE;
  }
  s.mcp = true;
  enter(IDENTITY);
  let known = resolveIdentity(cfg.identity, s.rt.identityPaths, s.rt.apiKeys, h.apiKeyDigest, s.identity);
  leave();
  const skippedClaims = takeSkippedClaims();
  if (skippedClaims > 0) {
    enter(METRICS);
    meterSkippedClaims(s.rt.metricPrefix, skippedClaims);
    leave();
  }
  // The key authenticates the caller to the gateway only; upstreams never see it, whichever header carried it.
  if (h.apiKeyDigest != null) {
    removeHeader(REQUEST_HEADERS, h.apiKeyFromAuthorization ? 'authorization' : s.rt.apiKeyHeader);
  }
  if (known && s.identity.delegate && h.callerPrincipal != null) {
    enter(IDENTITY);
    known = actFor(s, h);
    leave();
  }
  if (!known) {
    const message =
      h.apiKeyDigest === KEY_TOO_LONG
        ? 'Unauthorized: the API key is longer than ' +
          MAX_API_KEY_BYTES.toString() +
          ' bytes, so it is none this gateway accepts'
        : 'Unauthorized: no credentials this gateway accepts';
    s.refuse(Outcome.Unauthenticated, message, challenge(s));
    return HEADERS_STOP;
  }
  enter(ROUTE);
  const direct = path != null ? directTarget(s, path) : null;
  leave();
  if (direct != null && direct.name.length === 0) {
    s.toolLabel = 'unknown';
    s.refuse(Outcome.NotFound, 'Not Found: no MCP server at ' + path! + '; the gateway offers /mcp and /mcp/<service>');
    return HEADERS_STOP;
  }
  s.direct = direct;
  // A session id on a server's own endpoint must be one the gateway sealed for this caller and this server.
  const sessionId = h.sessionId;
  if (direct != null && sessionId != null && s.rt.sessionKeys.length > 0) {
    enter(ROUTE);
    const opened = openSession(s.rt.sessionKeys, s.identity.principal, direct.name, sessionId);
    leave();
    if (opened == null) {
      s.service = direct.name;
      s.toolLabel = 'unknown';
      s.refuse(
        Outcome.NotFound,
        'Not Found: no session ' + sessionId + ' of this caller on ' + path! + '; initialize again',
      );
      return HEADERS_STOP;
    }
    setHeader(REQUEST_HEADERS, 'mcp-session-id', opened);
  }
  if (method !== 'POST') {
    // GET opens the 2025-11-25 notification stream and DELETE ends a session: the control service's, or on
    // /mcp/<name> that server's.
    s.method = method != null ? method : '';
    s.toolLabel = 'stream';
    s.decision = 'allow';
    enter(ROUTE);
    traceHeader(s);
    if (direct != null) routeTo(s, direct);
    else {
      s.service = cfg.control;
      setRouting(s);
    }
    leave();
    return HEADERS_CONTINUE;
  }
  if (declaredTooLarge(s, h.contentLength)) return HEADERS_STOP;
  if (endOfStream) {
    s.refuse(Outcome.ParseError, 'Parse error: the request has no body');
    return HEADERS_STOP;
  }
  // Held so that the routing headers set once the body is read still reach the router's route choice
  // (needs allow_on_headers_stop_iteration; without it Envoy would hold the body from this filter too).
  return HEADERS_STOP;
}

/**
 * A delegate key acting for the caller it names in x-caller-principal / x-caller-groups (%-encoded as setRouting
 * writes x-meshmcp-principal / -groups): that caller becomes the identity (policy, rate limits, the audit's client)
 * and the key's own is kept in via, which judge also authorizes. False when a value is not one the gateway could have
 * written.
 */
function actFor(s: Stream, h: RequestHeaders): bool {
  const caller = new Identity();
  const names = new Array<string>();
  if (!percentDecoded(h.callerPrincipal!, false, names)) return false;
  caller.principal = names[0];
  caller.source = s.identity.source;
  const groups = h.callerGroups;
  if (groups != null && groups.length > 0 && !percentDecoded(groups, true, caller.groups)) return false;
  s.via = s.identity;
  s.identity = caller;
  return true;
}

/** on_request_body in gateway mode. */
export function gatewayRequestBody(s: Stream, size: i32, endOfStream: bool): u32 {
  enter(SCAN);
  const ready = collectBody(s, size, endOfStream, body);
  leave();
  if (ready !== BODY_READY) return ready;
  judge(s, body.ptr, body.len);
  release(body);
  return s.outcome === Outcome.Forwarded ? DATA_CONTINUE : DATA_STOP_NO_BUFFER;
}

function judge(s: Stream, p: usize, n: i32): void {
  const cfg = s.rt.config;
  enter(SCAN);
  const checked = checkMessage(s, p, n, scan);
  leave();
  if (!checked) return;
  const direct = s.direct;
  if (!scan.method.present && scan.id.present) {
    // A client's answer to its server's request (sampling, elicitation, roots) goes back to that server, whose
    // session decides whether it asked: on /mcp/<service> that server; on /mcp a bridged server its id's handle names.
    const answered = direct != null ? direct : answeredBridge(s, p);
    if (answered != null) {
      s.toolLabel = 'response';
      s.decision = 'allow';
      enter(ROUTE);
      traceHeader(s);
      if (answered.bridged) setAffinity(s, p, scan.id, direct);
      routeTo(s, answered);
      leave();
      return;
    }
  }
  if (!readMethod(s, p, scan)) return;
  enter(SCAN);
  if (headersDisagree(p, scan, s.method, s.headers.mcpMethod, s.headers.mcpName, s.headers.mcpVersion, mismatch)) {
    const reply = new Reply();
    reply.data = '{"mismatch":{"header":' + jsonString(mismatch.header) + ',"body":' + jsonString(mismatch.body) + '}}';
    s.refuse(Outcome.HeaderMismatch, 'Bad Request: the request headers and body disagree: ' + mismatch.body, reply);
    leave();
    return;
  }
  leave();
  enter(AUDIT);
  s.params = auditParams(cfg.audit.params, p + <usize>scan.params.start, scan.params.end - scan.params.start);
  leave();
  enter(ROUTE);
  let fullTool = '';
  let target: Service | null = direct;
  const version = s.headers.mcpVersion;
  const modern = version != null && version === MODERN;
  const isTask = modern && TASK_METHODS.includes(s.method);
  const isSessionTask = !modern && direct == null && SESSION_TASK_METHODS.includes(s.method);
  if (isTask) {
    // Policy judged the tools/call that created the task; the task id is bound to that caller.
    s.toolLabel = methodLabel(s.method);
    if (!declaresTasks(p)) {
      // As a server must answer, whatever the id: and no id the gateway did not hand out goes anywhere.
      const reply = new Reply();
      reply.data = '{"requiredCapabilities":{"extensions":{"' + TASKS_ID + '":{}}}}';
      s.refuse(
        Outcome.MissingCapability,
        s.method +
          ' needs the ' +
          TASKS_ID +
          ' extension: declare it in _meta["io.modelcontextprotocol/clientCapabilities"].extensions',
        reply,
      );
      leave();
      return;
    }
    target = taskTarget(s, p, direct);
    if (target == null) {
      leave();
      return;
    }
    s.service = target.name;
  } else if (isSessionTask) {
    s.toolLabel = methodLabel(s.method);
    target = sessionTaskTarget(s, p);
    if (target == null) {
      leave();
      return;
    }
    s.service = target.name;
  } else if (s.method === 'tools/call') {
    s.toolLabel = 'unknown';
    const raw = decodeString(p, scan.paramsName, 256);
    if (raw == null) {
      s.refuse(Outcome.UnknownTool, 'Invalid params: params.name must be a tool name string');
      leave();
      return;
    }
    let service = '';
    let tool = '';
    if (direct != null) {
      service = direct.name;
      tool = raw;
    } else if (splitName(raw, split)) {
      service = split.service;
      tool = split.tool;
    }
    // On /mcp/<service> the server itself decides what exists (its tools may differ per session, e.g. with the
    // client's capabilities); policy still judges the name. The metric label stays bounded: listed tools only.
    const listed = s.rt.hasTool(service, tool);
    if (!listed && (direct == null || tool.length === 0)) {
      s.refuse(Outcome.UnknownTool, 'Unknown tool: ' + raw);
      leave();
      return;
    }
    target = s.rt.services.get(service);
    s.service = service;
    s.tool = tool;
    s.toolLabel = listed ? tool : 'unknown';
    fullTool = service + '__' + tool;
  } else if (direct == null && OFFERING_METHODS.includes(s.method)) {
    s.toolLabel = methodLabel(s.method);
    target = offeringTarget(s, p);
    if (target == null) {
      leave();
      return;
    }
    s.service = target.name;
    // Policy judges a prompt by its full name, a resource by its URI as the catalog lists it.
    fullTool = offerIsUri ? RESOURCE_SCHEME + target.name + '/' + s.tool : target.name + '__' + s.tool;
  } else if (direct != null && LIST_METHODS.includes(s.method)) {
    // A server's lists on its own endpoint come from the catalog, filtered for this caller as /mcp's are (the
    // control service serves /mcp/<service> under the server's own names); the server's session is not theirs.
    s.service = cfg.control;
    s.toolLabel = methodLabel(s.method);
    target = null;
    removeHeader(REQUEST_HEADERS, 'mcp-session-id');
  } else {
    s.service = direct != null ? direct.name : cfg.control;
    s.toolLabel = methodLabel(s.method);
  }
  leave();
  // Acting for a caller, a delegate key gets at most what both may do. Its own rights are asked first, so an allow
  // and a caller's refusal read exactly as they would for that caller calling directly.
  const via = s.via;
  enter(POLICY);
  if (via != null) authorize(cfg.policy!, via, s.method, fullTool, decision);
  if (via == null || decision.allowed) authorize(cfg.policy!, s.identity, s.method, fullTool, decision);
  s.rule = decision.ruleName;
  if (!decision.allowed) {
    s.decision = 'deny';
    if (decision.onDeny === OnDeny.Forbidden) {
      s.refuse(
        Outcome.Forbidden,
        'Forbidden: insufficient scope for ' + (fullTool.length > 0 ? fullTool : s.method),
        forbidden(decision.scope),
      );
    } else if (fullTool.length > 0) {
      s.refuse(Outcome.Denied, unknownWhat(s.method) + fullTool);
    } else {
      s.refuse(Outcome.Forbidden, 'Forbidden: ' + s.method + ' is not allowed for this caller');
    }
    leave();
    return;
  }
  leave();
  s.decision = 'allow';
  enter(RATE_LIMIT);
  const within = withinRateLimits(s, fullTool);
  leave();
  if (!within) return;
  enter(ROUTE);
  if (target == null) {
    traceHeader(s, p);
    setRouting(s);
  } else {
    // The trace reaches the server in both places: the header, and params._meta.traceparent.
    const trace = traceHeader(s, p);
    let named = isTask;
    let bridge = false;
    const byTaskId = isTask || isSessionTask;
    const offering = direct == null && !byTaskId && s.method !== 'tools/call';
    const uri = offering && offerIsUri;
    if (direct == null && !byTaskId) {
      // Tools and prompts keep their prefix for a meshmcp sidecar; resources always go back to the server's URI.
      named = uri || target.upstream;
      // Behind a bridge an older request goes as sent, with the client's session id: the bridge translates it, and
      // learns from that id (the control service's `c1.…`) what it may ask the client.
      bridge = target.stateless && !modern && !target.bridged;
      // A server that keeps sessions gets one opened for this call by its pod's proxy (upstreamSession.ts), kept
      // when the call asks for a task (2025-11-25), whose id then carries what finds the session again. Behind a
      // bridge a 2026-07-28 request goes as sent: the bridge holds the session, and relays the server's requests.
      if (target.upstream && !target.stateless && !(modern && target.bridged)) {
        if (!modern && s.method === 'tools/call' && asksForTask(p)) {
          s.taskAffinity = freshAffinity(s);
          setHeader(REQUEST_HEADERS, 'mcp-session-id', s.taskAffinity);
          setHeader(REQUEST_HEADERS, SESSION_MARK, 'task');
          s.taskWrap = new TaskWrap(s.rt.sessionKeys, s.identity.principal, target.name);
        } else setHeader(REQUEST_HEADERS, SESSION_MARK, 'call');
      }
      // The contents come back under the URIs the client asked for (resultUris.ts).
      if (s.method === 'resources/read') s.uriWrap = new UriWrap(RESOURCE_SCHEME + target.name + '/');
    }
    if (isSessionTask) {
      // The same pod (by the affinity the creating call was hashed on) and the session the task lives in.
      setHeader(REQUEST_HEADERS, 'mcp-session-id', sessionTask.affinity);
      setHeader(REQUEST_HEADERS, SESSION_MARK, 'resume');
      setHeader(REQUEST_HEADERS, TASK_SESSION, sessionTask.session);
      const wrap = new TaskWrap(s.rt.sessionKeys, s.identity.principal, target.name);
      wrap.inner = sessionTaskForm(sessionTask.affinity, sessionTask.session);
      s.taskWrap = wrap;
      named = true;
    }
    // Task ids go out bound to the caller (taskWrap.ts), and come back as the server's own.
    if (isTask || (modern && s.method === 'tools/call' && declaresTasks(p))) {
      s.taskWrap = new TaskWrap(s.rt.sessionKeys, s.identity.principal, target.name);
    }
    if (named || bridge || trace) {
      const range = byTaskId ? taskIdRange : offering ? offerRange : scan.paramsName;
      const value = isTask ? task.id : isSessionTask ? sessionTask.id : s.tool;
      rewriteBody(s, p, n, range, value, named, bridge, trace);
    }
    if (target.bridged) {
      requestStateRange.reset();
      memberString(p, scan.params, 'requestState', requestStateRange);
      setAffinity(s, p, requestStateRange, direct);
    }
    routeTo(s, target);
  }
  leave();
}

function withinRateLimits(s: Stream, fullTool: string): bool {
  const limits = s.rt.config.rateLimits;
  if (limits == null) return true;
  // The request's arrival (its headers) times its tokens: one clock read per request fewer.
  const now = s.start;
  const principal = s.identity.principal;
  let wait = 0;
  const perPrincipal = limits.perPrincipal;
  if (perPrincipal != null) wait = take('meshmcp.rl\n' + principal, perPrincipal, now);
  if (wait === 0 && fullTool.length > 0) {
    for (let i = 0; i < limits.perTool.length; i++) {
      const b = limits.perTool[i];
      if (!globMatch(b.tool, fullTool)) continue;
      wait = take('meshmcp.rl\n' + principal + '\n' + fullTool, b, now);
      break;
    }
  }
  const evictions = takeEvictions();
  if (evictions > 0) meterRateLimitEvictions(s.rt.metricPrefix, evictions);
  if (wait === 0) return true;
  s.refuse(
    Outcome.RateLimited,
    'Too Many Requests: rate limit for ' + principal + ' exceeded; retry after ' + wait.toString() + ' s',
    new Reply().header('retry-after', wait.toString()),
  );
  return false;
}

/** on_response_headers in gateway mode, on /mcp/<service>: the server's session id goes out sealed for the caller. */
export function sealResponseSession(s: Stream): void {
  const direct = s.direct;
  if (direct == null || s.rt.sessionKeys.length === 0) return;
  const id = getHeader(RESPONSE_HEADERS, 'mcp-session-id');
  if (id == null || id.length === 0) return;
  setHeader(RESPONSE_HEADERS, 'mcp-session-id', sealSession(s.rt.sessionKeys, s.identity.principal, direct.name, id));
}

/**
 * on_response_headers in gateway mode, for a 2025-11-25 tools/call that asked for a task on the aggregated /mcp: the
 * session its pod's proxy kept goes into the task ids handed out (taskIds.ts), and no further. Without one (the
 * server answered with an error, or its session id cannot be carried) ids are still wrapped, and find nothing.
 */
export function takeTaskSession(s: Stream): void {
  const session = getHeader(RESPONSE_HEADERS, TASK_SESSION);
  if (session == null) return;
  removeHeader(RESPONSE_HEADERS, TASK_SESSION);
  const wrap = s.taskWrap;
  if (wrap != null && s.taskAffinity.length > 0 && carriableSession(session)) {
    wrap.inner = sessionTaskForm(s.taskAffinity, session);
  }
}
