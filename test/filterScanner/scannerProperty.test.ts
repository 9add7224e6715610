// Property tests of the filter's JSON-RPC scanner against JSON.parse, run through the compiled wasm: the filter must
// accept exactly what the upstream's parser accepts (within limits), report exact ranges, and never trap.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileHarness, type Field, type Harness, ScanError } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = (await compileHarness()).harness;
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
