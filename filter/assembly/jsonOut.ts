// A reusable byte writer for the JSON the filter emits per request (the audit line): UTF-8 straight into linear
// memory, so a line costs one buffer instead of a string allocation per member.

const HEX = '0123456789abcdef';

export class JsonOut {
  ptr: usize;
  cap: usize;
  len: usize = 0;

  constructor(cap: usize) {
    this.cap = cap;
    this.ptr = heap.alloc(cap);
  }

  reset(): JsonOut {
    this.len = 0;
    return this;
  }

  private room(n: usize): void {
    if (this.len + n <= this.cap) return;
    let cap = this.cap << 1;
    while (cap < this.len + n) cap <<= 1;
    this.ptr = heap.realloc(this.ptr, cap);
    this.cap = cap;
  }

  private byte(b: u32): void {
    store<u8>(this.ptr + this.len, <u8>b);
    this.len++;
  }

  /** ASCII text written as is: member names and punctuation from the code. */
  raw(s: string): JsonOut {
    const n = <usize>s.length;
    this.room(n);
    for (let i = 0; i < <i32>n; i++) store<u8>(this.ptr + this.len + <usize>i, <u8>s.charCodeAt(i));
    this.len += n;
    return this;
  }

  /** Bytes already valid JSON (e.g. params the scanner validated). */
  bytes(p: usize, n: usize): JsonOut {
    this.room(n);
    memory.copy(this.ptr + this.len, p, n);
    this.len += n;
    return this;
  }

  /** s as a JSON string literal, quotes included, escaped, encoded as UTF-8 (lone surrogates become U+FFFD). */
  str(s: string): JsonOut {
    const n = s.length;
    this.room(<usize>n * 6 + 2);
    this.byte(0x22);
    for (let i = 0; i < n; i++) {
      let c = <u32>s.charCodeAt(i);
      if (c < 0x80) {
        if (c === 0x22 || c === 0x5c) {
          this.byte(0x5c);
          this.byte(c);
        } else if (c < 0x20) {
          this.byte(0x5c);
          this.byte(0x75);
          this.byte(0x30);
          this.byte(0x30);
          this.byte(<u32>HEX.charCodeAt(<i32>(c >> 4)));
          this.byte(<u32>HEX.charCodeAt(<i32>(c & 15)));
        } else this.byte(c);
        continue;
      }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const lo = <u32>s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
      } else if (c < 0x10000) {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      } else {
        this.byte(0xf0 | (c >> 18));
        this.byte(0x80 | ((c >> 12) & 0x3f));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      }
    }
    this.byte(0x22);
    return this;
  }

  u64(v: u64): JsonOut {
    this.room(20);
    if (v === 0) {
      this.byte(0x30);
      return this;
    }
    let digits = 0;
    for (let t = v; t > 0; t /= 10) digits++;
    let at = this.len + <usize>digits;
    for (let t = v; t > 0; t /= 10) store<u8>(this.ptr + --at, <u8>(0x30 + <u32>(t % 10)));
    this.len += <usize>digits;
    return this;
  }

  /** n digits, zero-padded (dates). */
  padded(v: i32, n: i32): JsonOut {
    this.room(<usize>n);
    for (let i = n - 1; i >= 0; i--) {
      store<u8>(this.ptr + this.len + <usize>i, <u8>(0x30 + (v % 10)));
      v /= 10;
    }
    this.len += <usize>n;
    return this;
  }
}
