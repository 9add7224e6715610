// W3C trace context for the gateway: a `traceparent` the client sent (HTTP header, else params._meta.traceparent as
// MCP clients carry it) is checked and kept; without one the gateway starts a trace. The result travels in both
// places to the server, and its trace id goes into the audit line.

import { memberString } from './jsonMember';
import { JsonRange } from './jsonScanner';
import { sha256Hex } from './sha256';

/** Whether c is a lower-case hex digit. */
function hex(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/** Whether s[from, from+n) is lower-case hex and not all zeros. */
function hexId(s: string, from: i32, n: i32): bool {
  let zero = true;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i);
    if (!hex(c)) return false;
    if (c !== 0x30) zero = false;
  }
  return !zero;
}

/** A version-00 traceparent: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all zeros. */
export function validTraceparent(s: string): bool {
  if (s.length !== 55) return false;
  if (s.charCodeAt(0) !== 0x30 || s.charCodeAt(1) !== 0x30) return false;
  if (s.charCodeAt(2) !== 0x2d || s.charCodeAt(35) !== 0x2d || s.charCodeAt(52) !== 0x2d) return false;
  return hexId(s, 3, 32) && hexId(s, 36, 16) && hex(s.charCodeAt(53)) && hex(s.charCodeAt(54));
}

/** The trace id of a valid traceparent. */
export function traceIdOf(traceparent: string): string {
  return traceparent.substring(3, 35);
}

/** A new traceparent is written here byte by byte, then decoded once: one allocation per request. */
const started = memory.data(55);
const HEX = '0123456789abcdef';

/**
 * A new trace, sampled. Envoy's x-request-id is a random UUID: its 32 hex digits are the trace id, and the time in
 * nanoseconds (16 hex digits) the parent id. Any other request id is hashed with the time instead.
 */
export function startTraceparent(requestId: string, nanos: u64): string {
  store<u8>(started, 0x30);
  store<u8>(started, 0x30, 1);
  store<u8>(started, 0x2d, 2);
  store<u8>(started, 0x2d, 35);
  for (let i = 0; i < 16; i++)
    store<u8>(started + <usize>(51 - i), <u8>HEX.charCodeAt(<i32>((nanos >> (<u64>i * 4)) & 15)));
  store<u8>(started, 0x2d, 52);
  store<u8>(started, 0x30, 53);
  store<u8>(started, 0x31, 54);
  if (uuidTraceId(requestId)) return String.UTF8.decodeUnsafe(started, 55);
  const time = nanos.toString(16).padStart(16, '0');
  const b = String.UTF8.encode(requestId + '\n' + time);
  const d = sha256Hex(changetype<usize>(b), b.byteLength);
  return '00-' + d.substring(0, 32) + '-' + d.substring(32, 48) + '-01';
}

/** Writes a UUID's 32 hex digits as the trace id; false when requestId is not a UUID with a non-zero id. */
function uuidTraceId(requestId: string): bool {
  if (requestId.length !== 36) return false;
  let at = 3;
  let zero = true;
  for (let i = 0; i < 36; i++) {
    const c = requestId.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
      continue;
    }
    if (!hex(c)) return false;
    if (c !== 0x30) zero = false;
    store<u8>(started + <usize>at, <u8>c);
    at++;
  }
  return !zero;
}

const member = new JsonRange();

/**
 * The traceparent member of the _meta object at meta: its string value when it is a member of _meta itself (not of
 * something nested) and carries no escape, else null.
 */
export function metaTraceparent(p: usize, meta: JsonRange): string | null {
  if (!memberString(p, meta, 'traceparent', member) || member.escaped) return null;
  return String.UTF8.decodeUnsafe(p + <usize>(member.start + 1), <usize>(member.end - member.start - 2));
}
