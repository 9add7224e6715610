// What an upstream's answer to an MCP request says, read from the body as it streams past (never held): a JSON-RPC
// error (with its code), a tool result with isError: true, or a success. One small resumable state machine over the
// bytes, for a JSON body or for the events of an SSE stream (the first event that is a response decides; requests
// and notifications before it are skipped). It stops as soon as it knows, and after MAX_SCAN_BYTES: an isError
// placed after the first MiB of a result is not seen, and that result counts as a success.
//
// Only the members that decide are followed: the top level's `result` and `error`, `result.isError` and
// `error.code`. Keys are compared byte for byte, so an escaped spelling (`"is\u0045rror"`) is another key.

import { quoteRun } from './jsonString';

export const MAX_SCAN_BYTES: i32 = 1048576;

export enum Verdict {
  /** Nothing decisive yet (and, when the scan ends so, a success). */
  Pending = 0,
  Success = 1,
  Error = 2,
  ToolError = 3,
}

/** Keys that decide are at most 8 bytes: packed little-endian into a u64 as they arrive. */
const KEY_CAP: i32 = 8;

// Member of the top-level object being read.
const M_OTHER: u8 = 0;
const M_RESULT: u8 = 1;
const M_ERROR: u8 = 2;
// Value wanted at depth 2.
const W_NONE: u8 = 0;
const W_IS_ERROR: u8 = 1;
const W_CODE: u8 = 2;

/** An ASCII key of at most 8 bytes packed as keyByte packs it. */
function pack(lit: string): u64 {
  let v: u64 = 0;
  for (let i = 0; i < lit.length; i++) v |= (<u64>lit.charCodeAt(i)) << (<u64>(8 * i));
  return v;
}

const K_RESULT = pack('result');
const K_ERROR = pack('error');
const K_IS_ERROR = pack('isError');
const K_CODE = pack('code');
const TRUE = 'true';

export class ResponseScan {
  sse: bool;
  /** Set once the verdict is final or the scan gave up; no byte is looked at after it. */
  done: bool = false;
  verdict: Verdict = Verdict.Pending;
  /** The JSON-RPC error's code, when hasCode. */
  code: i32 = 0;
  hasCode: bool = false;
  scanned: i32 = 0;

  // JSON state.
  private depth: i32 = 0;
  private inString: bool = false;
  private escape: bool = false;
  /** Whether the containers at depth 1 and 2 are objects. */
  private obj1: bool = false;
  private obj2: bool = false;
  /** In an object at depth 1 or 2, where the next string is a key. */
  private keyPos: bool = false;
  private capturingKey: bool = false;
  private keySpoiled: bool = false;
  private keyLen: i32 = 0;
  private keyBits: u64 = 0;
  /** The last key read at depth 1 / 2, as an M_ or W_ code, until its value starts. */
  private lastKey: u8 = 0;
  private member: u8 = M_OTHER;
  private wanted: u8 = W_NONE;
  /** Bytes of the wanted scalar so far, whether they still spell `true` / an integer, and the integer. */
  private valueLen: i32 = 0;
  private valueOk: bool = true;
  private negative: bool = false;
  private number: i64 = 0;

  // SSE state.
  private lineStart: bool = true;
  private field: i32 = 0;
  private inData: bool = false;
  private skipLine: bool = false;
  private afterColon: bool = false;
  private lastCR: bool = false;

  constructor(sse: bool) {
    this.sse = sse;
  }

