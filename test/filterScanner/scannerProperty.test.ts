// Property tests of the filter's JSON-RPC scanner against JSON.parse, run through the compiled wasm: the filter must
// accept exactly what the upstream's parser accepts (within limits), report exact ranges, and never trap.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileHarness,
  compileStringHarness,
  type Field,
  type Harness,
  JsonKind,
  type ResponseState,
  ScanError,
  type StringHarness,
  type StringScan,
} from './harness.js';

let h: Harness;
let sh: StringHarness;

beforeAll(async () => {
  h = (await compileHarness()).harness;
  sh = await compileStringHarness();
});

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text, where JSON.parse rejects it as the scanner does.
const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX = 1 << 20;

type Oracle = { parsed: false } | { parsed: true; value: unknown };

function oracle(bytes: Uint8Array): Oracle {
  try {
    return { parsed: true, value: JSON.parse(fatal.decode(bytes)) };
  } catch {
    return { parsed: false };
  }
}

function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + children.reduce((m: number, c) => Math.max(m, depthOf(c)), 0);
}

function expectedCode(v: unknown, maxDepth: number): ScanError {
  if (depthOf(v) > maxDepth) return ScanError.TooDeep;
  if (Array.isArray(v)) return ScanError.Batch;
  if (v === null || typeof v !== 'object') return ScanError.NotObject;
  return ScanError.Ok;
}

// Accept/reject must agree with JSON.parse of the fatally decoded bytes; a refused body must be refused for a
// reason consistent with what JSON.parse saw. Any trap throws out of h.scan and fails the property.
function agreesWithJsonParse(bytes: Uint8Array): void {
  const code = h.scan(bytes, MAX, 1024);
  const o = oracle(bytes);
  if (!o.parsed) {
    expect([ScanError.Empty, ScanError.Syntax, ScanError.BadUtf8]).toContain(code);
    if (code === ScanError.Empty) expect(/^[ \t\r\n]*$/.test(fatal.decode(bytes))).toBe(true);
    return;
  }
  const expected = expectedCode(o.value, 1024);
  if (expected === ScanError.Ok && code === ScanError.DuplicateKey) return; // JSON.parse keeps the last copy silently
  expect(code).toBe(expected);
}

const utf8Length = (s: string) => encoder.encode(s).length;
// No lone surrogate (with the u flag a paired one is a single code point, not Cs) and short enough to decode.
const decodable = (s: string) => !/\p{Cs}/u.test(s) && utf8Length(s) <= 256;

const text = fc.string({ unit: 'binary', maxLength: 24 });
const anyText = fc.oneof(text, fc.string({ unit: 'grapheme', maxLength: 24 }), fc.string({ maxLength: 24 }));
const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
const extraKeys = fc.dictionary(
  anyText.filter((k) => !['jsonrpc', 'id', 'method', 'params'].includes(k)),
  json,
  { maxKeys: 3 },
);
const paramsObject = fc
  .tuple(
    fc.record({ name: fc.oneof(anyText, json), uri: anyText, arguments: json, _meta: json }, { requiredKeys: [] }),
    fc.dictionary(
      anyText.filter((k) => !['name', 'uri', 'arguments'].includes(k)),
      json,
      { maxKeys: 2 },
    ),
  )
  .map(([known, extra]) => ({ ...extra, ...known }));
const message = fc
  .tuple(
    fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), anyText),
        id: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), anyText, fc.constant(null)),
        method: fc.oneof(fc.constantFrom('tools/call', 'initialize', 'resources/read', 'ping'), anyText),
        params: fc.oneof(paramsObject, fc.array(json, { maxLength: 3 }), json),
      },
      { requiredKeys: [] },
    ),
    extraKeys,
  )
  .chain(([known, extra]) => {
    const entries = [...Object.entries(extra), ...Object.entries(known)];
    return fc
      .shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length })
      .map((ordered) => Object.fromEntries(ordered) as Record<string, unknown>);
  });

