// Per-stream state shared by the gateway and sidecar handlers, and what happens when a stream ends: one metering
// update and one audit line, in on_log (after the response, so durations run to the response's end).

import { logBytes, nowNanos } from './abi';
import { AuditRecord, auditLine } from './audit';
import { AuditParams, LogLevel, Service } from './configTypes';
import { Outcome, outcomeLabel, Reply, sendError } from './errors';
import { meterDenial, meterRequest } from './metering';
import { Identity } from './policy';
import { RequestHeaders } from './requestHeaders';
import { ResponseScan, Verdict } from './responseScan';
import { UriWrap } from './resultUris';
import { TaskWrap } from './taskWrap';
import { Runtime } from './runtime';
import { sha256Hex } from './sha256';
import { traceIdOf } from './traceContext';
import { AUDIT, enter, leave, METRICS, REPLY, SCAN } from './profile';

export class Stream {
  rt: Runtime;
  /** The stream's context id (an http call's answer finds it by this). */
  id: u32 = 0;
  start: u64 = 0;
  /** Set once the request was judged (a reply sent or headers set for the router). */
  decided: bool = false;
  /** An MCP request, metered and audited when the stream ends (not, e.g., the protected resource metadata). */
  mcp: bool = false;
  outcome: Outcome = Outcome.Forwarded;
  identity: Identity = new Identity();
  /** A delegate key acting for the caller now in identity: the key's own identity, which bounds what it may do. */
  via: Identity | null = null;
  headers: RequestHeaders = new RequestHeaders();
  requestId: string = '';
  /** Raw JSON of the request id for error bodies. */
  idJson: string = 'null';
  method: string = '';
  service: string = '';
  /** The W3C traceparent the request goes on with (the client's, or one the gateway started); empty: none. */
  traceparent: string = '';
  /** The request came to /mcp/<name>: that one server's own endpoint, under its own names. */
  direct: Service | null = null;
  /** The tool within its service (`get_health`), empty for other methods. */
  tool: string = '';
  /** The metric tool label: the tool, `unknown`, or the method's label. */
  toolLabel: string = '';
  /** The audit line's params members (see auditParams); null: none. */
  params: ArrayBuffer | null = null;
  decision: string = '';
  rule: string = '';
  upstreamStatus: u32 = 0;
  /** The router's own failure reply (nothing answered) is being turned into an MCP answer (unavailable.ts). */
  rewriteUnavailable: bool = false;
  /** The upstream's JSON or SSE answer as it streams past, to tell success from errors (responseScan.ts). */
  scan: ResponseScan | null = null;
  /** Sidecar mode: the request waits for a session opened for it on the pod's server (upstreamSession.ts). */
  holding: bool = false;
  /** That session's id and protocol revision once open; ended when the stream is over. */
  upstreamSession: string = '';
  upstreamVersion: string = '';
  upstreamAuthority: string = '';
  /** Gateway mode, a resources/read from the aggregated /mcp: the answer's URIs get their wrapping back. */
  uriWrap: UriWrap | null = null;
  /** Gateway mode, an answer that may carry task ids: each is handed out bound to the caller. */
  taskWrap: TaskWrap | null = null;
  /** A 2026-07-28 request sent into such a session in the older revision: its answer gets resultType added. */
  bridgedDown: bool = false;
  /**
   * Gateway mode, a 2025-11-25 tools/call that asked for a task on the aggregated /mcp: the Mcp-Session-Id value its
   * pod was chosen by (taskIds.ts). Sidecar mode: the session opened for it is kept for the task (upstreamSession.ts).
   */
  taskAffinity: string = '';
  keepSession: bool = false;
  /** Sidecar mode, that task's params.task.ttl in ms; -1 when it names none. */
  taskTtlMs: i64 = -1;
  /**
   * Gateway mode, a 2025-11-25 task method on the aggregated /mcp: the task id as the client sent it (a 404 to it
   * becomes an unknown task, unavailable.ts).
   */
  taskSealed: string = '';

  constructor(rt: Runtime) {
    this.rt = rt;
  }

