// One string member of a JSON object the scanner has already proved well-formed: found by key at that object's own
// level (never inside a nested value), for the few members below params the gateway reads (ref.name, ref.uri,
// _meta.traceparent).

import { JsonKind, JsonRange } from './jsonScanner';

/** Where a JSON string starting at i (its opening quote) ends: the index after its closing quote. */
function stringEnd(p: usize, i: i32, end: i32): i32 {
  i++;
  while (i < end) {
    const c = load<u8>(p + <usize>i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return end;
}

/**
 * Fills out with the string value of `key` (spelled without escapes) in the object at obj, and returns true; false
 * when the object has no such member at its own level, or its value is not a string.
 */
export function memberString(p: usize, obj: JsonRange, key: string, out: JsonRange): bool {
  if (obj.kind !== JsonKind.Object) return false;
  let depth = 0;
  let i = obj.start + 1;
  const end = obj.end - 1;
  while (i < end) {
    const c = load<u8>(p + <usize>i);
    if (c === 0x22) {
      const close = stringEnd(p, i, end);
      let j = close;
      while (j < end && load<u8>(p + <usize>j) <= 0x20) j++;
      if (depth === 0 && j < end && load<u8>(p + <usize>j) === 0x3a && close - i - 2 === key.length) {
        let same = true;
        for (let k = 0; k < key.length; k++) {
          if (<i32>load<u8>(p + <usize>(i + 1 + k)) !== key.charCodeAt(k)) same = false;
        }
        if (same) {
          j++;
          while (j < end && load<u8>(p + <usize>j) <= 0x20) j++;
          if (j >= end || load<u8>(p + <usize>j) !== 0x22) return false;
          const vEnd = stringEnd(p, j, end);
          out.start = j;
          out.end = vEnd;
          out.kind = JsonKind.String;
          out.escaped = false;
          for (let k = j + 1; k < vEnd - 1; k++) if (load<u8>(p + <usize>k) === 0x5c) out.escaped = true;
          return true;
        }
      }
      i = close;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    i++;
  }
  return false;
}
