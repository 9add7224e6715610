// Bounded, validating scanner for one JSON-RPC message: checks RFC 8259 well-formedness and the size and depth limits
// in one pass over the body bytes, and records where jsonrpc, id, method and params.name/uri/arguments are, without a DOM.

import { equalsAscii, scanString, stringBadUtf8, stringEscaped } from './jsonString';

/** Why a body was refused. Ok is the only success; every other code ends in a JSON-RPC error. */
export enum ScanError {
  Ok = 0,
  /** No bytes, or only whitespace. */
  Empty = 1,
  /** Longer than maxBytes; nothing was read. */
  TooLarge = 2,
  /** Containers nested deeper than maxDepth. */
  TooDeep = 3,
  /** Not JSON (includes trailing bytes after the value and a byte order mark). */
  Syntax = 4,
  /** Well-formed JSON whose top-level value is a string, number or literal. */
  NotObject = 5,
  /** Well-formed JSON whose top-level value is an array: a JSON-RPC batch, which MCP does not allow. */
  Batch = 6,
  /** A string holds bytes that are not UTF-8 (overlong, surrogate, out of range or truncated sequences). */
  BadUtf8 = 7,
  /** jsonrpc, id, method or params appears twice at the top, or name, uri or arguments twice in params. Parsers
   * differ on which copy wins, so the filter and the upstream could act on different values. */
  DuplicateKey = 8,
}

/** The JSON type of a recorded value. */
export enum JsonKind {
  None = 0,
  Object = 1,
  Array = 2,
  String = 3,
  Number = 4,
  True = 5,
  False = 6,
  Null = 7,
}

/** Where one member's value lies in the body: [start, end) byte offsets of its raw JSON (quotes included). */
export class JsonRange {
  start: i32 = -1;
  end: i32 = -1;
  kind: JsonKind = JsonKind.None;
  /** For strings: the raw bytes contain a backslash escape, so they differ from the value. */
  escaped: bool = false;

  get present(): bool {
    return this.kind != JsonKind.None;
  }

  reset(): void {
    this.start = -1;
    this.end = -1;
    this.kind = JsonKind.None;
    this.escaped = false;
  }
}

/** One scan's outcome. The filter keeps one instance per VM and reuses it for every request. */
export class ScanResult {
  error: ScanError = ScanError.Ok;
  /** Byte offset where the scan stopped on an error; -1 on success. */
  errorOffset: i32 = -1;
  /** Kind of the top-level value (Object on success). */
  top: JsonKind = JsonKind.None;
  readonly jsonrpc: JsonRange = new JsonRange();
  readonly id: JsonRange = new JsonRange();
  readonly method: JsonRange = new JsonRange();
  readonly params: JsonRange = new JsonRange();
  /** params.name, params.uri and params.arguments: recorded only when params is an object. */
  readonly paramsName: JsonRange = new JsonRange();
  readonly paramsUri: JsonRange = new JsonRange();
  readonly paramsArguments: JsonRange = new JsonRange();
  /** params._meta, where the gateway adds what a 2026-07-28 server needs to a request it bridges. */
  readonly paramsMeta: JsonRange = new JsonRange();
  /** params.ref: what a completion/complete completes (a prompt by name, a resource template by URI). */
  readonly paramsRef: JsonRange = new JsonRange();

  reset(): void {
    this.error = ScanError.Ok;
    this.errorOffset = -1;
    this.top = JsonKind.None;
    this.jsonrpc.reset();
    this.id.reset();
    this.method.reset();
    this.params.reset();
    this.paramsName.reset();
    this.paramsUri.reset();
    this.paramsArguments.reset();
    this.paramsMeta.reset();
    this.paramsRef.reset();
  }
}

/** maxDepth is clamped to this: the container stack is a fixed bit array, so depth never costs allocation. */
export const MAX_DEPTH_CAP: i32 = 1024;
// One bit per open container: 1 = array, 0 = object.
const containerBits = memory.data(MAX_DEPTH_CAP >> 3);

// Tracked member slots. Top level: jsonrpc, id, method, params. Inside params: name, uri, arguments.
const SLOT_NONE: i32 = 0;
const SLOT_JSONRPC: i32 = 1;
const SLOT_ID: i32 = 2;
const SLOT_METHOD: i32 = 3;
const SLOT_PARAMS: i32 = 4;
const SLOT_NAME: i32 = 1;
const SLOT_URI: i32 = 2;
const SLOT_ARGUMENTS: i32 = 3;
const SLOT_META: i32 = 4;
const SLOT_REF: i32 = 5;

