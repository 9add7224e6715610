// Generated MCP request bodies for the differential fuzz: mostly tools/call shapes aimed at the routing table, with
// what parsers disagree on: duplicate keys, escapes (in names above all), deep nesting, odd numbers, invalid UTF-8,
// lone surrogates, a BOM, huge strings and random noise between tokens.
import fc from 'fast-check';

const utf8 = new TextEncoder();

export type Piece = string | Uint8Array;

export function join(pieces: Piece[]): Uint8Array {
  return new Uint8Array(Buffer.concat(pieces.map((p) => (typeof p === 'string' ? utf8.encode(p) : p))));
}

/** Every tool the gateway example routes, as `<service>__<tool>`. */
export const KNOWN_TOOLS = [
  'mqtt-publisher__get_health',
  'mqtt-publisher__get_logs',
  'mqtt-publisher__publish_test_message',
  'payment-service__get_health',
  'payment-service__get_logs',
  'payment-service__get_metrics',
  'payment-service__refund_payment',
  'user-service__get_health',
  'user-service__get_logs',
  'user-service__query_users',
];

/** arb, present once in n draws (else null). */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
/** arb, missing once in n draws (null). */
const usually = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> => fc.option(arb, { freq: n });

const ws = fc.constantFrom('', '', '', '', '', '', ' ', '\n', '\t', ' \r\n ');

/** Invalid UTF-8: lone continuation, overlong, surrogate, out of range, truncated. */
const badUtf8 = fc.constantFrom(
  Uint8Array.of(0x80),
  Uint8Array.of(0xc0, 0xaf),
  Uint8Array.of(0xed, 0xa0, 0x80),
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
  Uint8Array.of(0xe2, 0x82),
  Uint8Array.of(0xff),
);

/** One character of a JSON string's source, as written: plain, escaped, or raw bytes that may be invalid. */
const stringChar: fc.Arbitrary<Piece> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
      .filter((c) => c !== '"' && c !== '\\' && c >= ' '),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\\n',
      '\\"',
      '\\\\',
      '\\/',
      '\\u0041',
      '\\u00e9',
      '\\ud83d\\ude00',
      '\\ud800',
      '\\u0000',
      '\\x',
      '\\',
    ),
  },
  { weight: 1, arbitrary: badUtf8 },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u001f', '\u007f', '\u2028', '\ufeff') },
);

const rawString = fc.array(stringChar, { maxLength: 12 }).map((cs) => ['"', ...cs, '"'] as Piece[]);

/** How a tool name is written: exactly, with one character escaped, or altered so it must not route as the tool. */
function nameVariants(name: string): fc.Arbitrary<Piece[]> {
  const escapeOne = fc.nat({ max: name.length - 1 }).map((i) => {
    const code = name.charCodeAt(i).toString(16).padStart(4, '0');
    return ['"', name.slice(0, i), `\\u${code}`, name.slice(i + 1), '"'] as Piece[];
  });
  const altered = fc
    .constantFrom(
      name.toUpperCase(),
      `${name} `,
      ` ${name}`,
      `${name}\\u0000`,
      name.replace('__', '___'),
      name.replace('__', '_'),
      `${name}__x`,
      name.replace('e', '\u0435'), // Cyrillic e
      name.replace('__', '\\u005f\\u005f'),
      `x${name}`,
      name.split('__')[1]!,
      `__${name.split('__')[1]}`,
    )
    .map((n) => ['"', n, '"'] as Piece[]);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(['"', name, '"'] as Piece[]) },
    { weight: 2, arbitrary: escapeOne },
    { weight: 2, arbitrary: altered },
  );
}

const toolName = fc.constantFrom(...KNOWN_TOOLS).chain(nameVariants);
const anyName = fc.oneof({ weight: 5, arbitrary: toolName }, { weight: 1, arbitrary: rawString });

const oddNumber = fc.constantFrom(
  '0',
  '-0',
  '1',
  '1.0',
  '1e2',
  '1E+2',
  '-1.5e-3',
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '0.0000000000000000000000000001',
  '01',
  '1.',
  '.5',
  '+1',
  '0x10',
  'NaN',
  '9007199254740993',
);

/** Any JSON value, written out, nested up to depth levels (deeper than the filter's limit on purpose). */
function value(depth: number): fc.Arbitrary<Piece[]> {
  const leaf = fc.oneof(
    rawString,
    oddNumber.map((n) => [n] as Piece[]),
    fc.constantFrom(['true'], ['false'], ['null'], ['tru'], ['nul']) as fc.Arbitrary<Piece[]>,
  );
  if (depth <= 0) return leaf;
  const inner = value(depth - 1);
  const array = fc
    .array(inner, { maxLength: 3 })
    .map((vs) => ['[', ...vs.flatMap((v, i) => (i ? [',', ...v] : v)), ']']);
  const object = fc
    .array(fc.tuple(rawString, inner), { maxLength: 3 })
    .map((kvs) => ['{', ...kvs.flatMap(([k, v], i) => [...(i ? [','] : []), ...k, ':', ...v]), '}']);
  return fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 1, arbitrary: array }, { weight: 1, arbitrary: object });
}