  /** Reads n more body bytes at p (stops by itself once decided or past MAX_SCAN_BYTES). */
  feed(p: usize, n: i32): void {
    if (this.done) return;
    const room = MAX_SCAN_BYTES - this.scanned;
    const len = n < room ? n : room;
    this.scanned += len;
    const end = p + <usize>len;
    while (p < end && !this.done) {
      if (this.plainString()) {
        // Inside a string only its closing quote (and in SSE a line end) changes the state. An escape does not: a
        // backslash and the byte after it leave the state as it was, unless that byte ends an SSE line. So the scan
        // steps over the string a word at a time, escapes included, and leaves the rest to the byte loop.
        const sse = this.sse;
        let q = p;
        while (true) {
          q = quoteRun(q, end, sse);
          if (q + 1 >= end || <u32>load<u8>(q) !== 0x5c) break;
          const e = <u32>load<u8>(q + 1);
          if (sse && (e === 0x0a || e === 0x0d)) break;
          q += 2;
        }
        if (q !== p) {
          this.lastCR = false; // the bytes skipped hold no CR
          p = q;
          continue;
        }
      }
      const b = <u32>load<u8>(p);
      p++;
      if (this.sse) this.sseByte(b);
      else this.jsonByte(b);
    }
    if (this.scanned >= MAX_SCAN_BYTES) this.done = true;
  }

  /**
   * Whether the next byte is string content the byte loop would step over: not an escaped byte, not a key it keeps,
   * and in SSE inside a data line's JSON.
   */
  private plainString(): bool {
    if (!this.inString || this.escape || this.capturingKey) return false;
    return !this.sse || (this.inData && !this.lineStart && !this.afterColon && !this.skipLine);
  }

  /** The end of the body: what was seen decides; nothing decisive is a success. */
  finish(): void {
    this.valueEnd();
    if (this.verdict === Verdict.Pending) this.verdict = Verdict.Success;
    this.done = true;
  }

  private decide(v: Verdict): void {
    this.verdict = v;
    this.done = true;
  }

  private resetJson(): void {
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.keyPos = false;
    this.capturingKey = false;
    this.member = M_OTHER;
    this.wanted = W_NONE;
    this.valueLen = 0;
  }

  private sseByte(b: u32): void {
    if (b === 0x0a && this.lastCR) {
      this.lastCR = false;
      return;
    }
    this.lastCR = b === 0x0d;
    const eol = b === 0x0a || b === 0x0d;
    if (this.lineStart) {
      if (eol) {
        // A blank line ends the event: a message that did not decide (a notification, a request) is forgotten.
        this.resetJson();
        return;
      }
      this.lineStart = false;
      this.field = 0;
      this.inData = false;
      this.skipLine = false;
      this.afterColon = false;
    }
    if (eol) {
      if (this.inData) this.jsonByte(0x0a); // data lines of one event join with a newline
      this.lineStart = true;
      return;
    }
    if (this.skipLine) return;
    if (this.inData) {
      if (this.afterColon) {
        this.afterColon = false;
        if (b === 0x20) return; // one optional space after "data:"
      }
      this.jsonByte(b);
      return;
    }
    // Matching the field name "data:"; any other field or a comment is skipped.
    if (b === <u32>'data:'.charCodeAt(this.field)) {
      this.field++;
      if (this.field === 5) {
        this.inData = true;
        this.afterColon = true;
      }
    } else this.skipLine = true;
  }