// State of the running scan, kept in globals so helpers can return positions (one scan at a time per VM).
let failCode: ScanError = ScanError.Ok;
let failAt: usize = 0;
let slot1: i32 = SLOT_NONE; // tracked top-level member whose value is being scanned
let slot2: i32 = SLOT_NONE; // tracked params member whose value is being scanned
let seen1: i32 = 0; // bit per top-level slot already seen
let seen2: i32 = 0; // bit per params slot already seen
// Where the first second copy of a tracked key starts (0: none). The scan goes on past it, so that a body that is
// not JSON at all is refused as Syntax, as JSON.parse would, and only well-formed JSON is refused as DuplicateKey.
let dupAt: usize = 0;
let inParams: bool = false; // the open depth-2 container is the params object

// @ts-ignore: decorator
@inline
function isWs(b: u32): bool {
  return b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09;
}

// @ts-ignore: decorator
@inline
function skipWs(p: usize, end: usize): usize {
  while (p < end && isWs(<u32>load<u8>(p))) p++;
  return p;
}

// @ts-ignore: decorator
@inline
function isDigit(b: u32): bool {
  return b - 0x30 < 10;
}

function fail(code: ScanError, at: usize): usize {
  failCode = code;
  failAt = at;
  return 0;
}

// Whether the unescaped key bytes [p, p+n) equal the ASCII literal lit.
function rawKeyIs(p: usize, n: i32, lit: string): bool {
  if (n != lit.length) return false;
  for (let i = 0; i < n; i++) {
    if (<u32>load<u8>(p + <usize>i) != <u32>lit.charCodeAt(i)) return false;
  }
  return true;
}

// Key text with escapes is compared decoded, so "meth\u006fd" is still method: an escaped spelling must not slip
// a second method past the duplicate check or hide one from the filter.
const keyRange = new JsonRange();
function keyIs(p: usize, q: usize, escaped: bool, lit: string, base: usize): bool {
  if (!escaped) return rawKeyIs(p + 1, <i32>(q - p) - 2, lit);
  keyRange.start = <i32>(p - base);
  keyRange.end = <i32>(q - base);
  keyRange.kind = JsonKind.String;
  keyRange.escaped = true;
  return equalsAscii(base, keyRange, lit);
}

function topSlot(p: usize, q: usize, escaped: bool, base: usize): i32 {
  if (keyIs(p, q, escaped, 'method', base)) return SLOT_METHOD;
  if (keyIs(p, q, escaped, 'params', base)) return SLOT_PARAMS;
  if (keyIs(p, q, escaped, 'id', base)) return SLOT_ID;
  if (keyIs(p, q, escaped, 'jsonrpc', base)) return SLOT_JSONRPC;
  return SLOT_NONE;
}

function paramsSlot(p: usize, q: usize, escaped: bool, base: usize): i32 {
  if (keyIs(p, q, escaped, 'name', base)) return SLOT_NAME;
  if (keyIs(p, q, escaped, 'arguments', base)) return SLOT_ARGUMENTS;
  if (keyIs(p, q, escaped, 'uri', base)) return SLOT_URI;
  if (keyIs(p, q, escaped, '_meta', base)) return SLOT_META;
  if (keyIs(p, q, escaped, 'ref', base)) return SLOT_REF;
  return SLOT_NONE;
}

function topRange(out: ScanResult, slot: i32): JsonRange {
  if (slot == SLOT_JSONRPC) return out.jsonrpc;
  if (slot == SLOT_ID) return out.id;
  if (slot == SLOT_METHOD) return out.method;
  return out.params;
}

function paramsRange(out: ScanResult, slot: i32): JsonRange {
  if (slot == SLOT_NAME) return out.paramsName;
  if (slot == SLOT_URI) return out.paramsUri;
  if (slot == SLOT_META) return out.paramsMeta;
  if (slot == SLOT_REF) return out.paramsRef;
  return out.paramsArguments;
}