/** A nest of depth n around a value: past the filter's maxDepth (64) when n is large. */
const deep = fc
  .integer({ min: 1, max: 90 })
  .map((n) => ['[', '['.repeat(n - 1), '1', ']'.repeat(n - 1), ']'] as Piece[]);

const huge = fc.constantFrom(64 * 1024, 300 * 1024).map((n) => ['"', 'x'.repeat(n), '"'] as Piece[]);

const argumentsValue = fc.oneof(
  { weight: 6, arbitrary: value(3) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.constant(null).chain(() => fc.oneof(huge, fc.constant(['{}'] as Piece[]))) },
);

const member = (key: Piece[], v: fc.Arbitrary<Piece[]>) =>
  fc.tuple(ws, v, ws).map(([a, val, b]) => [a, ...key, a, ':', b, ...val, b] as Piece[]);

const paramsObject = fc
  .tuple(
    member(['"name"'], anyName),
    rarely(member(['"name"'], anyName), 8), // a duplicate name
    usually(member(['"arguments"'], argumentsValue), 3),
    rarely(member(['"_meta"'], value(2)), 4),
    rarely(member(['"na\\u006de"'], anyName), 10), // the key itself escaped
    fc.boolean(),
  )
  .map(([name, dup, args, meta, escapedKey, reversed]) => {
    const members = [name, dup, args, meta, escapedKey].filter((m): m is Piece[] => m !== null);
    if (reversed) members.reverse();
    return ['{', ...members.flatMap((m, i) => (i ? [',', ...m] : m)), '}'] as Piece[];
  });

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constant(['"tools/call"'] as Piece[]) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '"tools\\/call"',
        '"tools\\u002fcall"',
        '"Tools/call"',
        '"tools/call "',
        '"tools/list"',
        '"initialize"',
        '"ping"',
        '"prompts/get"',
        '"notifications/initialized"',
        '""',
        '1',
        'null',
      )
      .map((m) => [m] as Piece[]),
  },
);

const id = fc.oneof(
  fc.integer().map((n) => [String(n)] as Piece[]),
  rawString,
  oddNumber.map((n) => [n] as Piece[]),
  fc.constantFrom(['null'], ['{}'], ['[]'], ['true']) as fc.Arbitrary<Piece[]>,
);

const jsonrpc = fc.constantFrom(['"2.0"'], ['"2.0"'], ['"2.0"'], ['"2.0 "'], ['2.0'], ['"1.0"']) as fc.Arbitrary<
  Piece[]
>;

/** A whole body: the members of a JSON-RPC request in any order, some doubled or missing, sometimes wrapped oddly. */
export const body: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    usually(member(['"jsonrpc"'], jsonrpc), 20),
    usually(member(['"id"'], id), 10),
    member(['"method"'], method),
    rarely(member(['"method"'], method), 12),
    usually(
      member(['"params"'], fc.oneof({ weight: 9, arbitrary: paramsObject }, { weight: 1, arbitrary: value(2) })),
      25,
    ),
    rarely(member(['"params"'], paramsObject), 15),
    fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6, maxLength: 6 }),
    fc.constantFrom('', '', '', '', '', '', '', '', '\ufeff', '[', ' '),
    fc.constantFrom('', '', '', '', '', '', '', '', ']', ' x', '\n', '}'),
  )
  .map(([rpc, theId, m, dupMethod, params, dupParams, order, before, after]) => {
    const slots = [rpc, theId, m, dupMethod, params, dupParams];
    const members = order.map((i) => slots[i]).filter((x): x is Piece[] => x !== null && x !== undefined);
    return join([before, '{', ...members.flatMap((mm, i) => (i ? [',', ...mm] : mm)), '}', after]);
  });

/** A well-formed request: JSON.stringify of a tools/call (or another method), its name written exactly or escaped. */
const cleanBody: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(fc.integer(), fc.string({ maxLength: 8 })),
    fc.constantFrom('tools/call', 'tools/call', 'tools/call', 'tools/list', 'initialize', 'ping'),
    fc.constantFrom(...KNOWN_TOOLS),
    fc.jsonValue({ maxDepth: 3 }),
    fc.nat({ max: 40 }),
  )
  .map(([theId, m, name, args, escapeAt]) => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: theId, method: m, params: { name, arguments: args } });
    if (escapeAt >= name.length) return join([text]);
    // Write one character of the name as a \u escape: the same string to every JSON parser.
    const code = name.charCodeAt(escapeAt).toString(16).padStart(4, '0');
    const escaped = `${name.slice(0, escapeAt)}\\u${code}${name.slice(escapeAt + 1)}`;
    return join([text.replace(`"${name}"`, `"${escaped}"`)]);
  });

/** Half well-formed requests, half the hostile mix above. */
export const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(cleanBody, body);
