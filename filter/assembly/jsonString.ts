// JSON string handling for the scanner: validates one string token in place and compares or decodes a string range
// lazily, so only the few strings the filter routes on (method, tool name) are ever unescaped.

import { JsonKind, JsonRange } from './jsonScanner';

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5c;

// Set by scanString when it fails: true for invalid UTF-8, false for any other syntax error.
export let stringBadUtf8: bool = false;
// Set by scanString on success: whether the token contained any escape (then raw bytes differ from the value).
export let stringEscaped: bool = false;

/** Bytes decodeString can unescape; longer escaped strings are refused (method and tool names are short). */
export const DECODE_CAP: i32 = 256;
const decodeScratch = memory.data(DECODE_CAP);

// Value of a hex digit, or -1. A table would cost data; three ranges are as fast after -O3.
// @ts-ignore: decorator
@inline
export function hexValue(b: u32): i32 {
  if (b - 0x30 < 10) return <i32>(b - 0x30);
  const l = b | 0x20; // ASCII letters only differ in this bit
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

// Four hex digits at p (the scanner has already checked them), as a UTF-16 code unit.
// @ts-ignore: decorator
@inline
function hex4(p: usize): u32 {
  return (
    (<u32>hexValue(load<u8>(p)) << 12) |
    (<u32>hexValue(load<u8>(p + 1)) << 8) |
    (<u32>hexValue(load<u8>(p + 2)) << 4) |
    <u32>hexValue(load<u8>(p + 3))
  );
}

// The byte a one-character escape stands for; 0 when the escape is not one of RFC 8259's.
function simpleEscape(e: u32): u32 {
  switch (e) {
    case 0x22:
      return 0x22; // \"
    case 0x5c:
      return 0x5c; // \\
    case 0x2f:
      return 0x2f; // \/
    case 0x62:
      return 0x08; // \b
    case 0x66:
      return 0x0c; // \f
    case 0x6e:
      return 0x0a; // \n
    case 0x72:
      return 0x0d; // \r
    case 0x74:
      return 0x09; // \t
  }
  return 0;
}

// Long string content is skipped eight bytes at a time (SWAR: one u64 load, a few subtractions and masks per word):
// the opening run of every string (all of a base64 blob) and each line after a \n escape (text, code), where most of
// a large body's bytes are. A byte loop stays for what follows other escapes and multi-byte characters: there runs
// are short, and a word test costs more than the few bytes it would skip. The tests flag a byte in its high bit:
// x - 0x01 borrows where x == 0, b - 0x20 where b < 0x20. A borrow can carry a false flag into the bytes above a
// true one, never below, so the lowest flag is exact and a word has a flag iff a byte in it matches. Fewer than 8
// bytes before end are read one by one: nothing past end is loaded.
const ONES: u64 = u64.MAX_VALUE / 0xff; // 0x01 in every byte: ONES * c repeats byte c
const HIGH: u64 = ONES * 0x80;

/** Per byte of v, where it equals c (c < 0x80), in the high bit, before masking with HIGH. */
// @ts-ignore: decorator
@inline
function equalBytes(v: u64, c: u64): u64 {
  return (v ^ (ONES * c)) - ONES;
}

/** Whether none of the 8 bytes in v needs a look of its own: no `"`, `\`, byte < 0x20 or byte >= 0x80. */
// @ts-ignore: decorator
@inline
function plainWord(v: u64): bool {
  return ((equalBytes(v, QUOTE) | equalBytes(v, BACKSLASH) | (v - ONES * 0x20) | v) & HIGH) == 0;
}

/**
 * Past the whole words of plain bytes at p. Not inlined (it has callers in two places and a loop), so the byte loop in
 * scanString, which is most of the cost where runs are short, keeps its registers.
 */
function plainWords(p: usize, end: usize): usize {
  while (p + 8 <= end && plainWord(load<u64>(p))) p += 8;
  return p;
}

/**
 * For a reader that follows string boundaries without validating the content (the response scan): the first `"` or
 * `\` in the whole words from p, with lines also the first CR or LF (an SSE line end); else where fewer than 8 bytes
 * are left, for the reader's own byte loop.
 */
// @ts-ignore: decorator
@inline
export function quoteRun(p: usize, end: usize, lines: bool): usize {
  while (p + 8 <= end) {
    const v = load<u64>(p);
    let hit = equalBytes(v, QUOTE) | equalBytes(v, BACKSLASH);
    if (lines) hit |= equalBytes(v, 0x0d) | equalBytes(v, 0x0a);
    hit &= ~v & HIGH; // a byte >= 0x80 is no match (nor does it borrow)
    if (hit != 0) return p + (<usize>ctz(hit) >> 3);
    p += 8;
  }
  return p;
}

/**
 * Validates the string token whose opening quote is at p and returns the offset after its closing quote, or 0 on
 * failure (stringBadUtf8 tells which failure). Lone \uD800-style escapes are accepted: RFC 8259's grammar allows
 * them and so does JSON.parse upstream, and accepting exactly what upstream accepts keeps the two in agreement;
 * decoding such a string to UTF-8 is refused instead (see unescapeUtf8).
 */
export function scanString(p: usize, end: usize): usize {
  stringEscaped = false;
  stringBadUtf8 = false;
  // The opening run (all of a base64 blob or of plain text up to its first escape) goes a word at a time.
  p = plainWords(p + 1, end);
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (b == QUOTE) return p + 1;
    if (b == BACKSLASH) {
      if (p + 1 >= end) return 0;
      const e = <u32>load<u8>(p + 1);
      stringEscaped = true;
      if (e == 0x75) {
        if (p + 6 > end) return 0;
        if ((hexValue(load<u8>(p + 2)) | hexValue(load<u8>(p + 3)) | hexValue(load<u8>(p + 4)) | hexValue(load<u8>(p + 5))) < 0)
          return 0;
        p += 6;
      } else if (e == 0x6e) {
        // \n: a line of text or code follows, often long enough to go a word at a time.
        p = plainWords(p + 2, end);
      } else {
        if (simpleEscape(e) == 0) return 0;
        p += 2;
      }
      continue;
    }
    if (b < 0x20) return 0; // control characters must be escaped
    if (b < 0x80) {
      p++;
      continue;
    }
    // UTF-8 per RFC 3629 table 1: rejects overlongs, UTF-16 surrogates and code points above U+10FFFF. Characters
    // that follow one another (non-Latin text) are read here one after the other.
    stringBadUtf8 = true;
    let c = b;
    do {
      if (c < 0xc2 || c > 0xf4) return 0;
      if (c < 0xe0) {
        if (p + 2 > end || (<u32>load<u8>(p + 1) & 0xc0) != 0x80) return 0;
        p += 2;
      } else if (c < 0xf0) {
        if (p + 3 > end) return 0;
        const b1 = <u32>load<u8>(p + 1);
        const lo: u32 = c == 0xe0 ? 0xa0 : 0x80;
        const hi: u32 = c == 0xed ? 0x9f : 0xbf;
        if (b1 < lo || b1 > hi || (<u32>load<u8>(p + 2) & 0xc0) != 0x80) return 0;
        p += 3;
      } else {
        if (p + 4 > end) return 0;
        const b1 = <u32>load<u8>(p + 1);
        const lo: u32 = c == 0xf0 ? 0x90 : 0x80;
        const hi: u32 = c == 0xf4 ? 0x8f : 0xbf;
        if (b1 < lo || b1 > hi || (<u32>load<u8>(p + 2) & 0xc0) != 0x80 || (<u32>load<u8>(p + 3) & 0xc0) != 0x80)
          return 0;
        p += 4;
      }
      if (p >= end) break;
      c = <u32>load<u8>(p);
    } while (c >= 0x80);
    stringBadUtf8 = false;
  }
  return 0; // unterminated
}