// Validates the number token at p (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) and returns its end.
function scanNumber(p: usize, end: usize): usize {
  if (<u32>load<u8>(p) == 0x2d) p++;
  if (p >= end) return fail(ScanError.Syntax, p);
  let b = <u32>load<u8>(p);
  if (b == 0x30) {
    p++;
  } else if (isDigit(b)) {
    p++;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  } else {
    return fail(ScanError.Syntax, p);
  }
  if (p < end && <u32>load<u8>(p) == 0x2e) {
    p++;
    if (p >= end || !isDigit(<u32>load<u8>(p))) return fail(ScanError.Syntax, p);
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  }
  if (p < end && (<u32>load<u8>(p) | 0x20) == 0x65) {
    p++;
    if (p < end) {
      b = <u32>load<u8>(p);
      if (b == 0x2b || b == 0x2d) p++;
    }
    if (p >= end || !isDigit(<u32>load<u8>(p))) return fail(ScanError.Syntax, p);
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  }
  return p;
}

// Checks that the bytes at p spell lit (true, false, null) and returns the end.
function scanLiteral(p: usize, end: usize, lit: string): usize {
  const n = lit.length;
  if (p + <usize>n > end) return fail(ScanError.Syntax, p);
  for (let i = 0; i < n; i++) {
    if (<u32>load<u8>(p + <usize>i) != <u32>lit.charCodeAt(i)) return fail(ScanError.Syntax, p + <usize>i);
  }
  return p + <usize>n;
}

function stringEnd(p: usize, end: usize): usize {
  const q = scanString(p, end);
  if (q == 0) return fail(stringBadUtf8 ? ScanError.BadUtf8 : ScanError.Syntax, p);
  return q;
}

/**
 * Scans the len bytes at ptr as one JSON-RPC message and fills out (reset first). Returns out.error.
 * Offsets in out are relative to ptr. maxDepth counts containers: {"a":[1]} has depth 2.
 */
export function scanMessage(ptr: usize, len: i32, maxBytes: i32, maxDepth: i32, out: ScanResult): ScanError {
  out.reset();
  if (len <= 0) return finish(out, ScanError.Empty, 0, 0);
  if (len > maxBytes) return finish(out, ScanError.TooLarge, <usize>maxBytes, 0);
  if (maxDepth > MAX_DEPTH_CAP) maxDepth = MAX_DEPTH_CAP;
  failCode = ScanError.Ok;
  const end = ptr + <usize>len;
  let p = skipWs(ptr, end);
  if (p >= end) return finish(out, ScanError.Empty, 0, 0);
  const first = <u32>load<u8>(p);
  const topObject = first == 0x7b;

  let depth: i32 = 0;
  slot1 = SLOT_NONE;
  slot2 = SLOT_NONE;
  seen1 = 0;
  seen2 = 0;
  dupAt = 0;
  inParams = false;
  let start1: usize = 0;
  let start2: usize = 0;

  while (true) {
    // A value starts at p (whitespace skipped).
    if (p >= end) return finish(out, ScanError.Syntax, p - ptr, 0);
    if (depth == 1) start1 = p;
    else if (depth == 2) start2 = p;
    const c = <u32>load<u8>(p);
    let kind = JsonKind.None;
    let escaped = false;
    if (c == 0x7b || c == 0x5b) {
      if (depth >= maxDepth) return finish(out, ScanError.TooDeep, p - ptr, 0);
      const isArray = c == 0x5b;
      const bit = containerBits + <usize>(depth >> 3);
      const mask: u32 = 1 << <u32>(depth & 7);
      const bits = <u32>load<u8>(bit);
      store<u8>(bit, <u8>(isArray ? bits | mask : bits & ~mask));
      depth++;
      if (depth == 2) inParams = !isArray && topObject && slot1 == SLOT_PARAMS;
      p = skipWs(p + 1, end);
      if (p >= end) return finish(out, ScanError.Syntax, p - ptr, 0);
      if (<u32>load<u8>(p) == (isArray ? 0x5d : 0x7d)) {
        p++;
        depth--;
        kind = isArray ? JsonKind.Array : JsonKind.Object;
      } else {
        if (!isArray) {
          p = scanKey(p, end, ptr, depth, topObject);
          if (p == 0) return finish(out, failCode, failAt - ptr, 0);
        }
        continue;
      }
    } else if (c == 0x22) {
      p = stringEnd(p, end);
      if (p == 0) return finish(out, failCode, failAt - ptr, 0);
      kind = JsonKind.String;
      escaped = stringEscaped;
    } else if (c == 0x2d || isDigit(c)) {
      p = scanNumber(p, end);
      if (p == 0) return finish(out, failCode, failAt - ptr, 0);
      kind = JsonKind.Number;
    } else if (c == 0x74) {
      p = scanLiteral(p, end, 'true');
      if (p == 0) return finish(out, failCode, failAt - ptr, 0);
      kind = JsonKind.True;
    } else if (c == 0x66) {
      p = scanLiteral(p, end, 'false');
      if (p == 0) return finish(out, failCode, failAt - ptr, 0);
      kind = JsonKind.False;
    } else if (c == 0x6e) {
      p = scanLiteral(p, end, 'null');
      if (p == 0) return finish(out, failCode, failAt - ptr, 0);
      kind = JsonKind.Null;
    } else {
      return finish(out, ScanError.Syntax, p - ptr, 0);
    }

    // A value of `kind` ended at p inside the container at `depth`; close containers until a comma needs a value.
    while (true) {
      if (depth == 1 && topObject && slot1 != SLOT_NONE) {
        const r = topRange(out, slot1);
        r.start = <i32>(start1 - ptr);
        r.end = <i32>(p - ptr);
        r.kind = kind;
        r.escaped = escaped;
      } else if (depth == 2 && inParams && slot2 != SLOT_NONE) {
        const r = paramsRange(out, slot2);
        r.start = <i32>(start2 - ptr);
        r.end = <i32>(p - ptr);
        r.kind = kind;
        r.escaped = escaped;
      }
      if (depth == 0) {
        p = skipWs(p, end);
        if (p != end) return finish(out, ScanError.Syntax, p - ptr, 0);
        if (kind == JsonKind.Object) {
          if (dupAt != 0) return finish(out, ScanError.DuplicateKey, dupAt - ptr, 0);
          return finish(out, ScanError.Ok, 0, kind);
        }
        return finish(out, kind == JsonKind.Array ? ScanError.Batch : ScanError.NotObject, 0, kind);
      }
      p = skipWs(p, end);
      if (p >= end) return finish(out, ScanError.Syntax, p - ptr, 0);
      const d = <u32>load<u8>(p);
      const inArray = ((<u32>load<u8>(containerBits + <usize>((depth - 1) >> 3)) >> <u32>((depth - 1) & 7)) & 1) != 0;
      if (d == 0x2c) {
        p = skipWs(p + 1, end);
        if (!inArray) {
          p = scanKey(p, end, ptr, depth, topObject);
          if (p == 0) return finish(out, failCode, failAt - ptr, 0);
        }
        break;
      }
      if (d != (inArray ? 0x5d : 0x7d)) return finish(out, ScanError.Syntax, p - ptr, 0);
      p++;
      depth--;
      kind = inArray ? JsonKind.Array : JsonKind.Object;
      escaped = false;
    }
  }
  return ScanError.Ok; // unreachable: every path above returns or loops
}

