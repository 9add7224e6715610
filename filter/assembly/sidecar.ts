// Sidecar mode (a pod's istio-proxy, inbound on the MCP port): only the listed peers (the gateway's and the control
// service's SPIFFE ids) get through; bodies get the same scan and limits; each tools/call is metered per tool.
// Headers are let through at once: nothing here changes routing, so this mode also works where Envoy turns a
// headers StopIteration into StopAll (Istio's WasmPlugin cannot set allow_on_headers_stop_iteration).

import {
  DATA_CONTINUE,
  DATA_STOP_BUFFER,
  DATA_STOP_NO_BUFFER,
  getHeader,
  getProperty,
  HEADERS_CONTINUE,
  HEADERS_STOP,
  HostBytes,
  nowNanos,
  release,
  removeHeader,
  REQUEST_HEADERS,
} from './abi';
import { Outcome } from './errors';
import { SAN_PATH } from './identity';
import { JsonKind, JsonRange, ScanResult } from './jsonScanner';
import { memberValue } from './jsonMember';
import { decodeString } from './jsonString';
import { BODY_READY, checkMessage, collectBody, declaredTooLarge, readMethod } from './message';
import { methodLabel } from './metering';
import { readRequestHeaders } from './requestHeaders';
import { auditParams, Stream } from './stream';
import { splitName, ToolSplit } from './toolName';
import { validTraceparent } from './traceContext';
import { openSession, resumeSession, SESSION_MARK, TASK_SESSION } from './upstreamSession';
import { stripEnvelope } from './bridgeDown';
import { AUDIT, enter, HEADERS, IDENTITY, leave, ROUTE, SCAN } from './profile';

const body = new HostBytes();
const peer = new HostBytes();
const scan = new ScanResult();
const split = new ToolSplit();

function peerSan(): string {
  if (!getProperty(SAN_PATH, peer)) return '';
  const san = peer.len > 0 && peer.len <= 512 ? String.UTF8.decodeUnsafe(peer.ptr, <usize>peer.len) : '';
  release(peer);
  return san;
}

/** on_request_headers in sidecar mode. */
export function sidecarRequestHeaders(s: Stream, endOfStream: bool): u32 {
  s.start = nowNanos();
  s.mcp = true;
  const cfg = s.rt.config;
  s.service = cfg.services.length > 0 ? cfg.services[0].name : '';
  const h = s.headers;
  enter(HEADERS);
  readRequestHeaders('', h);
  leave();
  const rid = h.meshRequestId;
  const envoyId = h.requestId;
  s.requestId = rid != null ? rid : envoyId != null ? envoyId : s.start.toString(16);
  const tp = h.traceparent;
  if (tp != null && validTraceparent(tp)) s.traceparent = tp;
  enter(IDENTITY);
  const san = peerSan();
  leave();
  s.identity.principal = san;
  s.identity.source = 'mtls';
  if (san.length === 0 || !cfg.acceptedPeers.includes(san)) {
    s.toolLabel = 'unknown';
    s.refuse(
      Outcome.Forbidden,
      san.length === 0
        ? 'Forbidden: this port accepts only mTLS peers'
        : 'Forbidden: peer ' + san + ' may not call this port',
    );
    return HEADERS_STOP;
  }
  // The gateway names the end caller; the peer list above is what makes that header trustworthy.
  const principal = h.meshPrincipal;
  if (principal != null && principal.length > 0) {
    s.identity.principal = principal;
    s.identity.source = 'gateway';
  }
  const method = h.method;
  if (method !== 'POST' || endOfStream) {
    s.method = method != null ? method : '';
    s.toolLabel = 'stream';
    s.decided = true;
    return HEADERS_CONTINUE;
  }
  if (declaredTooLarge(s, h.contentLength)) return HEADERS_STOP;
  // The aggregated /mcp has no session with this pod's server: the gateway asks for one to be opened for the call,
  // and kept for a task (upstreamSession.ts), or names the one a task was kept in.
  if (h.internal.includes(SESSION_MARK)) {
    const mark = getHeader(REQUEST_HEADERS, SESSION_MARK);
    removeHeader(REQUEST_HEADERS, SESSION_MARK);
    const svc = cfg.services.length > 0 ? cfg.services[0] : null;
    if (svc != null && svc.upstream && !svc.stateless) {
      if (mark === 'resume') {
        resumeSession();
        return HEADERS_CONTINUE;
      }
      s.keepSession = mark === 'task';
      const authority = getHeader(REQUEST_HEADERS, ':authority');
      openSession(s, svc.path, authority != null ? authority : 'localhost');
      return HEADERS_STOP;
    }
  }
  if (h.internal.includes(TASK_SESSION)) removeHeader(REQUEST_HEADERS, TASK_SESSION);
  return HEADERS_CONTINUE;
}

