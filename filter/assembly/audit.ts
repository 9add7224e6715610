// The audit line: one JSON object per MCP request, written with proxy_log when the stream ends, with the seed's
// fields (timestamp, client, service, tool, params, status, duration_ms) plus request id, method and decision.

import { jsonString } from './errors';

function pad(n: i32, width: i32): string {
  let s = n.toString();
  while (s.length < width) s = '0' + s;
  return s;
}

/** RFC 3339 UTC with milliseconds, from Unix nanoseconds (civil-from-days, proleptic Gregorian). */
export function isoTime(nanos: u64): string {
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
  return (
    pad(year, 4) +
    '-' +
    pad(month, 2) +
    '-' +
    pad(day, 2) +
    'T' +
    pad(sod / 3600, 2) +
    ':' +
    pad((sod / 60) % 60, 2) +
    ':' +
    pad(sod % 60, 2) +
    '.' +
    pad(<i32>(ms % 1000), 3) +
    'Z'
  );
}

export class AuditRecord {
  timestamp: u64 = 0;
  mode: string = 'gateway';
  requestId: string = '';
  client: string = '';
  clientSource: string = '';
  groups: string[] = [];
  method: string = '';
  service: string = '';
  tool: string = '';
  /** Raw JSON for the params members: `"params_bytes":N`, `"params_sha256":"…"` or `"params":{…}`; empty: none. */
  params: string = '';
  decision: string = '';
  rule: string = '';
  status: string = '';
  httpStatus: u32 = 0;
  durationMs: u64 = 0;
}

/** The line as one JSON object; members with no value are left out rather than written empty. */
export function auditLine(r: AuditRecord): string {
  const parts = new Array<string>();
  parts.push('{"timestamp":"' + isoTime(r.timestamp) + '","kind":"mcp_audit","mode":"' + r.mode + '"');
  if (r.requestId.length > 0) parts.push(',"request_id":' + jsonString(r.requestId));
  parts.push(',"client":' + (r.client.length > 0 ? jsonString(r.client) : 'null'));
  if (r.clientSource.length > 0) parts.push(',"client_source":"' + r.clientSource + '"');
  if (r.groups.length > 0) {
    parts.push(',"groups":[');
    for (let i = 0; i < r.groups.length; i++) parts.push((i > 0 ? ',' : '') + jsonString(r.groups[i]));
    parts.push(']');
  }
  if (r.method.length > 0) parts.push(',"method":' + jsonString(r.method));
  if (r.service.length > 0) parts.push(',"service":' + jsonString(r.service));
  if (r.tool.length > 0) parts.push(',"tool":' + jsonString(r.tool));
  if (r.params.length > 0) parts.push(',' + r.params);
  parts.push(',"decision":"' + r.decision + '"');
  if (r.rule.length > 0) parts.push(',"rule":' + jsonString(r.rule));
  parts.push(',"status":"' + r.status + '","http_status":' + r.httpStatus.toString());
  parts.push(',"duration_ms":' + r.durationMs.toString() + '}');
  return parts.join('');
}
