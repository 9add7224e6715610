// One string member of a JSON object the scanner has already proved well-formed: found by key at that object's own
// level (never inside a nested value), for the few members below params the gateway reads (ref.name, ref.uri,
// _meta.traceparent, task, taskId).

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
  return member(p, obj, key, out, true);
}

/**
 * Fills out with the value of `key` (any kind, its raw bytes) and returns true; false when the object has no such
 * member at its own level.
 */
export function memberValue(p: usize, obj: JsonRange, key: string, out: JsonRange): bool {
  return member(p, obj, key, out, false);
}

/** Where the JSON value starting at i ends (the index after it); the scanner has proved the text well-formed. */
export function valueEnd(p: usize, i: i32, end: i32): i32 {
  let depth = 0;
  while (i < end) {
    const c = load<u8>(p + <usize>i);
    if (c === 0x22) {
      i = stringEnd(p, i, end);
      if (depth === 0) return i;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === 0x2c || c <= 0x20)) return i;
    i++;
  }
  return end;
}

function kindAt(c: u8): JsonKind {
  if (c === 0x22) return JsonKind.String;
  if (c === 0x7b) return JsonKind.Object;
  if (c === 0x5b) return JsonKind.Array;
  if (c === 0x74) return JsonKind.True;
  if (c === 0x66) return JsonKind.False;
  if (c === 0x6e) return JsonKind.Null;
  return JsonKind.Number;
}

function member(p: usize, obj: JsonRange, key: string, out: JsonRange, stringOnly: bool): bool {
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
          if (j >= end) return false;
          if (load<u8>(p + <usize>j) !== 0x22) {
            if (stringOnly) return false;
            out.start = j;
            out.end = valueEnd(p, j, end);
            out.kind = kindAt(load<u8>(p + <usize>j));
            out.escaped = false;
            return true;
          }
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
