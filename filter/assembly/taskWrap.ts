// Gateway mode: the answers that may carry a task id of the 2026-07-28 tasks extension (a tools/call or a listen
// stream that declared the extension, tasks/get, tasks/update, tasks/cancel), and on the aggregated /mcp of a
// 2025-11-25 task (a tools/call that asked for one, tasks/get, tasks/result, tasks/cancel), get every
// `"taskId":"<id>"` turned into the id the gateway hands out (taskIds.ts), as the answer streams past, JSON or SSE. A value still open
// at a chunk's end is held (at most MAX_TASK_ID bytes) until the next; a value with an escape, or longer than that,
// passes as the server wrote it. A raw `"taskId":"` never occurs inside a JSON string, where every quote is escaped.

import { replaceBuffer, RESPONSE_BODY } from './abi';
import { matchesAt, partialAtEnd, withCarry } from './resultUris';
import { MAX_TASK_ID, taskIdPrefix } from './taskIds';

const KEY = '"taskId":"';

export class TaskWrap {
  /** Bytes from the end of the last chunk: a value not yet closed, or what may be the start of KEY. */
  carry: ArrayBuffer = new ArrayBuffer(0);
  /** Put before each server id (inside the mac): a 2025-11-25 task's session form (taskIds.ts), or nothing. */
  inner: string = '';

  constructor(
    public keys: ArrayBuffer[],
    public principal: string,
    public service: string,
  ) {}
}

/** Where the value starting at v closes (its quote), -1 when not in [v, n), -2 when it cannot be wrapped. */
function valueEnd(p: usize, v: i32, n: i32): i32 {
  const limit = v + MAX_TASK_ID;
  for (let i = v; i < n; i++) {
    const c = load<u8>(p + <usize>i);
    if (c === 0x22) return i > v ? i : -2;
    if (c === 0x5c || c < 0x20 || i >= limit) return -2;
  }
  return -1;
}

/** on_response_body: this chunk (after what was carried), with each task id the server wrote handed out anew. */
export function wrapTaskIds(w: TaskWrap, size: i32, endOfStream: bool): void {
  const data = withCarry(w.carry, size);
  const n = data.byteLength;
  const d = changetype<usize>(data);
  const at = new Array<i32>();
  const prefixes = new Array<ArrayBuffer>();
  let extra = 0;
  let end = -1;
  let i = 0;
  while (i + KEY.length <= n) {
    if (!matchesAt(d, i, KEY)) {
      i++;
      continue;
    }
    const v = i + KEY.length;
    const close = valueEnd(d, v, n);
    if (close === -1 && !endOfStream) {
      // Held whole, from the key on, until the value closes.
      end = i;
      break;
    }
    if (close >= 0) {
      const id = String.UTF8.decodeUnsafe(d + <usize>v, <usize>(close - v));
      const prefix = String.UTF8.encode(taskIdPrefix(w.keys, w.principal, w.service, w.inner + id) + w.inner);
      at.push(v);
      prefixes.push(prefix);
      extra += prefix.byteLength;
      i = close + 1;
    } else i = v;
  }
  if (end < 0) end = endOfStream ? n : n - partialAtEnd(d + <usize>i, n - i, KEY);
  const out = new ArrayBuffer(end + extra);
  const o = changetype<usize>(out);
  let from = 0;
  let to = 0;
  for (let k = 0; k < at.length; k++) {
    const upto = at[k];
    const prefix = prefixes[k];
    memory.copy(o + <usize>to, d + <usize>from, <usize>(upto - from));
    to += upto - from;
    memory.copy(o + <usize>to, changetype<usize>(prefix), <usize>prefix.byteLength);
    to += prefix.byteLength;
    from = upto;
  }
  memory.copy(o + <usize>to, d + <usize>from, <usize>(end - from));
  w.carry = data.slice(end, n);
  replaceBuffer(RESPONSE_BODY, size, out);
}