function memberValue(msg: Record<string, unknown>, field: Field): unknown {
  const params = msg['params'];
  const inParams = params !== null && typeof params === 'object' && !Array.isArray(params);
  switch (field) {
    case 'params.name':
      return inParams ? (params as Record<string, unknown>)['name'] : undefined;
    case 'params.uri':
      return inParams ? (params as Record<string, unknown>)['uri'] : undefined;
    case 'params.arguments':
      return inParams ? (params as Record<string, unknown>)['arguments'] : undefined;
    default:
      return msg[field];
  }
}

const FIELDS: Field[] = ['jsonrpc', 'id', 'method', 'params', 'params.name', 'params.uri', 'params.arguments'];

describe('scanner properties', () => {
  it('classifies any JSON value exactly as JSON.parse and the limits do', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ stringUnit: 'binary' }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(undefined, 1, '\t'),
        (v, maxDepth, indent) => {
          const body = JSON.stringify(v, null, indent);
          expect(h.scan(body, MAX, maxDepth)).toBe(expectedCode(v, maxDepth));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts any object and reports members as JSON.stringify wrote them', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, json), (v) => {
        expect(h.scan(JSON.stringify(v))).toBe(ScanError.Ok);
      }),
    );
  });

  it('reports exact ranges of jsonrpc, id, method and params members in any key order', () => {
    fc.assert(
      fc.property(message, (msg) => {
        const body = JSON.stringify(msg);
        expect(h.scan(body)).toBe(ScanError.Ok);
        for (const f of FIELDS) {
          const v = memberValue(msg, f);
          expect(h.raw(f), f).toBe(v === undefined ? undefined : JSON.stringify(v));
          if (typeof v === 'string') {
            expect(h.field(f).escaped, f).toBe(JSON.stringify(v).includes('\\'));
            expect(h.decode(f), f).toBe(decodable(v) ? v : null);
            if (/^[\x00-\x7f]*$/.test(v)) expect(h.equals(f, v), f).toBe(true);
          } else if (v !== undefined) {
            expect(h.decode(f), f).toBeNull();
          }
        }
        if (typeof msg['method'] === 'string') expect(h.equals('method', `${msg['method']}x`)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('reports ranges that parse back to the values when the body is pretty-printed', () => {
    fc.assert(
      fc.property(message, fc.constantFrom(1, 2, '\t', ' \r\n'), (msg, indent) => {
        const body =
          typeof indent === 'string' && indent.includes('\r') ? prettyCrlf(msg) : JSON.stringify(msg, null, indent);
        expect(h.scan(body)).toBe(ScanError.Ok);
        for (const f of FIELDS) {
          const v = memberValue(msg, f);
          const raw = h.raw(f);
          expect(raw === undefined ? undefined : JSON.stringify(JSON.parse(raw)), f).toBe(
            v === undefined ? undefined : JSON.stringify(v),
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('decodes strings however they are escaped', () => {
    fc.assert(
      fc.property(escapedString, ([s, enc]) => {
        const body = `{"method":"${enc}","params":{"name":"${enc}"}}`;
        expect(JSON.parse(body).method).toBe(s);
        expect(h.scan(body)).toBe(ScanError.Ok);
        expect(h.raw('method')).toBe(`"${enc}"`);
        expect(h.field('method').escaped).toBe(enc.includes('\\'));
        expect(h.decode('method')).toBe(decodable(s) ? s : null);
        expect(h.unescape('params.name')).toEqual(decodable(s) ? encoder.encode(s) : null);
        if (/^[\x00-\x7f]*$/.test(s)) expect(h.equals('method', s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('sees through escaped spellings of a tracked key, so it cannot be duplicated', () => {
    const key = fc.constantFrom('jsonrpc', 'id', 'method', 'params');
    fc.assert(
      fc.property(
        key.chain((k) => fc.tuple(fc.constant(k), escapingOf(k), escapingOf(k))),
        ([, a, b]) => {
          expect(h.scan(`{"${a}":{},"${b}":{}}`)).toBe(ScanError.DuplicateKey);
        },
      ),
    );
  });

  it('refuses exactly the bodies over maxBytes', () => {
    fc.assert(
      fc.property(message, fc.integer({ min: -3, max: 3 }), (msg, delta) => {
        const body = encoder.encode(JSON.stringify(msg));
        const code = h.scan(body, body.length + delta);
        expect(code).toBe(delta < 0 ? ScanError.TooLarge : ScanError.Ok);
      }),
    );
  });

  it('refuses exactly the bodies nested deeper than maxDepth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 1, max: 42 }),
        (shape, maxDepth) => {
          let inner = '1';
          for (const isArray of shape) inner = isArray ? `[${inner}]` : `{"a":${inner}}`;
          const body = `{"params":${inner}}`;
          const depth = shape.length + 1;
          expect(h.scan(body, MAX, maxDepth)).toBe(depth <= maxDepth ? ScanError.Ok : ScanError.TooDeep);
        },
      ),
    );
  });
});

describe('scanner against arbitrary bytes', () => {
  it('agrees with JSON.parse on random byte strings and never traps', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), agreesWithJsonParse), { numRuns: 3000 });
  });

  it('agrees with JSON.parse on random bytes built from JSON and UTF-8 edge pieces', () => {
    const ascii = fc
      .constantFrom('{', '}', '[', ']', ':', ',', '"', '\\', ' ', '\n', 'true', 'null', '-', '0', '1', '.', 'e', 'u')
      .map((t) => encoder.encode(t));
    const tokens = fc
      .constantFrom(
        '"method"',
        '"params"',
        '"name"',
        '"id"',
        '\\u0041',
        '\\ud800',
        '\u0000',
        '\u001f',
        '\u007f',
        '\u2028',
      )
      .map((t) => encoder.encode(t));
    // Multi-byte sequences around every boundary of RFC 3629's table: valid, overlong, surrogate, out of range.
    const lead = fc.constantFrom(
      0xc0,
      0xc1,
      0xc2,
      0xdf,
      0xe0,
      0xe1,
      0xec,
      0xed,
      0xee,
      0xef,
      0xf0,
      0xf1,
      0xf3,
      0xf4,
      0xf5,
      0xff,
    );
    const cont = fc.constantFrom(0x28, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0);
    const sequence = fc
      .tuple(lead, fc.array(cont, { minLength: 0, maxLength: 3 }))
      .map(([l, c]) => Uint8Array.from([l, ...c]));
    const piece = fc.oneof(
      ascii,
      tokens,
      sequence,
      fc.string({ unit: 'binary', maxLength: 3 }).map((t) => encoder.encode(t)),
    );
    const inString = fc
      .array(piece, { maxLength: 30 })
      .map((pieces) => concat([encoder.encode('{"method":"'), ...pieces, encoder.encode('"}')]));
    const free = fc.array(piece, { maxLength: 30 }).map((pieces) => concat(pieces));
    fc.assert(fc.property(fc.oneof(inString, free), agreesWithJsonParse), { numRuns: 5000 });
  });

  it('agrees with JSON.parse on mutated valid messages and never traps', () => {
    const mutation = fc.record({
      op: fc.constantFrom('set', 'insert', 'delete', 'truncate'),
      at: fc.nat(),
      byte: fc.oneof(
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x80, 0xc0, 0xed, 0xf4),
      ),
    });
    fc.assert(
      fc.property(message, fc.array(mutation, { minLength: 1, maxLength: 4 }), (msg, mutations) => {
        const bytes = Array.from(encoder.encode(JSON.stringify(msg)));
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.op === 'set' && bytes.length > 0) bytes[at] = m.byte;
          else if (m.op === 'insert') bytes.splice(at, 0, m.byte);
          else if (m.op === 'delete') bytes.splice(at, 1);
          else if (m.op === 'truncate') bytes.length = at;
        }
        agreesWithJsonParse(Uint8Array.from(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

// Long strings are skipped a word at a time (jsonString.ts): the scan must answer exactly as the byte-by-byte loop it
// replaced, which byteByByte below restates line for line, for every input, at every alignment, without reading past
// the end of the buffer (the string harness puts the buffer where memory ends, so such a read traps). The response
// scan's word skip is checked against the same ResponseScan fed one byte per call, which takes the byte loop only
// (the skip needs a whole word in the chunk).

const hexValue = (b: number): number => {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
};

/** scanString as it was before the word skip: one byte at a time. */
function byteByByte(bytes: Uint8Array, at: number): StringScan {
  const end = bytes.length;
  const byte = (i: number) => bytes[i] as number;
  const out = { end: -1, badUtf8: false, escaped: false };
  let p = at + 1;
  while (p < end) {
    const b = byte(p);
    if (b === 0x22) return { ...out, end: p + 1 };
    if (b === 0x5c) {
      if (p + 1 >= end) return out;
      const e = byte(p + 1);
      out.escaped = true;
      if (e === 0x75) {
        if (p + 6 > end) return out;
        if ((hexValue(byte(p + 2)) | hexValue(byte(p + 3)) | hexValue(byte(p + 4)) | hexValue(byte(p + 5))) < 0)
          return out;
        p += 6;
      } else {
        if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) return out;
        p += 2;
      }
      continue;
    }
    if (b < 0x20) return out;
    if (b < 0x80) {
      p++;
      continue;
    }
    out.badUtf8 = true;
    if (b < 0xc2 || b > 0xf4) return out;
    if (b < 0xe0) {
      if (p + 2 > end || (byte(p + 1) & 0xc0) !== 0x80) return out;
      p += 2;
    } else if (b < 0xf0) {
      if (p + 3 > end) return out;
      const b1 = byte(p + 1);
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (b1 < lo || b1 > hi || (byte(p + 2) & 0xc0) !== 0x80) return out;
      p += 3;
    } else {
      if (p + 4 > end) return out;
      const b1 = byte(p + 1);
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi || (byte(p + 2) & 0xc0) !== 0x80 || (byte(p + 3) & 0xc0) !== 0x80) return out;
      p += 4;
    }
    out.badUtf8 = false;
  }
  return out;
}

const u8 = (...b: number[]) => Uint8Array.from(b);
const printable = fc.integer({ min: 0x20, max: 0x7e }).filter((b) => b !== 0x22 && b !== 0x5c);
const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF').map((c) => c.charCodeAt(0));
// String content, piece by piece: runs of plain ASCII from none to many whole words, every escape (valid or not),
// valid and invalid UTF-8, control bytes. A piece never ends the string early: no raw quote, no lone backslash.
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.array(printable, { maxLength: 24 }).map((a) => Uint8Array.from(a)) },
  { weight: 2, arbitrary: fc.nat({ max: 200 }).map((n) => new Uint8Array(n).fill(0x61)) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(...['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t'])
      .map((e) => encoder.encode(e)),
  },
  { weight: 1, arbitrary: fc.array(hexDigit, { minLength: 4, maxLength: 4 }).map((d) => u8(0x5c, 0x75, ...d)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 255 })
      .filter((b) => !'"\\/bfnrtu'.includes(String.fromCharCode(b)))
      .map((b) => u8(0x5c, b)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.array(hexDigit, { maxLength: 3 }),
        fc.integer({ min: 0, max: 255 }).filter((b) => hexValue(b) < 0),
      )
      .map(([d, b]) => u8(0x5c, 0x75, ...d, b)),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.integer({ min: 0x80, max: 0x7ff }),
        fc.integer({ min: 0x800, max: 0xffff }),
        fc.integer({ min: 0x10000, max: 0x10ffff }),
      )
      .filter((cp) => cp < 0xd800 || cp > 0xdfff)
      .map((cp) => encoder.encode(String.fromCodePoint(cp))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
        fc.array(fc.constantFrom(0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0), { maxLength: 3 }),
      )
      .map(([l, c]) => u8(l, ...c)),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((b) => u8(b)) },
);
const content = fc.array(piece, { maxLength: 24 }).map(concat);
describe('long strings, skipped a word at a time', () => {
  it('scanString answers as the byte-by-byte scan, at every alignment and at the end of the buffer', () => {
    const tail = fc.oneof(
      fc.constant(u8(0x22)),
      fc.constant(u8()), // the buffer ends inside the string
      fc.constant(u8(0x5c)), // ... right after a backslash
      fc.constant(u8(0x5c, 0x75, 0x31)), // ... inside a \u escape
      fc.constant(u8(0xe2, 0x82)), // ... inside a UTF-8 sequence
      fc.constant(u8(0x22, 0x2c, 0x22)), // a quote in the middle: the string ends there
    );
    fc.assert(
      fc.property(fc.nat({ max: 15 }), content, tail, fc.option(content), (pad, body, end, more) => {
        const bytes = concat([new Uint8Array(pad).fill(0x20), u8(0x22), body, end, more ?? u8()]);
        expect(sh.scanString(bytes, pad)).toEqual(byteByByte(bytes, pad));
      }),
      { numRuns: 5000 },
    );
  });

  it('scanMessage reports the same error, at the same offset, or the same ranges, for bodies of long strings', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 15 }),
        fc.array(content, { minLength: 6, maxLength: 6 }),
        fc.option(fc.nat(), { freq: 3 }),
        (pad, strings, cut) => {
          // {"jsonrpc":"2.0","id":S0,"method":"tools/call","params":{"name":S1,"uri":S2,"arguments":{"x":S3,"y":[S4,S5]}}}
          const glue = [
            `${' \t\n\r'.repeat(4).slice(0, pad)}{"jsonrpc":"2.0","id":`,
            ',"method":"tools/call","params":{"name":',
            ',"uri":',
            ',"arguments":{"x":',
            ',"y":[',
            ',',
            ']}}}',
          ].map((t) => encoder.encode(t));
          const parts: Uint8Array[] = [];
          const quotes: number[] = [];
          let at = 0;
          strings.forEach((c, i) => {
            parts.push(glue[i] as Uint8Array);
            at += (glue[i] as Uint8Array).length;
            quotes.push(at);
            const str = concat([u8(0x22), c, u8(0x22)]);
            parts.push(str);
            at += str.length;
          });
          parts.push(glue[6] as Uint8Array);
          let bytes = concat(parts);
          // Sometimes the body ends in the last string (or after it, before the last brace): it runs to the end.
          const last = quotes[5] as number;
          if (cut !== null) bytes = bytes.subarray(0, last + (cut % (bytes.length - last)));
          const code = h.scan(bytes, MAX, 64);
          const scans = quotes.map((q) => byteByByte(bytes, q));
          const failed = scans.findIndex((r) => r.end < 0);
          if (failed >= 0) {
            const r = scans[failed] as StringScan;
            expect(code).toBe(r.badUtf8 ? ScanError.BadUtf8 : ScanError.Syntax);
            expect(h.errorOffset()).toBe(quotes[failed]);
          } else if (cut !== null) {
            expect(code).toBe(ScanError.Syntax); // every string ended, the object did not
            expect(h.errorOffset()).toBe(bytes.length);
          } else {
            // No piece holds a raw quote, so a string that scans ends at its own closing quote.
            expect(scans.map((r) => r.end)).toEqual(quotes.map((q, i) => q + 2 + (strings[i] as Uint8Array).length));
            expect(code).toBe(ScanError.Ok);
            (['id', 'params.name', 'params.uri'] as Field[]).forEach((f, i) => {
              const r = scans[i] as StringScan;
              expect(h.field(f)).toEqual({ start: quotes[i], end: r.end, kind: JsonKind.String, escaped: r.escaped });
            });
          }
          agreesWithJsonParse(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the response scan reads string-heavy answers in any chunks as it does one byte at a time', () => {
    const answer = fc
      .tuple(content, fc.boolean(), fc.constantFrom('result', 'error'))
      .map(([c, isError, kind]) =>
        concat([
          encoder.encode(
            kind === 'result'
              ? '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"'
              : '{"jsonrpc":"2.0","id":1,"error":{"message":"',
          ),
          c,
          encoder.encode(kind === 'result' ? `"}],"isError":${isError}}}` : '","code":-32000}}'),
        ]),
      );
    // SSE framing: the answer cut into lines, each a data line (or a comment or another field), with any line end.
    const line = fc.record({
      cut: fc.nat(),
      field: fc.constantFrom('data: ', 'data: ', 'data:', ': keep-alive ', 'event: message'),
      eol: fc.constantFrom('\n', '\r\n', '\r', '\n\n'),
    });
    const framed = fc
      .tuple(answer, fc.array(line, { maxLength: 5 }), fc.constantFrom('\n\n', '\r\n\r\n', ''))
      .map(([a, lines, last]) => {
        const cuts = [...new Set(lines.map((l) => l.cut % (a.length + 1)))].sort((x, y) => x - y);
        const out: Uint8Array[] = [];
        let from = 0;
        lines.slice(0, cuts.length).forEach((l, i) => {
          out.push(encoder.encode(l.field), a.subarray(from, cuts[i]), encoder.encode(l.eol));
          from = cuts[i] as number;
        });
        out.push(encoder.encode('data: '), a.subarray(from), encoder.encode(last));
        return concat(out);
      });
    fc.assert(
      fc.property(
        fc.boolean().chain((sse) => fc.tuple(fc.constant(sse), sse ? framed : answer)),
        fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 12 }),
        fc.boolean(),
        ([sse, body], sizes, finish) => {
          const chunks: Uint8Array[] = [];
          let from = 0;
          for (const n of sizes) {
            if (from >= body.length) break;
            chunks.push(body.subarray(from, from + n));
            from += n;
          }
          if (from < body.length) chunks.push(body.subarray(from));
          const bytes = Array.from(body, (b) => u8(b));
          // scanned counts the bytes handed over until the scan is done, so only then does it depend on the chunks.
          const state = (r: ResponseState) => (r.done ? { ...r, scanned: 0 } : r);
          expect(state(sh.response(sse, chunks, finish))).toEqual(state(sh.response(sse, bytes, finish)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// Pretty-printing with CRLF line ends and spaces, which JSON.stringify cannot produce.
function prettyCrlf(v: unknown): string {
  return JSON.stringify(v, null, 1).replace(/\n/g, '\r\n');
}

const SHORT: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  '\b': 'b',
  '\f': 'f',
  '\n': 'n',
  '\r': 'r',
  '\t': 't',
};
const hex4 = (u: number, upper: boolean) => {
  const h4 = u.toString(16).padStart(4, '0');
  return `\\u${upper ? h4.toUpperCase() : h4}`;
};

// Encodes s as JSON string content, choosing per character between raw, short and \u escapes.
function encodeWith(s: string, choices: number[]): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const choice = choices[i] ?? 0;
    const upper = choice === 2;
    const isHigh = c >= 0xd800 && c < 0xdc00;
    const next = s.charCodeAt(i + 1);
    if (isHigh && next >= 0xdc00 && next < 0xe000) {
      out += choice === 0 ? s.slice(i, i + 2) : hex4(c, upper) + hex4(next, upper);
      i++;
      continue;
    }
    const ch = s[i] as string;
    const short = SHORT[ch];
    const mustEscape = c < 0x20 || ch === '"' || ch === '\\' || (c >= 0xd800 && c < 0xe000);
    if (choice === 0 && !mustEscape) out += ch;
    else if (choice !== 2 && short !== undefined) out += `\\${short}`;
    else out += hex4(c, upper);
  }
  return out;
}

const escapedString = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string())
  .chain((s) =>
    fc
      .array(fc.nat({ max: 2 }), { minLength: s.length, maxLength: s.length })
      .map((choices) => [s, encodeWith(s, choices)] as const),
  );

function escapingOf(k: string): fc.Arbitrary<string> {
  return fc.array(fc.nat({ max: 2 }), { minLength: k.length, maxLength: k.length }).map((c) => encodeWith(k, c));
}
