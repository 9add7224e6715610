// The audit line: one JSON object per MCP request, written with proxy_log when the stream ends, with the
// documented fields (timestamp, client, service, tool, params, status, duration_ms) plus request id, method and decision.

import { JsonOut } from './jsonOut';

/** RFC 3339 UTC with milliseconds, from Unix nanoseconds (civil-from-days, proleptic Gregorian). */
export function writeIsoTime(out: JsonOut, nanos: u64): void {
  const ms = <i64>(nanos / 1000000);
  const secs = ms / 1000;
  const days = secs / 86400;
  const sod = <i32>(secs % 86400);
  const z = days + 719468;
  const era = z / 146097;
  const doe = <i32>(z - era * 146097);
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = <i32>(<i64>yoe + era * 400) + (month <= 2 ? 1 : 0);
  out.padded(year, 4).raw('-').padded(month, 2).raw('-').padded(day, 2).raw('T');
  out
    .padded(sod / 3600, 2)
    .raw(':')
    .padded((sod / 60) % 60, 2)
    .raw(':')
    .padded(sod % 60, 2);
  out
    .raw('.')
    .padded(<i32>(ms % 1000), 3)
    .raw('Z');
}

export class AuditRecord {
  timestamp: u64 = 0;
  mode: string = 'gateway';
  requestId: string = '';
  /** The W3C trace id the request travelled under; empty: none. */
  traceId: string = '';
  client: string = '';
  clientSource: string = '';
  /** Who the client said it acts for (audit.onBehalfOfHeader); empty: not said. */
  onBehalfOf: string = '';
  /** The delegate key's principal when it acted for client; empty: the client called itself. */
  via: string = '';
  groups: string[] = [];
  method: string = '';
  service: string = '';
  tool: string = '';
  /** UTF-8 JSON for the params members: `"params_bytes":N`, `"params_sha256":"…"` or `"params":{…}`; null: none. */
  params: ArrayBuffer | null = null;
  decision: string = '';
  rule: string = '';
  status: string = '';
  httpStatus: u32 = 0;
  /** The JSON-RPC error code of the answer, when it was one (hasRpcCode). */
  rpcCode: i32 = 0;
  hasRpcCode: bool = false;
  durationMs: u64 = 0;
}

const line = new JsonOut(1024);

/** The line as one JSON object in a reused buffer; members with no value are left out rather than written empty. */
export function auditLine(r: AuditRecord): JsonOut {
  const o = line.reset();
  o.raw('{"timestamp":"');
  writeIsoTime(o, r.timestamp);
  o.raw('","kind":"mcp_audit","mode":"').raw(r.mode).raw('"');
  if (r.requestId.length > 0) o.raw(',"request_id":').str(r.requestId);
  if (r.traceId.length > 0) o.raw(',"trace_id":"').raw(r.traceId).raw('"');
  o.raw(',"client":');
  if (r.client.length > 0) o.str(r.client);
  else o.raw('null');
  if (r.clientSource.length > 0) o.raw(',"client_source":"').raw(r.clientSource).raw('"');
  if (r.onBehalfOf.length > 0) o.raw(',"on_behalf_of":').str(r.onBehalfOf);
  if (r.via.length > 0) o.raw(',"via":').str(r.via);
  if (r.groups.length > 0) {
    o.raw(',"groups":[');
    for (let i = 0; i < r.groups.length; i++) {
      if (i > 0) o.raw(',');
      o.str(r.groups[i]);
    }
    o.raw(']');
  }
  if (r.method.length > 0) o.raw(',"method":').str(r.method);
  if (r.service.length > 0) o.raw(',"service":').str(r.service);
  if (r.tool.length > 0) o.raw(',"tool":').str(r.tool);
  const params = r.params;
  if (params != null) o.raw(',').bytes(changetype<usize>(params), <usize>params.byteLength);
  o.raw(',"decision":"').raw(r.decision).raw('"');
  if (r.rule.length > 0) o.raw(',"rule":').str(r.rule);
  o.raw(',"status":"').raw(r.status).raw('","http_status":').u64(r.httpStatus);
  if (r.hasRpcCode) {
    o.raw(',"rpc_code":');
    if (r.rpcCode < 0) o.raw('-');
    o.u64(<u64>(r.rpcCode < 0 ? -(<i64>r.rpcCode) : <i64>r.rpcCode));
  }
  o.raw(',"duration_ms":').u64(r.durationMs).raw('}');
  return o;
}