/**
 * Whether the string value at r (a range from a successful scan of the buffer at base) equals lit, comparing the
 * decoded value, so "tools\/call" equals "tools/call". lit must be ASCII: every literal the filter routes on is.
 */
export function equalsAscii(base: usize, r: JsonRange, lit: string): bool {
  if (r.kind != JsonKind.String) return false;
  let p = base + <usize>r.start + 1;
  const end = base + <usize>r.end - 1;
  const n = lit.length;
  if (!r.escaped) {
    if (<i32>(end - p) != n) return false;
    for (let i = 0; i < n; i++) {
      if (<u32>load<u8>(p + <usize>i) != <u32>lit.charCodeAt(i)) return false;
    }
    return true;
  }
  let i = 0;
  while (p < end) {
    let u = <u32>load<u8>(p);
    if (u == BACKSLASH) {
      const e = <u32>load<u8>(p + 1);
      if (e == 0x75) {
        u = hex4(p + 2);
        p += 6;
      } else {
        u = simpleEscape(e);
        p += 2;
      }
    } else {
      p++; // a raw byte >= 0x80 starts a non-ASCII character, which never equals an ASCII literal
    }
    if (i >= n || u >= 0x80 || u != <u32>lit.charCodeAt(i)) return false;
    i++;
  }
  return i == n;
}

