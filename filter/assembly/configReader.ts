// A typed pull reader over a configuration document the JSON scanner has already found well-formed: it walks the
// bytes once, decodes only what it returns, and records the first problem with the JSON path it was found at.

import { JsonKind, JsonRange } from './jsonScanner';
import { scanString, stringEscaped, unescapeUtf8 } from './jsonString';
import { ConfigError } from './configTypes';

// Character classes for patterns (see filter/config.schema.json).
export const CLASS_LABEL: i32 = 0; // [a-z0-9-]
export const CLASS_HOST: i32 = 1; // [a-z0-9.-]
export const CLASS_TOOL: i32 = 2; // [A-Za-z0-9_-]
export const CLASS_VISIBLE: i32 = 3; // [!-~]
export const CLASS_TEXT: i32 = 4; // anything but U+0000-U+0020 and U+007F
export const CLASS_NAME: i32 = 5; // [A-Za-z0-9_.-]
export const CLASS_HEX: i32 = 6; // [0-9a-f]
export const CLASS_URL: i32 = 7; // [!#-~]: visible ASCII but '"', which would end the challenge's quoted value
export const CLASS_CLAIM: i32 = 8; // [A-Za-z0-9_:/-]
export const CLASS_METHOD: i32 = 9; // [A-Za-z0-9_./-]
export const CLASS_PATH: i32 = 10; // [A-Za-z0-9._~!$&'()*+,;=:@%/-]: an upstream's URL path
export const CLASS_ANY: i32 = -1; // no restriction: the caller checks the value itself

function isAlnumLower(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

function isAlnum(c: i32): bool {
  return isAlnumLower(c) || (c >= 0x41 && c <= 0x5a);
}

export function inClass(c: i32, cls: i32): bool {
  switch (cls) {
    case CLASS_LABEL:
      return isAlnumLower(c) || c === 0x2d;
    case CLASS_HOST:
      return isAlnumLower(c) || c === 0x2d || c === 0x2e;
    case CLASS_TOOL:
      return isAlnum(c) || c === 0x5f || c === 0x2d;
    case CLASS_VISIBLE:
      return c >= 0x21 && c <= 0x7e;
    case CLASS_TEXT:
      return c > 0x20 && c !== 0x7f;
    case CLASS_NAME:
      return isAlnum(c) || c === 0x5f || c === 0x2e || c === 0x2d;
    case CLASS_HEX:
      return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
    case CLASS_URL:
      return c >= 0x21 && c <= 0x7e && c !== 0x22;
    case CLASS_CLAIM:
      return isAlnum(c) || c === 0x5f || c === 0x3a || c === 0x2f || c === 0x2d;
    case CLASS_METHOD:
      return isAlnum(c) || c === 0x5f || c === 0x2e || c === 0x2f || c === 0x2d;
    case CLASS_PATH:
      // & ' ( ) * + , - . / are 0x26-0x2f.
      return (
        isAlnum(c) ||
        (c >= 0x26 && c <= 0x2f) ||
        c === 0x5f ||
        c === 0x7e ||
        c === 0x21 ||
        c === 0x24 ||
        c === 0x3a ||
        c === 0x3b ||
        c === 0x3d ||
        c === 0x40
      );
  }
  return false;
}

/** Whether every UTF-16 unit of s from `from` is in cls (non-ASCII units count as CLASS_TEXT only). */
export function allIn(s: string, cls: i32, from: i32 = 0): bool {
  if (cls === CLASS_ANY) return true;
  for (let i = from; i < s.length; i++) {
    if (!inClass(s.charCodeAt(i), cls)) return false;
  }
  return true;
}

/** Whether s is non-empty and starts and ends with [a-z0-9] (DNS labels and host names). */
export function edgesAlnum(s: string): bool {
  return s.length > 0 && isAlnumLower(s.charCodeAt(0)) && isAlnumLower(s.charCodeAt(s.length - 1));
}

/** Length in code points, as JSON Schema's minLength/maxLength count it. */
export function codePoints(s: string): i32 {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u < 0xdc00 || u > 0xdfff) n++;
  }
  return n;
}

