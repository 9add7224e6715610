// Envoy's HTTP/1 codec limits on request headers, applied by the front before a stream (and so the filter) exists.
//
// Envoy (source/common/http/http1/codec_impl.cc): ConnectionImpl::completeCurrentHeader refuses a request once it has
// more than max_headers_count header lines (details http1.too_many_headers), and ConnectionImpl::checkMaxHeadersSize
// once the URL plus every header name and value (values trimmed) exceed max_request_headers_kb KiB
// (http1.headers_too_large). Both set 431 and ServerConnectionImpl::sendProtocolError sends the connection manager's
// local reply: body "Request Header Fields Too Large" (text/plain); the request is unfinished, so
// ConnectionManagerImpl::ActiveStream::encodeHeaders adds `connection: close` on HTTP/1 and the connection closes.
// No filter chain has been created: the wasm filter sees nothing, not even on_log.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Envoy's defaults: common_http_protocol_options.max_headers_count and max_request_headers_kb. */
export const DEFAULT_MAX_HEADERS_COUNT = 100;
export const DEFAULT_MAX_REQUEST_HEADERS_KB = 60;

export interface HeaderLimits {
  maxHeadersCount: number;
  maxRequestHeadersKb: number;
}

const STATUS = 431;
const BODY = 'Request Header Fields Too Large';

export type HeaderRefusal = 'http1.too_many_headers' | 'http1.headers_too_large';

/** Why Envoy's codec would refuse these request headers, or undefined. */
export function refusal(req: IncomingMessage, limits: HeaderLimits): HeaderRefusal | undefined {
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.maxHeadersCount) return 'http1.too_many_headers';
  let size = Buffer.byteLength(req.url ?? '');
  for (const part of raw) size += Buffer.byteLength(part);
  return size > limits.maxRequestHeadersKb * 1024 ? 'http1.headers_too_large' : undefined;
}

/** The connection manager's local reply for a codec refusal; the connection closes after it. */
export function refuse(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  res.writeHead(STATUS, [
    'content-length',
    String(Buffer.byteLength(BODY)),
    'content-type',
    'text/plain',
    'connection',
    'close',
  ]);
  res.end(BODY);
}

/**
 * Node's own parser limit on the header block (request line and header lines, raw bytes): well above Envoy's measure
 * so that the front, not Node, decides; a block past even this gets Envoy's answer from `clientError`.
 */
export function nodeMaxHeaderSize(limits: HeaderLimits): number {
  return 2 * limits.maxRequestHeadersKb * 1024 + 16 * 1024;
}

const RAW_REFUSAL =
  `HTTP/1.1 ${STATUS} ${BODY}\r\ncontent-length: ${Buffer.byteLength(BODY)}\r\ncontent-type: text/plain\r\n` +
  `date: %DATE%\r\nconnection: close\r\n\r\n${BODY}`;

/**
 * node:http's clientError, with Envoy's answer for a header block too large for Node's parser and Node's own default
 * answers otherwise (a listener replaces them).
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (socket.writable) {
    const response =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? RAW_REFUSAL.replace('%DATE%', new Date().toUTCString())
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
    socket.end(response);
  } else {
    socket.destroy();
  }
}
