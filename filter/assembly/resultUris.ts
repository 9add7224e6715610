// Gateway mode: a resources/read from the aggregated /mcp asked for `meshmcp://<service>/<uri>` and the server
// answers in its own terms, so each `"uri":"` of the answer gets `meshmcp://<service>/` back, as the answer streams
// past (JSON or SSE alike; nothing is held but the few bytes that may start a match at a chunk's end). A raw
// `"uri":"` never occurs inside a JSON string, where every quote is escaped, so only members named uri match.

import { bufferBytes, HostBytes, release, replaceBuffer, RESPONSE_BODY } from './abi';

const KEY = '"uri":"';
const chunk = new HostBytes();

export class UriWrap {
  prefix: ArrayBuffer;
  /** Bytes from the end of the last chunk that may be the start of KEY. */
  carry: ArrayBuffer = new ArrayBuffer(0);

  constructor(prefix: string) {
    this.prefix = String.UTF8.encode(prefix);
  }
}

/** How many bytes at the end of [p, p+n) are a proper prefix of key (a match the next chunk may finish). */
export function partialAtEnd(p: usize, n: i32, key: string): i32 {
  const most = n < key.length - 1 ? n : key.length - 1;
  for (let k = most; k > 0; k--) {
    let same = true;
    for (let i = 0; i < k; i++) {
      if (<i32>load<u8>(p + <usize>(n - k + i)) !== key.charCodeAt(i)) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return 0;
}

/** Whether the ASCII key is at p + i (the caller knows key.length bytes are there). */
export function matchesAt(p: usize, i: i32, key: string): bool {
  for (let k = 0; k < key.length; k++) if (<i32>load<u8>(p + <usize>(i + k)) !== key.charCodeAt(k)) return false;
  return true;
}

/** What was carried from the last chunk followed by this callback's response bytes, in one buffer. */
export function withCarry(carry: ArrayBuffer, size: i32): ArrayBuffer {
  const carried = carry.byteLength;
  const data = new ArrayBuffer(carried + size);
  const d = changetype<usize>(data);
  memory.copy(d, changetype<usize>(carry), <usize>carried);
  if (size > 0 && bufferBytes(RESPONSE_BODY, size, chunk)) {
    memory.copy(d + <usize>carried, chunk.ptr, <usize>chunk.len);
    release(chunk);
  }
  return data;
}

/** on_response_body: this chunk (after what was carried), with the prefix after every KEY. */
export function wrapChunk(w: UriWrap, size: i32, endOfStream: bool): void {
  const data = withCarry(w.carry, size);
  const n = data.byteLength;
  const d = changetype<usize>(data);
  // Where each KEY ends, matched left to right without overlap; after the last one, what may start the next waits.
  const ends = new Array<i32>();
  for (let i = 0; i + KEY.length <= n; i++) {
    if (!matchesAt(d, i, KEY)) continue;
    ends.push(i + KEY.length);
    i += KEY.length - 1;
  }
  const last = ends.length > 0 ? ends[ends.length - 1] : 0;
  const end = endOfStream ? n : n - partialAtEnd(d + <usize>last, n - last, KEY);
  const extra = w.prefix.byteLength;
  const out = new ArrayBuffer(end + ends.length * extra);
  const o = changetype<usize>(out);
  let from = 0;
  let to = 0;
  for (let k = 0; k < ends.length; k++) {
    const upto = ends[k];
    memory.copy(o + <usize>to, d + <usize>from, <usize>(upto - from));
    to += upto - from;
    memory.copy(o + <usize>to, changetype<usize>(w.prefix), <usize>extra);
    to += extra;
    from = upto;
  }
  memory.copy(o + <usize>to, d + <usize>from, <usize>(end - from));
  w.carry = data.slice(end, n);
  replaceBuffer(RESPONSE_BODY, size, out);
}
