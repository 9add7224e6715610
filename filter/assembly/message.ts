// One JSON-RPC message, checked before anything acts on it: the scanner's verdict (well-formed, bounded, one object),
// then the JSON-RPC 2.0 shape both modes need (jsonrpc "2.0", a string or number id, an object params, a method).

import { bufferBytes, DATA_CONTINUE, DATA_STOP_BUFFER, DATA_STOP_NO_BUFFER, HostBytes, REQUEST_BODY } from './abi';
import { Outcome } from './errors';
import { JsonKind, ScanError, ScanResult, scanMessage } from './jsonScanner';
import { decodeString, equalsAscii } from './jsonString';
import { Stream } from './stream';
import { enter, leave, SCAN } from './profile';

/** Longest method name accepted; MCP's are a few dozen bytes. */
const MAX_METHOD_BYTES: i32 = 128;
/** Longest id echoed back in an error body. */
const MAX_ID_BYTES: i32 = 256;

/** Scans the body and checks the envelope; on failure the stream has been refused and false is returned. */
export function checkMessage(s: Stream, p: usize, n: i32, scan: ScanResult): bool {
  const limits = s.rt.config.limits;
  const e = scanMessage(p, n, limits.maxBodyBytes, limits.maxDepth, scan);
  if (e !== ScanError.Ok) {
    const at = ' at byte ' + scan.errorOffset.toString();
    if (e === ScanError.TooLarge)
      s.refuse(Outcome.TooLarge, 'Request body larger than ' + limits.maxBodyBytes.toString() + ' bytes');
    else if (e === ScanError.Batch)
      s.refuse(Outcome.InvalidRequest, 'Invalid Request: JSON-RPC batches are not supported');
    else if (e === ScanError.NotObject)
      s.refuse(Outcome.InvalidRequest, 'Invalid Request: the body is not a JSON-RPC message');
    else if (e === ScanError.TooDeep)
      s.refuse(Outcome.InvalidRequest, 'Invalid Request: nested deeper than ' + limits.maxDepth.toString() + at);
    else if (e === ScanError.DuplicateKey) s.refuse(Outcome.InvalidRequest, 'Invalid Request: duplicate member' + at);
    else if (e === ScanError.BadUtf8) s.refuse(Outcome.ParseError, 'Parse error: invalid UTF-8' + at);
    else if (e === ScanError.Empty) s.refuse(Outcome.ParseError, 'Parse error: the request has no body');
    else s.refuse(Outcome.ParseError, 'Parse error: invalid JSON' + at);
    return false;
  }
  const id = scan.id;
  if (id.present) {
    if ((id.kind !== JsonKind.String && id.kind !== JsonKind.Number) || id.end - id.start > MAX_ID_BYTES) {
      s.refuse(Outcome.InvalidRequest, 'Invalid Request: "id" must be a string or a number');
      return false;
    }
    s.idJson = String.UTF8.decodeUnsafe(p + <usize>id.start, <usize>(id.end - id.start));
  }
  if (!equalsAscii(p, scan.jsonrpc, '2.0')) {
    s.refuse(Outcome.InvalidRequest, 'Invalid Request: "jsonrpc" must be "2.0"');
    return false;
  }
  if (scan.params.present && scan.params.kind !== JsonKind.Object) {
    s.refuse(Outcome.InvalidRequest, 'Invalid Request: "params" must be an object');
    return false;
  }
  return true;
}

/** Decodes the method into s.method; refuses messages without one (responses are not requests a client POSTs here). */
export function readMethod(s: Stream, p: usize, scan: ScanResult): bool {
  enter(SCAN);
  const m = scan.method.present ? decodeString(p, scan.method, MAX_METHOD_BYTES) : null;
  if (m == null || m.length === 0) {
    s.refuse(
      Outcome.InvalidRequest,
      scan.method.present
        ? 'Invalid Request: "method" must be a short string'
        : 'Invalid Request: the body has no method',
    );
    leave();
    return false;
  }
  s.method = m;
  leave();
  return true;
}

/** What collectBody answers once the whole body is in `body`; any other value is the callback's return value. */
export const BODY_READY: u32 = 0xffffffff;

/** Refuses a request whose Content-Length is above the limit, before any body is read. */
export function declaredTooLarge(s: Stream, contentLength: string | null): bool {
  const max = s.rt.config.limits.maxBodyBytes;
  if (contentLength == null || contentLength.length === 0) return false;
  // Envoy's codec lets only digits through. Twelve or more are beyond any limit the configuration allows (and than
  // parseInt reads exactly): too large at once, not a wait for the body. (Zero-padding that long is not honoured.)
  if (contentLength.length < 12 && I64.parseInt(contentLength) <= max) return false;
  s.refuse(Outcome.TooLarge, 'Request body larger than ' + max.toString() + ' bytes');
  return true;
}

/**
 * One on_request_body: keeps buffering until end of stream (413 as soon as the buffer outgrows the limit), then
 * copies the whole body into `body` and answers BODY_READY.
 */
export function collectBody(s: Stream, size: i32, endOfStream: bool, body: HostBytes): u32 {
  if (s.decided) return s.outcome === Outcome.Forwarded ? DATA_CONTINUE : DATA_STOP_NO_BUFFER;
  const max = s.rt.config.limits.maxBodyBytes;
  if (size > max) {
    s.refuse(Outcome.TooLarge, 'Request body larger than ' + max.toString() + ' bytes');
    return DATA_STOP_NO_BUFFER;
  }
  if (!endOfStream) return DATA_STOP_BUFFER;
  if (!bufferBytes(REQUEST_BODY, size, body)) {
    s.refuse(Outcome.ParseError, 'Parse error: the request has no body');
    return DATA_STOP_NO_BUFFER;
  }
  return BODY_READY;
}