export function child(path: string, key: string): string {
  return path.length === 0 ? key : path + '.' + key;
}

/** Like child, for keys from the document: one that is not [A-Za-z0-9_-]+ is written ["..."], JSON-escaped. */
export function keyPath(path: string, key: string): string {
  let plain = key.length > 0;
  for (let i = 0; i < key.length && plain; i++) plain = inClass(key.charCodeAt(i), CLASS_TOOL);
  if (plain) return child(path, key);
  let q = '["';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) q += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c === 0x7f) q += '\\u00' + (c < 0x10 ? '0' : '') + c.toString(16);
    else q += String.fromCharCode(c);
  }
  return path + q + '"]';
}

export function item(path: string, i: i32): string {
  return path + '[' + i.toString() + ']';
}

const range = new JsonRange();

export class Reader {
  p: usize;
  end: usize;
  base: usize;
  error: ConfigError = ConfigError.Ok;
  message: string = '';
  private first: bool = false;

  constructor(ptr: usize, len: i32) {
    this.base = ptr;
    this.p = ptr;
    this.end = ptr + <usize>len;
  }

  get failed(): bool {
    return this.error !== ConfigError.Ok;
  }

  /** Records the first problem only; later ones are consequences of it. Returns false for convenience. */
  fail(code: ConfigError, path: string, text: string): bool {
    if (this.error === ConfigError.Ok) {
      this.error = code;
      this.message = (path.length === 0 ? 'document' : path) + ': ' + text;
    }
    return false;
  }

  private ws(): void {
    while (this.p < this.end) {
      const b = <u32>load<u8>(this.p);
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return;
      this.p++;
    }
  }

  /** Kind of the value at the cursor (the document is well-formed, so the first byte tells). */
  peek(): JsonKind {
    this.ws();
    if (this.p >= this.end) return JsonKind.None;
    const c = <u32>load<u8>(this.p);
    if (c === 0x7b) return JsonKind.Object;
    if (c === 0x5b) return JsonKind.Array;
    if (c === 0x22) return JsonKind.String;
    if (c === 0x74) return JsonKind.True;
    if (c === 0x66) return JsonKind.False;
    if (c === 0x6e) return JsonKind.Null;
    return JsonKind.Number;
  }

  private typeError(path: string, want: string): bool {
    return this.fail(ConfigError.WrongType, path, 'not ' + want);
  }

  /** Enters the object at the cursor; false (and an error) when the value is not an object. */
  object(path: string): bool {
    if (this.failed) return false;
    if (this.peek() !== JsonKind.Object) return this.typeError(path, 'an object');
    this.p++;
    this.first = true;
    return true;
  }

  /** Enters the array at the cursor; false (and an error) when the value is not an array. */
  array(path: string): bool {
    if (this.failed) return false;
    if (this.peek() !== JsonKind.Array) return this.typeError(path, 'an array');
    this.p++;
    this.first = true;
    return true;
  }

  /** Whether another element follows in the array entered last (consumes ']' when not). */
  more(): bool {
    if (this.failed) return false;
    this.ws();
    const c = <u32>load<u8>(this.p);
    if (c === 0x5d || c === 0x7d) {
      this.p++;
      this.first = false;
      return false;
    }
    if (!this.first) {
      this.p++; // ','
      this.ws();
    }
    this.first = false;
    return true;
  }

  /** The next key of the object entered last, cursor left on its value; null at '}' (consumed) or on an error. */
  key(path: string): string | null {
    if (!this.more()) return null;
    const s = this.rawString();
    if (s === null) {
      this.fail(ConfigError.BadUtf8, path, 'a key holds a lone surrogate escape');
      return null;
    }
    this.ws();
    this.p++; // ':'
    return s;
  }

