// Sidecar mode: a 2026-07-28 request sent into a session opened for it on a server of an older revision
// (upstreamSession.ts) is bridged down: its envelope comes off the request, and what that revision requires of a
// result is added to the answer.

import {
  bufferBytes,
  DATA_CONTINUE,
  DATA_STOP_BUFFER,
  HostBytes,
  release,
  REQUEST_BODY,
  replaceBuffer,
  RESPONSE_BODY,
} from './abi';
import { valueEnd } from './jsonMember';
import { JsonKind, JsonRange } from './jsonScanner';
import { MAX_SCAN_BYTES } from './responseScan';
import { Stream } from './stream';

const answer = new HostBytes();

const ENVELOPE_PREFIX = 'io.modelcontextprotocol/';

function isPrefixed(p: usize, keyStart: i32, keyEnd: i32): bool {
  if (keyEnd - keyStart - 2 < ENVELOPE_PREFIX.length) return false;
  for (let k = 0; k < ENVELOPE_PREFIX.length; k++) {
    if (<i32>load<u8>(p + <usize>(keyStart + 1 + k)) !== ENVELOPE_PREFIX.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * on_request_body of a request sent into a session opened here: a 2026-07-28 request carries its revision's
 * envelope in params._meta (`io.modelcontextprotocol/*`: protocol version, client info and capabilities), which a
 * server of an older revision reads as a request of the newer one; the session already told it who the client is,
 * so those members go, and the rest of _meta (a traceparent, a progress token) stays.
 */
export function stripEnvelope(s: Stream, p: usize, n: i32, meta: JsonRange): void {
  if (s.upstreamSession.length === 0 || meta.kind !== JsonKind.Object) return;
  const out = new ArrayBuffer(n);
  const q = changetype<usize>(out);
  // Members are copied one by one, each with the comma before it; the first kept one loses its comma.
  memory.copy(q, p, <usize>(meta.start + 1));
  let to = meta.start + 1;
  let i = meta.start + 1;
  const end = meta.end - 1;
  let kept = 0;
  let cut = false;
  while (i < end) {
    const c = load<u8>(p + <usize>i);
    if (c !== 0x22) {
      i++;
      continue;
    }
    const keyEnd = valueEnd(p, i, end);
    let v = keyEnd;
    while (v < end && load<u8>(p + <usize>v) !== 0x3a) v++;
    v++;
    while (v < end && load<u8>(p + <usize>v) <= 0x20) v++;
    const memberEnd = valueEnd(p, v, end);
    if (isPrefixed(p, i, keyEnd)) {
      cut = true;
    } else {
      if (kept > 0) {
        store<u8>(q + <usize>to, 0x2c);
        to++;
      }
      memory.copy(q + <usize>to, p + <usize>i, <usize>(memberEnd - i));
      to += memberEnd - i;
      kept++;
    }
    i = memberEnd;
  }
  if (!cut) return;
  s.bridgedDown = true;
  memory.copy(q + <usize>to, p + <usize>end, <usize>(n - end));
  to += n - end;
  // The headers went on before this body did (StopAll), Content-Length with them: the body keeps its length, with
  // the JSON whitespace allowed after the message where the members were.
  memory.fill(q + <usize>to, 0x20, <usize>(n - to));
  replaceBuffer(REQUEST_BODY, n, out);
}

const RESULT_KEY = '"result":{';
const RESULT_TYPE = '"resultType":"complete"';

/**
 * on_response_body of a request bridged down (stripEnvelope): a 2026-07-28 client requires `resultType` in a
 * result (and caching hints in a resources/read result), which an older server does not write, so the answer (JSON,
 * or the events of an SSE stream) is held to its end and each result gets `"resultType":"complete"` (and
 * `ttlMs: 0`, `cacheScope: private`: nothing the server said allows more). Response headers dropped Content-Length
 * for it. The answer is then read by the stream's scan, as usual.
 */
export function completeResults(s: Stream, size: i32, endOfStream: bool): u32 {
  if (!endOfStream) return DATA_STOP_BUFFER;
  if (size <= 0 || !bufferBytes(RESPONSE_BODY, size, answer)) return DATA_CONTINUE;
  const text = String.UTF8.decodeUnsafe(answer.ptr, <usize>answer.len);
  release(answer);
  // A read's result must also say how long it may be cached: an older server says nothing, so not at all.
  const members = s.method === 'resources/read' ? RESULT_TYPE + ',"ttlMs":0,"cacheScope":"private"' : RESULT_TYPE;
  let out = '';
  let from = 0;
  let at = text.indexOf(RESULT_KEY);
  while (at >= 0) {
    const open = at + RESULT_KEY.length;
    out += text.substring(from, open) + members + (text.charCodeAt(open) === 0x7d ? '' : ',');
    from = open;
    at = text.indexOf(RESULT_KEY, open);
  }
  const bytes = String.UTF8.encode(from === 0 ? text : out + text.substring(from));
  replaceBuffer(RESPONSE_BODY, size, bytes);
  const scan = s.scan;
  if (scan != null) {
    const n = min<i32>(bytes.byteLength, MAX_SCAN_BYTES);
    scan.feed(changetype<usize>(bytes), n);
    scan.finish();
  }
  return DATA_CONTINUE;
}