/** on_request_body in sidecar mode. */
export function sidecarRequestBody(s: Stream, size: i32, endOfStream: bool): u32 {
  enter(SCAN);
  const ready = collectBody(s, size, endOfStream, body);
  leave();
  if (ready !== BODY_READY) return ready;
  const p = body.ptr;
  enter(SCAN);
  const checked = checkMessage(s, p, body.len, scan);
  leave();
  if (checked && !scan.method.present && scan.id.present) {
    // A client's answer to the server's own request (sampling, elicitation, roots), through the gateway.
    s.decided = true;
    s.decision = 'allow';
    s.toolLabel = 'response';
  } else if (checked && readMethod(s, p, scan)) {
    s.decided = true;
    s.decision = 'allow';
    enter(AUDIT);
    s.params = auditParams(s.rt.config.audit.params, p + <usize>scan.params.start, scan.params.end - scan.params.start);
    leave();
    enter(ROUTE);
    s.toolLabel = methodLabel(s.method);
    if (s.method === 'tools/call') label(s, p);
    if (s.keepSession) s.taskTtlMs = taskTtl(p);
    stripEnvelope(s, p, body.len, scan.paramsMeta);
    leave();
  }
  release(body);
  if (s.outcome !== Outcome.Forwarded) return DATA_STOP_NO_BUFFER;
  // Where headers stop only themselves (allow_on_headers_stop_iteration), the body waits here for the session.
  return s.holding ? DATA_STOP_BUFFER : DATA_CONTINUE;
}

const taskParam = new JsonRange();
const ttlParam = new JsonRange();

/** params.task.ttl of a call that asked for a task: whole milliseconds, -1 when absent, null or not one. */
function taskTtl(p: usize): i64 {
  if (!memberValue(p, scan.params, 'task', taskParam) || taskParam.kind !== JsonKind.Object) return -1;
  if (!memberValue(p, taskParam, 'ttl', ttlParam) || ttlParam.kind !== JsonKind.Number) return -1;
  let v: i64 = 0;
  for (let i = ttlParam.start; i < ttlParam.end; i++) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c < 0x30 || c > 0x39 || i - ttlParam.start >= 12) return -1;
    v = v * 10 + <i64>(c - 0x30);
  }
  return v;
}

/**
 * The tool label: a tool this service lists, named `<service>__<tool>` or (as the gateway sends it to an MCP server
 * of the pod's own, or on /mcp/<service>) by its own name; else `unknown` (the server answers those itself).
 */
function label(s: Stream, p: usize): void {
  s.toolLabel = 'unknown';
  const raw = decodeString(p, scan.paramsName, 256);
  if (raw == null) return;
  let tool = raw;
  if (!s.rt.hasTool(s.service, raw)) {
    if (!splitName(raw, split)) return;
    tool = split.tool;
    if (split.service !== s.service || !s.rt.hasTool(split.service, tool)) return;
  }
  s.tool = tool;
  s.toolLabel = tool;
}