  /** Ends the request with a JSON-RPC error local response; the caller returns Stop. */
  refuse(o: Outcome, message: string, reply: Reply = new Reply()): void {
    enter(REPLY);
    this.outcome = o;
    this.decided = true;
    if (this.decision.length === 0) this.decision = 'deny';
    sendError(o, this.idJson, message, reply);
    leave();
  }
}

/** The audit line's params members for the raw JSON params at [p, p+n), per audit.params, as UTF-8. */
export function auditParams(mode: AuditParams, p: usize, n: i32): ArrayBuffer | null {
  if (n <= 0) return null;
  if (mode === AuditParams.Hash) return String.UTF8.encode('"params_sha256":"' + sha256Hex(p, n) + '"');
  // Full params are the scanner-validated JSON itself; past 16 KiB a line would swamp the log, so it falls back.
  if (mode === AuditParams.Full && n <= 16384) {
    const head = '"params":';
    const out = new ArrayBuffer(head.length + n);
    const q = changetype<usize>(out);
    for (let i = 0; i < head.length; i++) store<u8>(q + <usize>i, <u8>head.charCodeAt(i));
    memory.copy(q + <usize>head.length, p, <usize>n);
    return out;
  }
  if (mode === AuditParams.Full)
    return String.UTF8.encode('"params_truncated":true,"params_sha256":"' + sha256Hex(p, n) + '"');
  return String.UTF8.encode('"params_bytes":' + n.toString());
}

/** on_log: meter and audit the stream if it carried an MCP request. */
export function finishStream(s: Stream): void {
  if (!s.mcp) return;
  const end = nowNanos();
  const durationMs = end > s.start ? (end - s.start) / 1000000 : 0;
  const scan = s.scan;
  if (scan != null && !scan.done) {
    enter(SCAN);
    scan.finish();
    leave();
  }
  enter(METRICS);
  const status = statusLabel(s, scan);
  const service = s.service.length > 0 ? s.service : 'unknown';
  const tool = s.toolLabel.length > 0 ? s.toolLabel : 'unknown';
  const prefix = s.rt.metricPrefix;
  if (s.outcome !== Outcome.Forwarded) meterDenial(prefix, service, tool, status);
  meterRequest(prefix, service, tool, status, durationMs);
  leave();
  const audit = s.rt.config.audit;
  if (audit.logLevel === LogLevel.Off) return;
  enter(AUDIT);
  const r = new AuditRecord();
  r.timestamp = end;
  r.mode = s.rt.gateway ? 'gateway' : 'sidecar';
  r.requestId = s.requestId;
  if (s.traceparent.length > 0) r.traceId = traceIdOf(s.traceparent);
  r.client = s.identity.principal;
  r.clientSource = s.identity.source;
  const via = s.via;
  if (via != null) r.via = via.principal;
  const onBehalfOf = s.headers.onBehalfOf;
  if (onBehalfOf != null) r.onBehalfOf = onBehalfOf;
  r.groups = s.identity.groups;
  r.method = s.method;
  r.service = s.service;
  r.tool = s.tool;
  r.params = s.params;
  r.decision = s.decision.length > 0 ? s.decision : s.outcome === Outcome.Forwarded ? 'allow' : 'deny';
  r.rule = s.rule;
  r.status = status;
  r.httpStatus = s.upstreamStatus;
  if (scan != null && scan.hasCode) {
    r.rpcCode = scan.code;
    r.hasRpcCode = true;
  }
  r.durationMs = durationMs;
  const line = auditLine(r);
  logBytes(<u32>audit.logLevel, line.ptr, line.len);
  leave();
}

/**
 * The metric status and audit status: a refusal's reason; for a forwarded request, `error` for a non-2xx answer or
 * one the gateway rewrote, else what the body said (`error` for a JSON-RPC error, `tool_error` for isError: true).
 */
function statusLabel(s: Stream, scan: ResponseScan | null): string {
  if (s.outcome !== Outcome.Forwarded || s.rewriteUnavailable || scan == null) {
    return outcomeLabel(s.outcome, s.upstreamStatus);
  }
  if (s.upstreamStatus < 200 || s.upstreamStatus >= 300) return 'error';
  if (scan.verdict === Verdict.Error) return 'error';
  if (scan.verdict === Verdict.ToolError) return 'tool_error';
  return 'success';
}
