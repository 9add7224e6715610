// Table tests of the filter's JSON-RPC scanner (filter/assembly/jsonScanner.ts), run through the compiled wasm.
// The harness (test/fixtures/wasm/scannerHarness.ts) compiles with -O3 and the stub runtime to 9,228 bytes, to about
// 12 KiB with the release settings and the incremental runtime, and imports nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { type Compiled, compileHarness, type Harness, JsonKind, ScanError, Wasm } from './harness.js';

let compiled: Compiled;
let h: Harness;

beforeAll(async () => {
  compiled = await compileHarness();
  h = compiled.harness;
});

const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') out.push(...new TextEncoder().encode(part));
    else out.push(...part);
  }
  return Uint8Array.from(out);
};

describe('the compiled harness', () => {
  it('needs no imports, so Envoy could load the same code', () => {
    expect(Wasm.Module.imports(compiled.module)).toEqual([]);
  });
});

describe('valid messages', () => {
  it('records every tracked member of a tools/call', () => {
    const body =
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"payment-service__get_health","arguments":{"verbose":true,"n":[1,2.5e3]}}}';
    expect(h.scan(body)).toBe(ScanError.Ok);
    expect(h.topKind()).toBe(JsonKind.Object);
    expect(h.raw('jsonrpc')).toBe('"2.0"');
    expect(h.raw('id')).toBe('7');
    expect(h.field('id').kind).toBe(JsonKind.Number);
    expect(h.raw('method')).toBe('"tools/call"');
    expect(h.raw('params')).toBe('{"name":"payment-service__get_health","arguments":{"verbose":true,"n":[1,2.5e3]}}');
    expect(h.raw('params.name')).toBe('"payment-service__get_health"');
    expect(h.raw('params.arguments')).toBe('{"verbose":true,"n":[1,2.5e3]}');
    expect(h.field('params.arguments').kind).toBe(JsonKind.Object);
    expect(h.field('params.uri').kind).toBe(JsonKind.None);
    expect(h.equals('method', 'tools/call')).toBe(true);
    expect(h.equals('method', 'tools/list')).toBe(false);
    expect(h.equals('jsonrpc', '2.0')).toBe(true);
    expect(h.splitToolFromScan()).toEqual({
      code: 0,
      service: 'payment-service',
      tool: 'get_health',
      dotted: false,
    });
  });

  it('handles a notification (no id) and a request without params', () => {
    expect(h.scan('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toBe(ScanError.Ok);
    expect(h.field('id').kind).toBe(JsonKind.None);
    expect(h.field('params').kind).toBe(JsonKind.None);
    expect(h.decode('method')).toBe('notifications/initialized');
    expect(h.scan('{"id":"abc","method":"ping","jsonrpc":"2.0"}')).toBe(ScanError.Ok);
    expect(h.raw('id')).toBe('"abc"');
    expect(h.field('id').kind).toBe(JsonKind.String);
    expect(h.scan('{"id":null,"method":"ping"}')).toBe(ScanError.Ok);
    expect(h.field('id').kind).toBe(JsonKind.Null);
  });

  it('accepts whitespace wherever RFC 8259 allows it and reports exact ranges', () => {
    const body = ' \t\r\n{ "method" :\n"ping" , "id"\t:\t-0.5E+2 ,"params":{ } }\n ';
    expect(h.scan(body)).toBe(ScanError.Ok);
    expect(h.raw('method')).toBe('"ping"');
    expect(h.raw('id')).toBe('-0.5E+2');
    expect(h.raw('params')).toBe('{ }');
    expect(h.field('method')).toEqual({ start: 17, end: 23, kind: JsonKind.String, escaped: false });
  });

  it('records params.uri for resources/read and leaves positional params alone', () => {
    expect(h.scan('{"method":"resources/read","params":{"uri":"file:///var/log/app/x.log"}}')).toBe(ScanError.Ok);
    expect(h.decode('params.uri')).toBe('file:///var/log/app/x.log');
    expect(h.scan('{"method":"x","params":["name",{"name":"no"}]}')).toBe(ScanError.Ok);
    expect(h.field('params').kind).toBe(JsonKind.Array);
    expect(h.field('params.name').kind).toBe(JsonKind.None);
  });

  it('only tracks members at their own level', () => {
    const body =
      '{"meta":{"method":"evil","name":"x"},"params":{"arguments":{"name":"inner","params":{"name":"deeper"}},"name":"real__tool"},"method":"tools/call"}';
    expect(h.scan(body)).toBe(ScanError.Ok);
    expect(h.raw('method')).toBe('"tools/call"');
    expect(h.raw('params.name')).toBe('"real__tool"');
    expect(h.raw('params.arguments')).toBe('{"name":"inner","params":{"name":"deeper"}}');
  });

  it('allows duplicates of members it does not read', () => {
    expect(h.scan('{"x":1,"x":2,"method":"a","params":{"arguments":{"k":1,"k":2},"y":0,"y":1}}')).toBe(ScanError.Ok);
    expect(h.scan('{"meta":{"method":1,"method":2},"method":"a"}')).toBe(ScanError.Ok);
  });

  it('accepts every number form of the grammar', () => {
    for (const n of ['0', '-0', '1', '-12', '3.25', '0.5e10', '1E-3', '-1e+0', '123456789012345678901234567890']) {
      expect(h.scan(`{"id":${n}}`), n).toBe(ScanError.Ok);
      expect(h.raw('id')).toBe(n);
    }
    for (const [lit, kind] of [
      ['true', JsonKind.True],
      ['false', JsonKind.False],
      ['null', JsonKind.Null],
    ] as const) {
      expect(h.scan(`{"id":${lit}}`)).toBe(ScanError.Ok);
      expect(h.field('id').kind).toBe(kind);
    }
  });

  it('compares and decodes strings with escapes by their value', () => {
    expect(h.scan('{"method":"tools\\/call","params":{"name":"pay\\u006dent__get_\\u0068ealth"}}')).toBe(ScanError.Ok);
    expect(h.field('method').escaped).toBe(true);
    expect(h.equals('method', 'tools/call')).toBe(true);
    expect(h.equals('method', 'tools\\/call')).toBe(false);
    expect(h.equals('method', 'tools/cal')).toBe(false);
    expect(h.equals('method', 'tools/calll')).toBe(false);
    expect(h.decode('method')).toBe('tools/call');
    expect(h.decode('params.name')).toBe('payment__get_health');
    expect(h.splitToolFromScan()).toEqual({ code: 0, service: 'payment', tool: 'get_health', dotted: false });
    expect(h.scan('{"method":"\\"\\\\\\/\\b\\f\\n\\r\\t"}')).toBe(ScanError.Ok);
    expect(h.decode('method')).toBe('"\\/\b\f\n\r\t');
    expect(h.equals('method', '"\\/\b\f\n\r\t')).toBe(true);
  });

  it('decodes unicode, raw and escaped, including surrogate pairs', () => {
    expect(h.scan('{"method":"ünïcødé ✓ 😀","params":{"name":"\\u00fc\\u2713\\ud83d\\ude00"}}')).toBe(ScanError.Ok);
    expect(h.field('method').escaped).toBe(false);
    expect(h.decode('method')).toBe('ünïcødé ✓ 😀');
    expect(h.equals('method', 'unicode')).toBe(false);
    expect(h.decode('params.name')).toBe('ü✓😀');
    expect(h.unescape('params.name')).toEqual(new TextEncoder().encode('ü✓😀'));
    expect(h.splitToolFromScan()?.code).toBe(3); // BadChar: tool names are ASCII
  });

  it('accepts lone surrogate escapes as JSON.parse does, but refuses to decode them', () => {
    for (const s of [
      '\\ud800',
      '\\udc00',
      '\\ud800x',
      '\\ud800\\u0041',
      '\\ude00\\ud83d',
      '\\udbff\\ue000',
      '\\ud800\\n',
    ]) {
      const body = `{"method":"${s}"}`;
      expect(() => JSON.parse(body)).not.toThrow();
      expect(h.scan(body), s).toBe(ScanError.Ok);
      expect(h.decode('method'), s).toBeNull();
      expect(h.unescape('method'), s).toBeNull();
    }
  });

  it('bounds decoding by maxBytes and the scratch capacity', () => {
    expect(h.scan('{"method":"abcdef","id":"\\u0061bcdef"}')).toBe(ScanError.Ok);
    expect(h.decode('method', 6)).toBe('abcdef');
    expect(h.decode('method', 5)).toBeNull();
    expect(h.decode('id', 6)).toBe('abcdef');
    expect(h.decode('id', 5)).toBeNull();
    expect(h.unescape('id', 5)).toBeNull();
    expect(h.decode('jsonrpc')).toBeNull(); // absent
    expect(h.scan(`{"method":"${'\\u0061'.repeat(300)}","id":1}`)).toBe(ScanError.Ok);
    expect(h.decode('method', 1000)).toBeNull(); // escaped strings decode through a 256-byte scratch
    expect(h.decode('id')).toBeNull(); // not a string
    expect(h.equals('id', '1')).toBe(false);
  });

  it('reads keys by their decoded value', () => {
    expect(h.scan('{"meth\\u006fd":"ping","p\\u0061rams":{"n\\u0061me":"a__b"}}')).toBe(ScanError.Ok);
    expect(h.raw('method')).toBe('"ping"');
    expect(h.raw('params.name')).toBe('"a__b"');
  });
});