  private jsonByte(b: u32): void {
    if (this.inString) {
      if (this.escape) {
        this.escape = false;
        return;
      }
      if (b === 0x5c) {
        this.escape = true;
        this.keySpoiled = true;
        return;
      }
      if (b === 0x22) {
        this.inString = false;
        if (this.capturingKey) this.keyEnd();
        return;
      }
      if (this.capturingKey) {
        if (this.keyLen < KEY_CAP) this.keyBits |= (<u64>b) << (<u64>(8 * this.keyLen));
        this.keyLen++;
      }
      return;
    }
    switch (b) {
      case 0x22: // "
        this.inString = true;
        if (this.keyPos) {
          this.capturingKey = true;
          this.keySpoiled = false;
          this.keyLen = 0;
          this.keyBits = 0;
        } else this.wanted = W_NONE; // a string value: neither true nor a code
        return;
      case 0x7b: // {
      case 0x5b: {
        // [
        this.wanted = W_NONE;
        this.depth++;
        const isObj = b === 0x7b;
        if (this.depth === 1) this.obj1 = isObj;
        else if (this.depth === 2) this.obj2 = isObj;
        this.keyPos = isObj && this.depth <= 2;
        return;
      }
      case 0x7d: // }
      case 0x5d: // ]
        this.valueEnd();
        if (this.done) return;
        this.closeContainer();
        return;
      case 0x3a: // :
        this.keyPos = false;
        if (this.depth === 1 && this.obj1) {
          this.member = this.lastKey;
          if (this.member === M_ERROR) this.verdict = Verdict.Error;
        } else if (this.depth === 2 && this.obj2) this.wanted = this.lastKey;
        this.valueLen = 0;
        this.valueOk = true;
        this.negative = false;
        this.number = 0;
        return;
      case 0x2c: // ,
        this.valueEnd();
        if (this.done) return;
        if ((this.depth === 1 && this.obj1) || (this.depth === 2 && this.obj2)) this.keyPos = true;
        return;
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        this.valueEnd();
        return;
    }
    if (this.wanted !== W_NONE) this.valueByte(b);
  }

  private valueByte(b: u32): void {
    const i = this.valueLen++;
    if (!this.valueOk) return;
    if (this.wanted === W_IS_ERROR) {
      this.valueOk = i < 4 && b === <u32>TRUE.charCodeAt(i);
      return;
    }
    if (i === 0 && b === 0x2d) {
      this.negative = true;
      return;
    }
    const d = b - 0x30;
    // error.code is an integer (JSON-RPC); a fraction, exponent or anything past 32 bits leaves it without a code.
    if (d > 9 || this.number > 214748364) {
      this.valueOk = false;
      return;
    }
    this.number = this.number * 10 + <i64>d;
  }

  private keyEnd(): void {
    this.capturingKey = false;
    const bits = this.keySpoiled || this.keyLen > KEY_CAP ? 0 : this.keyBits;
    let k: u8 = 0;
    if (this.depth === 1) {
      if (bits === K_RESULT) k = M_RESULT;
      else if (bits === K_ERROR) k = M_ERROR;
    } else if (this.depth === 2) {
      if (this.member === M_RESULT && bits === K_IS_ERROR) k = W_IS_ERROR;
      else if (this.member === M_ERROR && bits === K_CODE) k = W_CODE;
    }
    this.lastKey = k;
  }

  /** A scalar value at depth 2 ended: isError's true decides a tool error; error.code is kept and decides. */
  private valueEnd(): void {
    const wanted = this.wanted;
    if (wanted === W_NONE || this.valueLen === 0) return;
    this.wanted = W_NONE;
    const n = this.valueLen;
    this.valueLen = 0;
    if (!this.valueOk) return;
    if (wanted === W_IS_ERROR) {
      if (n === 4) this.decide(Verdict.ToolError);
      return;
    }
    if (n === (this.negative ? 1 : 0) || this.number > 2147483648 || (!this.negative && this.number > 2147483647))
      return;
    this.code = this.negative ? <i32>-this.number : <i32>this.number;
    this.hasCode = true;
    this.decide(Verdict.Error);
  }

  private closeContainer(): void {
    const depth = this.depth;
    this.depth = depth - 1;
    if (depth === 2) {
      // The result or error object (or another member's value) closed.
      if (this.member === M_RESULT) {
        this.decide(Verdict.Success);
        return;
      }
      if (this.member === M_ERROR) {
        this.decide(Verdict.Error);
        return;
      }
    }
    if (depth <= 2) this.keyPos = false;
    if (depth === 1) {
      // The message ended without a result or error object: a request or notification (skipped in SSE), a result
      // that is no object, or a batch.
      if (this.verdict === Verdict.Error) this.decide(Verdict.Error);
      else if (this.member === M_RESULT || !this.sse) this.decide(Verdict.Success);
      else this.resetJson();
    }
  }
}
