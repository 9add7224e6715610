// Gateway mode: when nothing answered an MCP request, Envoy's router (or the connection manager) replies itself: a
// 4xx/5xx with a plain-text body (`no healthy upstream`, `upstream connect error …`, `upstream request timeout`). No
// MCP client can show that to a user, so the client gets an MCP answer instead, with the request's id:
// - a routed tools/call: a tool result with isError, so one service down reads to the model as that tool failing,
//   not as the whole MCP server breaking (`resultType` is what 2026-07-28 requires of a complete result; earlier
//   revisions allow the extra member);
// - any other request (initialize, tools/list, server/discover, … to the control service): HTTP 200 with a JSON-RPC
//   error naming what is unavailable, which the SDKs raise as an MCP error with that message;
// - a notification or a GET/DELETE (no id to answer): the status stays, the body becomes a JSON-RPC error.
// An upstream's own answers (JSON, SSE) pass untouched.

import {
  bufferBytes,
  DATA_CONTINUE,
  DATA_STOP_BUFFER,
  HEADERS_CONTINUE,
  HEADERS_STOP,
  HostBytes,
  release,
  removeHeader,
  replaceBuffer,
  RESPONSE_BODY,
  RESPONSE_HEADERS,
  setHeader,
} from './abi';
import { CODE_INTERNAL, jsonString } from './errors';
import { Stream } from './stream';

const MAX_DETAIL = 200;
const body = new HostBytes();

/** A reply no MCP server wrote: 4xx/5xx with a plain-text (or no) content type. */
export function isRouterFailure(status: u32, contentType: string | null): bool {
  if (status < 400) return false;
  return contentType == null || contentType.length === 0 || contentType.startsWith('text/plain');
}

/** on_response_headers: takes over a failure reply to an MCP request; Stop until its body is read. */
export function unavailableHeaders(s: Stream, status: u32, contentType: string | null, endOfStream: bool): u32 {
  // A reply without a body cannot be given one here; Envoy's own failure replies always carry their reason.
  if (endOfStream || !isRouterFailure(status, contentType)) return HEADERS_CONTINUE;
  s.rewriteUnavailable = true;
  if (s.idJson !== 'null') setHeader(RESPONSE_HEADERS, ':status', '200');
  setHeader(RESPONSE_HEADERS, 'content-type', 'application/json');
  removeHeader(RESPONSE_HEADERS, 'content-length');
  return HEADERS_STOP;
}

/** A 2025-11-25 task method on the aggregated /mcp whose session its server no longer has (404). */
export function taskGone(s: Stream): bool {
  return s.taskSealed.length > 0 && s.upstreamStatus === 404;
}

/**
 * on_response_headers, when taskGone (the server restarted, or ended the session): the client gets an unknown task,
 * never a 404, which would tell it that its own session with the gateway is gone.
 */
export function taskGoneHeaders(s: Stream, endOfStream: bool): u32 {
  if (endOfStream) return HEADERS_CONTINUE;
  s.rewriteUnavailable = true;
  setHeader(RESPONSE_HEADERS, ':status', '200');
  setHeader(RESPONSE_HEADERS, 'content-type', 'application/json');
  removeHeader(RESPONSE_HEADERS, 'content-length');
  return HEADERS_STOP;
}

/** Envoy's words and status: `upstream connect error …; HTTP 503 at the gateway`. */
function atGateway(s: Stream, detail: string): string {
  return detail + '; HTTP ' + s.upstreamStatus.toString() + ' at the gateway';
}

function whatFailed(s: Stream, at: string): string {
  if (s.service === s.rt.config.control) {
    return (
      'The meshmcp control service is unavailable (' +
      at +
      '). initialize, tools/list and server/discover answer again once it is back; calls to tools do not need it.'
    );
  }
  return s.service + ' is unavailable (' + at + ').';
}

/** on_response_body: buffers the router's text, then replaces it with the MCP answer. */
export function unavailableBody(s: Stream, size: i32, endOfStream: bool): u32 {
  if (!endOfStream) return DATA_STOP_BUFFER;
  let detail = 'no answer';
  if (size > 0 && bufferBytes(RESPONSE_BODY, size < MAX_DETAIL ? size : MAX_DETAIL, body)) {
    detail = String.UTF8.decodeUnsafe(body.ptr, body.len).trim();
    release(body);
  }
  const at = atGateway(s, detail);
  let json: string;
  if (taskGone(s)) {
    const text =
      'Unknown task: ' +
      s.taskSealed +
      ' (' +
      s.service +
      ' no longer has the session it ran in: the server restarted or ended it; run the tool again)';
    json = '{"jsonrpc":"2.0","id":' + s.idJson + ',"error":{"code":-32602,"message":' + jsonString(text) + '}}';
  } else if (s.method === 'tools/call' && s.tool.length > 0 && s.idJson !== 'null') {
    const text =
      s.service +
      ' is unavailable: its MCP server did not answer (' +
      at +
      '). Its tools fail until it recovers; other services are not affected.';
    json =
      '{"jsonrpc":"2.0","id":' +
      s.idJson +
      ',"result":{"content":[{"type":"text","text":' +
      jsonString(text) +
      '}],"isError":true,"resultType":"complete"}}';
  } else {
    json =
      '{"jsonrpc":"2.0","id":' +
      s.idJson +
      ',"error":{"code":' +
      CODE_INTERNAL.toString() +
      ',"message":' +
      jsonString(whatFailed(s, at)) +
      '}}';
  }
  replaceBuffer(RESPONSE_BODY, size, String.UTF8.encode(json));
  return DATA_CONTINUE;
}