  // Decodes the string token at the cursor (already validated) and moves past it; null for a lone surrogate.
  private rawString(): string | null {
    const start = this.p;
    const q = scanString(start, this.end);
    this.p = q;
    const rawLen = <i32>(q - start) - 2;
    if (!stringEscaped) return String.UTF8.decodeUnsafe(start + 1, <usize>rawLen);
    const buf = heap.alloc(<usize>(rawLen > 0 ? rawLen : <i32>1));
    range.start = <i32>(start - this.base);
    range.end = <i32>(q - this.base);
    range.kind = JsonKind.String;
    range.escaped = true;
    const n = unescapeUtf8(this.base, range, buf, rawLen);
    let s: string | null = null;
    if (n >= 0) s = String.UTF8.decodeUnsafe(buf, <usize>n);
    heap.free(buf);
    return s;
  }

  /** The string at the cursor with its length (in code points) in [minLen, maxLen] and every unit in cls. */
  str(path: string, minLen: i32, maxLen: i32, cls: i32): string {
    if (this.failed) return '';
    if (this.peek() !== JsonKind.String) {
      this.typeError(path, 'a string');
      return '';
    }
    const s = this.rawString();
    if (s === null) {
      this.fail(ConfigError.BadUtf8, path, 'holds a lone surrogate escape');
      return '';
    }
    const n = codePoints(s);
    if (n < minLen || n > maxLen) {
      this.fail(
        ConfigError.OutOfRange,
        path,
        'length ' + n.toString() + ' not in ' + minLen.toString() + '..' + maxLen.toString(),
      );
      return '';
    }
    if (!allIn(s, cls)) {
      this.fail(ConfigError.BadValue, path, 'has a character the schema does not allow');
      return '';
    }
    return s;
  }

  /**
   * Enters the array at the cursor and returns whether another element follows, failing once more than maxItems
   * have been read (n is the count so far). Use with array(): `if (r.array(p)) while (r.element(p, n, max)) ...`.
   */
  element(path: string, n: i32, maxItems: i32): bool {
    if (!this.more()) return false;
    if (n >= maxItems) return this.fail(ConfigError.OutOfRange, path, 'more than ' + maxItems.toString() + ' items');
    return true;
  }

  /** Fails unless an array that ended with n items had at least minItems. */
  atLeast(path: string, n: i32, minItems: i32): bool {
    if (this.failed || n >= minItems) return !this.failed;
    return this.fail(ConfigError.OutOfRange, path, 'fewer than ' + minItems.toString() + ' items');
  }

  /** An array of [minItems, maxItems] strings, each as str() checks them. */
  strings(path: string, minItems: i32, maxItems: i32, minLen: i32, maxLen: i32, cls: i32): string[] {
    const out = new Array<string>();
    if (!this.array(path)) return out;
    while (this.element(path, out.length, maxItems)) out.push(this.str(item(path, out.length), minLen, maxLen, cls));
    this.atLeast(path, out.length, minItems);
    return out;
  }

  /** The boolean at the cursor; false (and an error) when the value is not true or false. */
  bool(path: string): bool {
    if (this.failed) return false;
    const kind = this.peek();
    if (kind !== JsonKind.True && kind !== JsonKind.False) return this.typeError(path, 'a boolean');
    this.p += kind === JsonKind.True ? 4 : 5;
    return kind === JsonKind.True;
  }

