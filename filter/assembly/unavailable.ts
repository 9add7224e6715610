// Gateway mode: when no sidecar answered a tools/call (Envoy's router replies 502/503/504 with a plain-text body),
// the client gets a tool result with isError instead of a bare HTTP error, so one service down reads to the model as
// that tool failing, not as the whole MCP server breaking. A sidecar's own answers (JSON, SSE) pass untouched.
// `resultType` is what 2026-07-28 requires of a complete result; earlier revisions allow the extra member.

import {
  bufferBytes,
  DATA_CONTINUE,
  DATA_STOP_BUFFER,
  getHeader,
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
import { jsonString } from './errors';
import { Stream } from './stream';

const MAX_DETAIL = 200;
const body = new HostBytes();

/** The router's own failure reply: 502/503/504 with a plain-text (or no) content type. Reads the header only then. */
function isRouterFailure(status: u32): bool {
  if (status !== 502 && status !== 503 && status !== 504) return false;
  const contentType = getHeader(RESPONSE_HEADERS, 'content-type');
  return contentType == null || contentType.startsWith('text/plain');
}

/** on_response_headers: takes over the router's failure reply to a routed tools/call; Stop until its body is read. */
export function unavailableHeaders(s: Stream, status: u32, endOfStream: bool): u32 {
  if (endOfStream || s.method !== 'tools/call' || s.tool.length === 0 || s.idJson === 'null') return HEADERS_CONTINUE;
  if (!isRouterFailure(status)) return HEADERS_CONTINUE;
  s.rewriteUnavailable = true;
  setHeader(RESPONSE_HEADERS, ':status', '200');
  setHeader(RESPONSE_HEADERS, 'content-type', 'application/json');
  removeHeader(RESPONSE_HEADERS, 'content-length');
  return HEADERS_STOP;
}

/** on_response_body: buffers the router's text, then replaces it with the tool result. */
export function unavailableBody(s: Stream, size: i32, endOfStream: bool): u32 {
  if (!s.rewriteUnavailable) return DATA_CONTINUE;
  if (!endOfStream) return DATA_STOP_BUFFER;
  let detail = 'no answer';
  if (size > 0 && bufferBytes(RESPONSE_BODY, size < MAX_DETAIL ? size : MAX_DETAIL, body)) {
    detail = String.UTF8.decodeUnsafe(body.ptr, body.len).trim();
    release(body);
  }
  const text =
    s.service +
    ' is unavailable: its MCP sidecar did not answer (' +
    detail +
    '; HTTP ' +
    s.upstreamStatus.toString() +
    ' at the gateway). Its tools fail until it recovers; other services are not affected.';
  const json =
    '{"jsonrpc":"2.0","id":' +
    s.idJson +
    ',"result":{"content":[{"type":"text","text":' +
    jsonString(text) +
    '}],"isError":true,"resultType":"complete"}}';
  replaceBuffer(RESPONSE_BODY, size, String.UTF8.encode(json));
  return DATA_CONTINUE;
}