// Scans `"key" :` at p (whitespace skipped), selects the tracked slot it names and returns the offset of the value
// after it, or 0 on error. A second copy of a tracked key is noted in dupAt and tracked no further.
function scanKey(p: usize, end: usize, base: usize, depth: i32, topObject: bool): usize {
  if (p >= end || <u32>load<u8>(p) != 0x22) return fail(ScanError.Syntax, p);
  const q = stringEnd(p, end);
  if (q == 0) return 0;
  if (depth == 1 && topObject) {
    slot1 = topSlot(p, q, stringEscaped, base);
    if (slot1 != SLOT_NONE) {
      if (seen1 & (1 << slot1)) {
        // The first copy's range stays; the body is refused once the whole of it has been read.
        if (dupAt == 0) dupAt = p;
        slot1 = SLOT_NONE;
      } else seen1 |= 1 << slot1;
    }
  } else if (depth == 2 && inParams) {
    slot2 = paramsSlot(p, q, stringEscaped, base);
    if (slot2 != SLOT_NONE) {
      if (seen2 & (1 << slot2)) {
        if (dupAt == 0) dupAt = p;
        slot2 = SLOT_NONE;
      } else seen2 |= 1 << slot2;
    }
  }
  const c = skipWs(q, end);
  if (c >= end || <u32>load<u8>(c) != 0x3a) return fail(ScanError.Syntax, c);
  return skipWs(c + 1, end);
}

function finish(out: ScanResult, code: ScanError, offset: usize, top: JsonKind): ScanError {
  out.error = code;
  out.top = top;
  if (code != ScanError.Ok) {
    out.errorOffset = <i32>offset;
    // Partial ranges from a refused body must never be acted on.
    out.jsonrpc.reset();
    out.id.reset();
    out.method.reset();
    out.params.reset();
    out.paramsName.reset();
    out.paramsUri.reset();
    out.paramsArguments.reset();
    out.paramsMeta.reset();
    out.paramsRef.reset();
  }
  return code;
}