  /** The string at the cursor as the index of its value in names; -1 (and an error) otherwise. */
  choice(path: string, names: StaticArray<string>): i32 {
    const s = this.str(path, 1, 64, CLASS_TEXT);
    if (this.failed) return -1;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === s) return i;
    }
    this.fail(ConfigError.BadValue, path, 'must be one of ' + names.join(', '));
    return -1;
  }

  /** The number at the cursor, checked to lie in [min, max] (min exclusive when minExclusive). */
  num(path: string, min: f64, max: f64, integer: bool, minExclusive: bool = false): f64 {
    if (this.failed) return 0;
    const kind = this.peek();
    if (kind !== JsonKind.Number) {
      this.typeError(path, integer ? 'an integer' : 'a number');
      return 0;
    }
    const start = this.p;
    while (this.p < this.end) {
      const c = <u32>load<u8>(this.p);
      if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
      this.p++;
    }
    const v = parseJsonNumber(start, this.p);
    if (integer && (!Number.isFinite(v) || v !== Math.floor(v))) {
      this.typeError(path, 'an integer');
      return 0;
    }
    if (!(v <= max) || (minExclusive ? !(v > min) : !(v >= min))) {
      this.fail(
        ConfigError.OutOfRange,
        path,
        'not in ' + (minExclusive ? '(' : '[') + fmt(min) + ', ' + fmt(max) + ']',
      );
      return 0;
    }
    return v;
  }

  int(path: string, min: i32, max: i32): i32 {
    return <i32>this.num(path, <f64>min, <f64>max, true);
  }

  /**
   * The index of key in names, or -1 with an error for an unknown key or one already in seen (a bit per index).
   * Callers add 1 << index to seen.
   */
  keyIndex(key: string, names: StaticArray<string>, seen: u32, path: string): i32 {
    for (let i = 0; i < names.length; i++) {
      if (names[i] === key) {
        if (seen & (1 << i)) {
          this.fail(ConfigError.DuplicateKey, keyPath(path, key), 'duplicate key');
          return -1;
        }
        return i;
      }
    }
    this.fail(ConfigError.UnknownKey, keyPath(path, shorten(key)), 'unknown key');
    return -1;
  }

  /** Fails with Missing unless every bit of required is in seen, naming the first absent key. */
  requireKeys(seen: u32, required: u32, names: StaticArray<string>, path: string): bool {
    if (this.failed) return false;
    const absent = required & ~seen;
    if (absent === 0) return true;
    const i = <i32>ctz(absent);
    return this.fail(ConfigError.Missing, child(path, names[i]), 'required');
  }
}

/** Bounds are whole numbers in the schema, so integer formatting is all a message needs (and keeps dtoa out). */
function fmt(v: f64): string {
  return (<i64>v).toString();
}

/**
 * The value of a JSON number the scanner already validated, at [p, end). Up to 19 significant digits are kept and
 * scaled by one exact power of ten, so values like 0.2 come out correctly rounded; out-of-range values only need
 * to come out out of range. Written out to keep the general strtod out of the module.
 */
export function parseJsonNumber(p: usize, end: usize): f64 {
  let negative = false;
  if (p < end && load<u8>(p) === 0x2d) {
    negative = true;
    p++;
  }
  let mantissa: u64 = 0;
  let digits = 0;
  let exp10 = 0;
  let fraction = false;
  for (; p < end; p++) {
    const c = <u32>load<u8>(p);
    if (c === 0x2e) {
      fraction = true;
      continue;
    }
    if (c - 0x30 >= 10) break;
    if (digits < 19) {
      if (mantissa !== 0 || c !== 0x30) digits++;
      mantissa = mantissa * 10 + <u64>(c - 0x30);
      if (fraction) exp10--;
    } else if (!fraction) {
      exp10++;
    }
  }
  if (p < end) {
    p++; // e or E
    let expNegative = false;
    const sign = <u32>load<u8>(p);
    if (sign === 0x2d || sign === 0x2b) {
      expNegative = sign === 0x2d;
      p++;
    }
    let e = 0;
    for (; p < end; p++) if (e < 10000) e = e * 10 + <i32>(load<u8>(p) - 0x30);
    exp10 += expNegative ? -e : e;
  }
  let v = <f64>mantissa;
  if (exp10 < 0) {
    let k = -exp10;
    while (k > 22) {
      v /= 1e22;
      k -= 22;
    }
    v /= pow10(k);
  } else {
    let k = exp10;
    while (k > 22) {
      v *= 1e22;
      k -= 22;
    }
    v *= pow10(k);
  }
  return negative ? -v : v;
}

function pow10(k: i32): f64 {
  let v = 1.0;
  for (let i = 0; i < k; i++) v *= 10.0;
  return v;
}

// Keys are echoed into messages; a hostile one must not make the message huge.
function shorten(key: string): string {
  return key.length <= 64 ? key : key.substring(0, 64) + '...';
}