describe('errors', () => {
  it('Empty: no bytes or only whitespace', () => {
    expect(h.scan('')).toBe(ScanError.Empty);
    expect(h.scan(' \n\t\r ')).toBe(ScanError.Empty);
  });

  it('TooLarge: at maxBytes passes, one byte over fails before reading', () => {
    const body = '{"method":"ping"}';
    expect(h.scan(body, body.length)).toBe(ScanError.Ok);
    expect(h.scan(body, body.length - 1)).toBe(ScanError.TooLarge);
    expect(h.scan('\xff'.repeat(10), 9)).toBe(ScanError.TooLarge);
  });

  it('TooDeep: nesting at maxDepth passes, one more fails', () => {
    // {"params": <4 nested containers>} has depth 5
    const inner = ['[[[[]]]]', '{"a":{"a":{"a":{}}}}'];
    for (const nested of inner) {
      const body = `{"params":${nested}}`;
      expect(h.scan(body, 1 << 20, 5), body).toBe(ScanError.Ok);
      expect(h.scan(body, 1 << 20, 4), body).toBe(ScanError.TooDeep);
    }
    expect(h.scan('{}', 100, 1)).toBe(ScanError.Ok);
    expect(h.scan('{"a":{}}', 100, 1)).toBe(ScanError.TooDeep);
    expect(h.errorOffset()).toBe(5);
    expect(h.scan('{}', 100, 0)).toBe(ScanError.TooDeep);
    expect(h.scan(`{"a":${'['.repeat(5000)}`, 1 << 20, 1 << 20)).toBe(ScanError.TooDeep); // clamped to 1024
    const deep = `{"a":${'['.repeat(1023)}${']'.repeat(1023)}}`;
    expect(h.scan(deep, 1 << 20, 1 << 20)).toBe(ScanError.Ok);
  });

  it('Syntax: malformed JSON of every kind', () => {
    const cases = [
      '{',
      '}',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '{,}',
      '{"a":1 "b":2}',
      '{"a" 1}',
      "{'a':1}",
      '{a:1}',
      '{1:2}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":1e}',
      '{"a":1e+}',
      '{"a":+1}',
      '{"a":-}',
      '{"a":- 1}',
      '{"a":0x10}',
      '{"a":tru}',
      '{"a":nul}',
      '{"a":truex}',
      '{"a":True}',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":"\\x"}',
      '{"a":"\\u12"}',
      '{"a":"\\u12G4"}',
      '{"a":"\\U0041"}',
      '{"a":"tab\there"}',
      '{"a":"nl\nhere"}',
      '{"a":"open}',
      '{"a":"\\',
      '{"a":[1,]}',
      '{"a":[1 2]}',
      '{"a":[,1]}',
      '{"a":1]',
      '{"a":[1}}',
      '{} {}',
      '{}x',
      '{}\u0000',
      '{"a":1}\u00a0',
      '\u00a0{}',
      '\ufeff{}',
      '{"a":"x"/**/}',
      '{"a":´}',
      '[1}',
      '[',
      '"open',
      '-',
      'nul',
    ];
    for (const body of cases) {
      expect(() => JSON.parse(body), body).toThrow();
      expect(h.scan(body), JSON.stringify(body)).toBe(ScanError.Syntax);
    }
  });

  it('Syntax: every raw control character inside a string; DEL is allowed', () => {
    for (let c = 0; c < 0x20; c++) {
      expect(h.scan(bytes('{"method":"a', [c], '"}')), `0x${c.toString(16)}`).toBe(ScanError.Syntax);
    }
    expect(h.scan(bytes('{"method":"a', [0x7f], '"}'))).toBe(ScanError.Ok);
  });

  it('reports where a syntax error was found', () => {
    expect(h.scan('{"a":1,}')).toBe(ScanError.Syntax);
    expect(h.errorOffset()).toBe(7);
    expect(h.scan('{"a":1}  x')).toBe(ScanError.Syntax);
    expect(h.errorOffset()).toBe(9);
  });

  it('NotObject: a well-formed scalar', () => {
    for (const body of ['"x"', '1', '-2.5e3', 'true', 'false', 'null', ' "method" ']) {
      expect(h.scan(body), body).toBe(ScanError.NotObject);
    }
  });

  it('Batch: a well-formed top-level array, however it is shaped', () => {
    expect(h.scan('[]')).toBe(ScanError.Batch);
    expect(h.scan(' [{"jsonrpc":"2.0","id":1,"method":"ping"},{"method":"x"}] ')).toBe(ScanError.Batch);
    expect(h.topKind()).toBe(JsonKind.Array);
    expect(h.field('method').kind).toBe(JsonKind.None);
    expect(h.scan('[{"method":"a","method":"b"}]')).toBe(ScanError.Batch); // members of batch entries are not read
    expect(h.scan('[{"method":"x"},]')).toBe(ScanError.Syntax);
    expect(h.scan('[[[[1]]]]', 100, 3)).toBe(ScanError.TooDeep);
  });

  it('BadUtf8: overlongs, surrogates, out-of-range and truncated sequences inside strings', () => {
    const cases: [string, number[]][] = [
      ['overlong 2-byte NUL', [0xc0, 0x80]],
      ['overlong 2-byte', [0xc1, 0xbf]],
      ['overlong 3-byte', [0xe0, 0x80, 0x80]],
      ['overlong 3-byte max', [0xe0, 0x9f, 0xbf]],
      ['overlong 4-byte', [0xf0, 0x80, 0x80, 0x80]],
      ['overlong 4-byte max', [0xf0, 0x8f, 0xbf, 0xbf]],
      ['high surrogate', [0xed, 0xa0, 0x80]],
      ['low surrogate', [0xed, 0xbf, 0xbf]],
      ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['F5 lead', [0xf5, 0x80, 0x80, 0x80]],
      ['FF', [0xff]],
      ['lone continuation', [0x80]],
      ['truncated 2-byte', [0xc3]],
      ['truncated 3-byte', [0xe2, 0x82]],
      ['truncated 4-byte', [0xf0, 0x9f, 0x98]],
      ['bad continuation', [0xe2, 0x28, 0xa1]],
      ['4-byte bad third', [0xf0, 0x9f, 0x28, 0x80]],
      ['4-byte bad fourth', [0xf0, 0x9f, 0x98, 0x28]],
    ];
    for (const [name, seq] of cases) {
      const body = bytes('{"method":"a', seq, 'b"}');
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(body), name).toThrow();
      expect(h.scan(body), name).toBe(ScanError.BadUtf8);
      expect(h.errorOffset(), name).toBe(10); // the string's opening quote
    }
    // truncated right at the end of the buffer
    expect(h.scan(bytes('{"method":"', [0xe2, 0x82]))).toBe(ScanError.BadUtf8);
    expect(h.scan(bytes('{"method":"', [0xf0]))).toBe(ScanError.BadUtf8);
    // the boundaries that are valid
    for (const seq of [
      [0xc2, 0x80],
      [0xdf, 0xbf],
      [0xe0, 0xa0, 0x80],
      [0xed, 0x9f, 0xbf],
      [0xee, 0x80, 0x80],
      [0xef, 0xbf, 0xbf],
      [0xf0, 0x90, 0x80, 0x80],
      [0xf4, 0x8f, 0xbf, 0xbf],
    ]) {
      expect(h.scan(bytes('{"method":"', seq, '"}')), seq.join(',')).toBe(ScanError.Ok);
      expect(h.unescape('method')).toEqual(Uint8Array.from(seq));
    }
    // non-ASCII outside a string is a syntax error, whatever its encoding
    expect(h.scan(bytes('{', [0xc3, 0xa9], '}'))).toBe(ScanError.Syntax);
  });

  it('DuplicateKey: a second copy of any member the filter reads', () => {
    const cases = [
      '{"jsonrpc":"2.0","jsonrpc":"1.0"}',
      '{"id":1,"method":"x","id":2}',
      '{"method":"tools/list","method":"tools/call"}',
      '{"params":{},"params":{"name":"a__b"}}',
      '{"params":{"name":"a__b","name":"c__d"}}',
      '{"params":{"uri":"a","uri":"b"}}',
      '{"params":{"arguments":{},"arguments":{}}}',
      '{"method":"a","meth\\u006fd":"b"}',
      '{"params":{"name":"a__b","\\u006eame":"c__d"}}',
    ];
    for (const body of cases) {
      expect(() => JSON.parse(body), body).not.toThrow();
      expect(h.scan(body), body).toBe(ScanError.DuplicateKey);
    }
    expect(h.scan('{"method":"a",  "method":"b"}')).toBe(ScanError.DuplicateKey);
    expect(h.errorOffset()).toBe(16); // the second key
  });

  it('a body that is not JSON is Syntax even when a tracked key repeats before the error, as JSON.parse sees it', () => {
    // A counterexample the property test found: the second "method" has no ':' after it.
    for (const body of [
      '{"method":"","method""}',
      '{"method":"a","method":"b" x}',
      '{"params":{"name":"a","name":1,}}',
    ]) {
      expect(() => JSON.parse(body), body).toThrow();
      expect(h.scan(body), body).toBe(ScanError.Syntax);
    }
  });

  it('forgets every range of a refused body', () => {
    expect(h.scan('{"method":"tools/call","params":{"name":"a__b"},"id":1,}')).toBe(ScanError.Syntax);
    for (const f of ['jsonrpc', 'id', 'method', 'params', 'params.name', 'params.uri', 'params.arguments'] as const) {
      expect(h.field(f).kind, f).toBe(JsonKind.None);
    }
    expect(h.splitToolFromScan()).toBeNull();
  });
});