// Writes the UTF-8 encoding of cp at q; returns the byte count.
function putUtf8(q: usize, cp: u32): i32 {
  if (cp < 0x80) {
    store<u8>(q, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(q, <u8>(0xc0 | (cp >> 6)));
    store<u8>(q + 1, <u8>(0x80 | (cp & 0x3f)));
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(q, <u8>(0xe0 | (cp >> 12)));
    store<u8>(q + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(q + 2, <u8>(0x80 | (cp & 0x3f)));
    return 3;
  }
  store<u8>(q, <u8>(0xf0 | (cp >> 18)));
  store<u8>(q + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(q + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(q + 3, <u8>(0x80 | (cp & 0x3f)));
  return 4;
}

/**
 * Writes the decoded UTF-8 value of the string at r into dst (at most cap bytes) and returns its length, or -1 when
 * it does not fit, r is not a string, or it holds a lone surrogate escape (no UTF-8 form; a header or a routing key
 * must never carry one). An unescaped string needs no copy: its value is the bytes between the quotes.
 */
export function unescapeUtf8(base: usize, r: JsonRange, dst: usize, cap: i32): i32 {
  if (r.kind != JsonKind.String) return -1;
  let p = base + <usize>r.start + 1;
  const end = base + <usize>r.end - 1;
  let n = 0;
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (b != BACKSLASH) {
      if (n >= cap) return -1;
      store<u8>(dst + <usize>n, <u8>b);
      n++;
      p++;
      continue;
    }
    const e = <u32>load<u8>(p + 1);
    let cp: u32;
    if (e != 0x75) {
      cp = simpleEscape(e);
      p += 2;
    } else {
      cp = hex4(p + 2);
      p += 6;
      if (cp - 0xd800 < 0x800) {
        if (cp >= 0xdc00) return -1; // low surrogate first
        if (p + 6 > end || <u32>load<u8>(p) != BACKSLASH || <u32>load<u8>(p + 1) != 0x75) return -1;
        const lo = hex4(p + 2);
        if (lo - 0xdc00 >= 0x400) return -1;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
      }
    }
    const need: i32 = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n + need > cap) return -1;
    n += putUtf8(dst + <usize>n, cp);
  }
  return n;
}

/**
 * The string value at r as a String, or null when it is not a string, its UTF-8 value exceeds maxBytes (at most
 * DECODE_CAP when escaped), or it cannot be decoded. Allocates: use it for the few short strings that need it.
 */
export function decodeString(base: usize, r: JsonRange, maxBytes: i32): string | null {
  if (r.kind != JsonKind.String) return null;
  const rawLen = r.end - r.start - 2;
  if (!r.escaped) {
    if (rawLen > maxBytes) return null;
    return String.UTF8.decodeUnsafe(base + <usize>r.start + 1, <usize>rawLen);
  }
  const n = unescapeUtf8(base, r, decodeScratch, maxBytes < DECODE_CAP ? maxBytes : DECODE_CAP);
  if (n < 0) return null;
  return String.UTF8.decodeUnsafe(decodeScratch, <usize>n);
}
