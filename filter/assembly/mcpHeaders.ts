// MCP header/body cross-checks (DESIGN.md contract 4): Mcp-Method and Mcp-Name must agree with the body, and a
// 2026-07-28 request must carry them. The filter never routes or meters on a header alone.

import { memberString } from './jsonMember';
import { decodeString } from './jsonString';
import { JsonRange, ScanResult } from './jsonScanner';

/** Protocol revisions whose requests must carry Mcp-Method (and Mcp-Name where the method has a target). */
const HEADER_REVISIONS: StaticArray<string> = ['2026-07-28'];
/** Longest Mcp-Name value compared; MCP names and URIs used for routing are far shorter. */
const MAX_NAME_BYTES: i32 = 1024;

export class HeaderMismatch {
  /** The header's value, or `(missing)`. */
  header: string = '';
  /** What the body says, as a sentence. */
  body: string = '';
}

/** The tasks extension's methods that name a task (Mcp-Name mirrors params.taskId). */
export const TASK_METHODS: StaticArray<string> = ['tasks/get', 'tasks/update', 'tasks/cancel'];
/** params.taskId of the request being checked (found only for the task methods). */
export const taskIdRange = new JsonRange();

/** The params member a Mcp-Name header mirrors for this method, or null. */
function nameRange(method: string, scan: ScanResult, base: usize): JsonRange | null {
  if (method === 'tools/call' || method === 'prompts/get') return scan.paramsName;
  if (method === 'resources/read') return scan.paramsUri;
  if (!TASK_METHODS.includes(method)) return null;
  taskIdRange.reset();
  memberString(base, scan.params, 'taskId', taskIdRange);
  return taskIdRange;
}

/** The params member named in a mismatch sentence. */
function fieldOf(method: string): string {
  if (method === 'resources/read') return 'uri';
  return method.startsWith('tasks/') ? 'taskId' : 'name';
}

/** `=?base64?`, the sentinel's case-insensitive opening (ASCII only: no Unicode case tables in the module). */
function sentinelStart(v: string): bool {
  const lit = '=?base64?';
  for (let i = 0; i < 9; i++) {
    let c = v.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 32;
    if (c !== lit.charCodeAt(i)) return false;
  }
  return true;
}

function b64(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c === 0x2b) return 62;
  if (c === 0x2f) return 63;
  return -1;
}

/** A header value outside ASCII travels as `=?base64?…?=` (SEP-2243); null when the sentinel's Base64 is invalid. */
export function decodeHeaderValue(v: string): string | null {
  const n = v.length;
  if (n < 11 || !sentinelStart(v) || !v.endsWith('?=')) return v;
  const body = v.substring(9, n - 2);
  let len = body.length;
  while (len > 0 && body.charCodeAt(len - 1) === 0x3d) len--;
  if (len % 4 === 1 || body.length - len > 2) return null;
  const out = new ArrayBuffer((len * 3) >> 2);
  const p = changetype<usize>(out);
  let acc: u32 = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const d = b64(body.charCodeAt(i));
    if (d < 0) return null;
    acc = (acc << 6) | <u32>d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(p + <usize>o, <u8>(acc >> bits));
      o++;
    }
  }
  return String.UTF8.decodeUnsafe(p, <usize>o);
}

/**
 * Fills out and returns true when the headers contradict the body (or a 2026-07-28 request lacks one). method is
 * the body's decoded method; base and scan describe the body; null headers are absent.
 */
export function headersDisagree(
  base: usize,
  scan: ScanResult,
  method: string,
  hMethod: string | null,
  hName: string | null,
  hVersion: string | null,
  out: HeaderMismatch,
): bool {
  if (hMethod != null && hMethod !== method) {
    out.header = hMethod;
    out.body = 'the body names method ' + method + ' but the Mcp-Method header names ' + hMethod;
    return true;
  }
  const range = nameRange(method, scan, base);
  const field = fieldOf(method);
  if (hName != null && range != null && range.present) {
    const decoded = decodeHeaderValue(hName);
    const bodyName = decodeString(base, range, MAX_NAME_BYTES);
    if (decoded == null || bodyName == null || decoded !== bodyName) {
      out.header = hName;
      out.body =
        decoded == null
          ? 'the Mcp-Name header carries an invalid Base64 sentinel value'
          : 'the body carries params.' + field + ' but the Mcp-Name header names ' + decoded;
      return true;
    }
  }
  if (hVersion == null || !HEADER_REVISIONS.includes(hVersion) || !scan.id.present) return false;
  if (hMethod == null) {
    out.header = '(missing)';
    out.body = 'the body names method ' + method + ' but the required Mcp-Method header is absent';
    return true;
  }
  if (range != null && range.present && hName == null) {
    out.header = '(missing)';
    out.body = 'the body carries params.' + field + ' but the required Mcp-Name header is absent';
    return true;
  }
  return false;
}
