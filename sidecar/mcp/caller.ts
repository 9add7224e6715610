// Who a request is for, as the gateway names it on every request it forwards: x-meshmcp-principal and
// x-meshmcp-groups (%-encoded by the filter where a value is not plain header text, and `,` inside a group), and
// x-meshmcp-request-id. In a pod the sidecar-mode filter admits only the gateway's and the control service's
// identities to the MCP port, which is what makes these headers trustworthy. Pure.
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../types.js';

export type { Caller };

/** What the transport learned about one request that a tool may use. */
export interface RequestInfo {
  caller?: Caller;
  /** the gateway's request id (or the client's x-request-id), printable and bounded */
  requestId?: string;
}

/** The filter's bounds (filter/assembly/identity.ts): longer values or more groups never come from the gateway. */
const MAX_VALUE_BYTES = 256;
const MAX_GROUPS = 64;
const MAX_REQUEST_ID = 128;

/** Node joins repeated headers into one value; only set-cookie stays a list. */
const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

/** The gateway writes visible ASCII only (everything else %-encoded), so anything else did not come from it. */
const VISIBLE = /^[\x21-\x7e]+$/;

function decoded(v: string): string | undefined {
  if (!VISIBLE.test(v)) return undefined;
  let s: string;
  try {
    s = decodeURIComponent(v);
  } catch {
    return undefined;
  }
  // The filter names no principal or group that is longer or holds control characters.
  if (Buffer.byteLength(s) > MAX_VALUE_BYTES || /[\u0000-\u001f\u007f]/.test(s)) return undefined;
  return s;
}

/** The caller named by the gateway's headers; undefined when there is none or a value is not one it could write. */
export function callerFromHeaders(headers: IncomingHttpHeaders): Caller | undefined {
  const rawPrincipal = single(headers['x-meshmcp-principal']);
  const principal = rawPrincipal === undefined ? undefined : decoded(rawPrincipal);
  if (principal === undefined) return undefined;
  const groups: string[] = [];
  const rawGroups = single(headers['x-meshmcp-groups']);
  if (rawGroups !== undefined && rawGroups !== '') {
    const items = rawGroups.split(',');
    if (items.length > MAX_GROUPS) return undefined;
    for (const item of items) {
      const g = decoded(item);
      if (g === undefined) return undefined;
      groups.push(g);
    }
  }
  return { principal, groups };
}

/** The request id a tool passes on to the app, so the app's log lines carry the gateway's id. */
export function requestIdFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  for (const name of ['x-meshmcp-request-id', 'x-request-id']) {
    const v = single(headers[name]);
    if (v !== undefined && v.length <= MAX_REQUEST_ID && VISIBLE.test(v)) return v;
  }
  return undefined;
}

export function requestInfo(headers: IncomingHttpHeaders): RequestInfo {
  const caller = callerFromHeaders(headers);
  const requestId = requestIdFromHeaders(headers);
  return { ...(caller ? { caller } : {}), ...(requestId ? { requestId } : {}) };
}

/**
 * A value %-encoded exactly as the gateway filter writes x-meshmcp-principal and -groups (gateway.ts headerSafe):
 * bytes outside visible ASCII, `%`, and for a list item `,`, as %XX. The filter decodes it back byte for byte.
 */
export function headerSafe(value: string, listItem: boolean): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    out +=
      b <= 0x20 || b >= 0x7f || b === 0x25 || (listItem && b === 0x2c)
        ? `%${b.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(b);
  }
  return out;
}

/** The headers a delegate key names its caller with at the gateway (filter/README.md, delegate keys). */
export function callerHeaders(caller: Caller): Record<string, string> {
  const out: Record<string, string> = { 'x-caller-principal': headerSafe(caller.principal, false) };
  if (caller.groups.length > 0) out['x-caller-groups'] = caller.groups.map((g) => headerSafe(g, true)).join(',');
  return out;
}
