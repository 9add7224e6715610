// Every way a request can end in the filter, with the one mapping to HTTP status, JSON-RPC code, audit status and
// metric label (DESIGN.md "fail closed"), and the JSON-RPC error bodies sent with proxy_send_local_response.

import { sendLocalResponse } from './abi';

export enum Outcome {
  /** Passed on to the upstream; its status decides success or error. */
  Forwarded = 0,
  /** Not JSON, invalid UTF-8 or empty: 400, -32700. */
  ParseError = 1,
  /** JSON but not one JSON-RPC request (batch, wrong jsonrpc, bad id/params, too deep, duplicate key): 400, -32600. */
  InvalidRequest = 2,
  /** Body above limits.maxBodyBytes: 413, -32600. */
  TooLarge = 3,
  /** Mcp-Method / Mcp-Name / MCP-Protocol-Version disagree with the body: 400, -32020. */
  HeaderMismatch = 4,
  /** No identity source named the caller: 401 with a resource_metadata challenge, -32001. */
  Unauthenticated = 5,
  /** A policy rule or the peer list refused the caller: 403, -32003. */
  Forbidden = 6,
  /** A tool the routing table does not have: 200, -32602 (as the sidecar answers an unknown tool). */
  UnknownTool = 7,
  /** A policy deny answered as an unknown tool, so the tool's existence does not leak: 200, -32602. */
  Denied = 8,
  /** A token bucket is empty: 429 with Retry-After, -32029. */
  RateLimited = 9,
  /** The filter has no usable configuration: 503, -32603. */
  Unavailable = 10,
  /** /mcp/<name> for a name the routing table does not have: 404, -32600. */
  NotFound = 11,
  /** A request for what needs a client capability it did not declare (the tasks extension's methods): 400, -32021. */
  MissingCapability = 12,
}

export const CODE_PARSE_ERROR: i32 = -32700;
export const CODE_INVALID_REQUEST: i32 = -32600;
export const CODE_INVALID_PARAMS: i32 = -32602;
export const CODE_INTERNAL: i32 = -32603;
export const CODE_HEADER_MISMATCH: i32 = -32020;
export const CODE_UNAUTHENTICATED: i32 = -32001;
export const CODE_FORBIDDEN: i32 = -32003;
export const CODE_RATE_LIMITED: i32 = -32029;
export const CODE_MISSING_CAPABILITY: i32 = -32021;

export function httpStatus(o: Outcome): u32 {
  switch (o) {
    case Outcome.ParseError:
    case Outcome.InvalidRequest:
    case Outcome.HeaderMismatch:
    case Outcome.MissingCapability:
      return 400;
    case Outcome.TooLarge:
      return 413;
    case Outcome.Unauthenticated:
      return 401;
    case Outcome.Forbidden:
      return 403;
    case Outcome.RateLimited:
      return 429;
    case Outcome.Unavailable:
      return 503;
    case Outcome.NotFound:
      return 404;
    default:
      return 200;
  }
}

export function rpcCode(o: Outcome): i32 {
  switch (o) {
    case Outcome.ParseError:
      return CODE_PARSE_ERROR;
    case Outcome.HeaderMismatch:
      return CODE_HEADER_MISMATCH;
    case Outcome.Unauthenticated:
      return CODE_UNAUTHENTICATED;
    case Outcome.Forbidden:
      return CODE_FORBIDDEN;
    case Outcome.UnknownTool:
    case Outcome.Denied:
      return CODE_INVALID_PARAMS;
    case Outcome.RateLimited:
      return CODE_RATE_LIMITED;
    case Outcome.Unavailable:
      return CODE_INTERNAL;
    case Outcome.MissingCapability:
      return CODE_MISSING_CAPABILITY;
    default:
      return CODE_INVALID_REQUEST;
  }
}

/** The audit `status` and the metrics' status/reason label of an outcome (forwarded: by the upstream's status). */
export function outcomeLabel(o: Outcome, upstreamStatus: u32): string {
  switch (o) {
    case Outcome.Forwarded:
      return upstreamStatus >= 200 && upstreamStatus < 300 ? 'success' : 'error';
    case Outcome.ParseError:
    case Outcome.InvalidRequest:
      return 'invalid';
    case Outcome.TooLarge:
      return 'too_large';
    case Outcome.HeaderMismatch:
      return 'header_mismatch';
    case Outcome.Unauthenticated:
      return 'unauthenticated';
    case Outcome.Forbidden:
      return 'forbidden';
    case Outcome.UnknownTool:
      return 'unknown_tool';
    case Outcome.Denied:
      return 'denied';
    case Outcome.RateLimited:
      return 'rate_limited';
    case Outcome.NotFound:
      return 'not_found';
    case Outcome.MissingCapability:
      return 'missing_capability';
    default:
      return 'unavailable';
  }
}

/** `s` as a JSON string literal (quotes included). */
export function jsonString(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      clean = false;
      break;
    }
  }
  if (clean) return '"' + s + '"';
  const parts = new Array<string>();
  parts.push('"');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) parts.push('\\"');
    else if (c === 0x5c) parts.push('\\\\');
    else if (c === 0x0a) parts.push('\\n');
    else if (c < 0x20) parts.push(c < 0x10 ? '\\u000' + c.toString(16) : '\\u00' + c.toString(16));
    else parts.push(String.fromCharCode(c));
  }
  parts.push('"');
  return parts.join('');
}

/** A reply being assembled: extra headers and JSON-RPC error data beyond code and message. */
export class Reply {
  names: string[] = ['content-type'];
  values: string[] = ['application/json'];
  /** Raw JSON of the error's data member; empty for none. */
  data: string = '';

  header(name: string, value: string): Reply {
    this.names.push(name);
    this.values.push(value);
    return this;
  }
}

/**
 * Sends the JSON-RPC error for an outcome as a local response. id is the raw JSON of the request's id (`null` when it
 * is unknown); details is Envoy's response code detail (%RESPONSE_CODE_DETAILS% in access logs).
 */
export function sendError(o: Outcome, id: string, message: string, reply: Reply): void {
  let body = '{"jsonrpc":"2.0","id":' + id + ',"error":{"code":' + rpcCode(o).toString() + ',"message":';
  body += jsonString(message);
  if (reply.data.length > 0) body += ',"data":' + reply.data;
  body += '}}';
  sendLocalResponse(httpStatus(o), 'meshmcp_' + outcomeLabel(o, 0), body, reply.names, reply.values);
}
