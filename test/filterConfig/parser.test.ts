// filter/assembly/config.ts through the compiled harness: the examples parse and read back field by field, every
// invalid case is refused with its JSON path, and random mutations never trap and agree with the schema.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyCase, invalidCases } from './cases.js';
import { ConfigError, type ConfigHarness, compileConfigHarness, example, repoFile } from './harness.js';
import { MiniSchema } from './miniSchema.js';

let h: ConfigHarness;

beforeAll(async () => {
  h = await compileConfigHarness();
});

type Doc = Record<string, any>;

// The harness dump for a valid document: every field present, defaults filled in (as configTypes.ts sets them).
const expected = (d: Doc): Doc => {
  const identity = (d.identity ?? []).map((entry: Doc) => {
    const [kind, src] = Object.entries(entry)[0] as [string, Doc];
    return {
      kind,
      sanPrefix: src.sanPrefix ?? '',
      metadataKey: src.metadataKey ?? '',
      principalClaim: src.principalClaim ?? 'sub',
      groupsClaims: src.groupsClaims ?? ['groups'],
      scopeClaim: src.scopeClaim ?? 'scope',
      header: src.header ?? '',
      keys: (src.keys ?? []).map((k: Doc) => ({
        sha256: k.sha256,
        principal: k.principal,
        groups: k.groups ?? [],
        delegate: k.delegate ?? false,
      })),
      bearer: src.bearer ?? false,
    };
  });
  const bucket = (b: Doc) => ({ tool: b.tool ?? '', capacity: b.capacity, refillPerSecond: b.refillPerSecond });
  return {
    version: 1,
    mode: d.mode,
    control: d.control ?? '',
    services: d.services ?? [],
    identity,
    policy: d.policy
      ? {
          default: d.policy.default,
          rules: (d.policy.rules ?? []).map((r: Doc) => ({
            name: r.name ?? '',
            effect: r.effect,
            principals: r.principals ?? [],
            groups: r.groups ?? [],
            tools: r.tools ?? [],
            methods: r.methods ?? [],
            onDeny: r.onDeny ?? 'unknownTool',
            scope: r.scope ?? '',
          })),
        }
      : null,
    rateLimits: d.rateLimits
      ? {
          perPrincipal: d.rateLimits.perPrincipal ? bucket(d.rateLimits.perPrincipal) : null,
          perTool: (d.rateLimits.perTool ?? []).map(bucket),
        }
      : null,
    limits: { maxBodyBytes: 1048576, maxDepth: 64, ...d.limits },
    audit: { params: 'redact', logLevel: 'info', ...d.audit },
    acceptedPeers: d.acceptedPeers ?? [],
    protectedResourceMetadata: d.protectedResourceMetadata ?? '',
    hosts: d.hosts ?? [],
  };
};

describe('the examples', () => {
  it.each(['gateway', 'sidecar'] as const)('%s.json parses and reads back every field', (mode) => {
    const out = h.parse(repoFile(`filter/examples/${mode}.json`));
    expect(out.message).toBe('');
    expect(out.error).toBe(ConfigError.Ok);
    expect(out.config).toEqual(expected(example(mode)));
  });

  it('keeps the values the filter routes and decides on', () => {
    const c = h.parse(example('gateway')).config as Doc;
    expect(c.services[1]).toMatchObject({
      name: 'payment-service',
      port: 3000,
      tools: expect.arrayContaining(['refund_payment']),
    });
    expect(c.identity.map((s: Doc) => s.kind)).toEqual(['mtls', 'jwt', 'apiKey']);
    expect(c.policy.rules[1]).toMatchObject({ effect: 'deny', onDeny: 'forbidden', scope: 'payments:write' });
    expect(c.rateLimits.perTool[0].refillPerSecond).toBe(0.2);
  });

  it("reads an API key source's bearer flag (default false)", () => {
    const doc = example('gateway') as Doc;
    expect((h.parse(doc).config as Doc).identity[2].bearer).toBe(false);
    for (const bearer of [true, false]) {
      doc.identity[2].apiKey.bearer = bearer;
      expect((h.parse(doc).config as Doc).identity[2].bearer).toBe(bearer);
    }
  });

  it("reads an API key's delegate flag (default false)", () => {
    const doc = example('gateway') as Doc;
    expect((h.parse(doc).config as Doc).identity[2].keys[0].delegate).toBe(false);
    for (const delegate of [true, false]) {
      doc.identity[2].apiKey.keys[0].delegate = delegate;
      expect((h.parse(doc).config as Doc).identity[2].keys[0].delegate).toBe(delegate);
    }
  });

  it('reads the MCP hosts as given; absent, they read back empty (every host)', () => {
    const doc = example('gateway') as Doc;
    doc.hosts = ['mcp.example.com', '*.mcp.example.com', '127.0.0.1', 'localhost', '*'];
    expect((h.parse(doc).config as Doc).hosts).toEqual(doc.hosts);
    delete doc.hosts;
    expect((h.parse(doc).config as Doc).hosts).toEqual([]);
  });

  it('fills defaults for the optional parts', () => {
    const doc = example('sidecar');
    delete doc.limits;
    delete doc.audit;
    delete doc.services;
    const c = h.parse(doc).config as Doc;
    expect(c.limits).toEqual({ maxBodyBytes: 1048576, maxDepth: 64 });
    expect(c.audit).toEqual({ params: 'redact', logLevel: 'info' });
    expect(c.services).toEqual([]);
  });

  it('decodes escaped strings and accepts any key order and whitespace', () => {
    const doc = example('sidecar');
    const reordered = Object.fromEntries(Object.entries(doc).reverse());
    const text = JSON.stringify(reordered, null, '\t').replace('"payment-service"', '"payment\\u002dservice"');
    expect(h.parse(text).config).toEqual(expected(doc));
  });
});

describe('size', () => {
  const many = (n: number): Doc => {
    const doc = example('gateway') as Doc;
    doc.services = Array.from({ length: n }, (_, i) => ({
      name: `service-${i}`,
      namespace: 'production',
      host: `service-${i}-mcp.production.svc.cluster.local`,
      port: 3000,
      tools: Array.from({ length: 20 }, (_, t) => `tool_${t}`),
    }));
    return doc;
  };

  // How long this takes is a benchmark figure (filter_configure_ms_4096_services in bench/filter.ts), not a test.
  it('parses the largest routing table the schema allows', () => {
    const out = h.parse(many(4096));
    expect(out.error).toBe(ConfigError.Ok);
    expect((out.config as Doc).services).toHaveLength(4096);
  });

  it('refuses one service more', () => {
    expect(h.parse(many(4097)).message).toBe('services: more than 4096 items');
  });
});

describe('invalid documents', () => {
  it.each(invalidCases)('$name → $path', (c) => {
    const out = h.parse(applyCase(c));
    expect(out.message.startsWith(`${c.path}: `), out.message).toBe(true);
    expect(out.error).toBe(c.error);
    expect(out.config).toBeUndefined();
  });

  it.each([
    ['', ConfigError.Empty, 'document: empty'],
    ['  ', ConfigError.Empty, 'document: empty'],
    ['[]', ConfigError.WrongType, 'document: not an object'],
    ['"gateway"', ConfigError.WrongType, 'document: not an object'],
    ['{"version":1,', ConfigError.Syntax, 'document: invalid JSON at byte 13'],
    ['{"version":1}x', ConfigError.Syntax, 'document: invalid JSON at byte 13'],
    [`${'{"a":'.repeat(17)}1${'}'.repeat(17)}`, ConfigError.TooDeep, 'document: nested deeper than 16'],
    ['{"version":1,"version":1}', ConfigError.DuplicateKey, 'version: duplicate key'],
    ['{"mode":"gateway","mode":"sidecar"}', ConfigError.DuplicateKey, 'mode: duplicate key'],
    [
      '{"version":1,"mode":"sidecar","acceptedPeers":["spiffe://\\ud800"]}',
      ConfigError.BadUtf8,
      'acceptedPeers[0]: holds a lone surrogate',
    ],
    ['{"vers\\u0069on":1,"mode":"sidecar"}', ConfigError.Missing, 'acceptedPeers: required'],
  ])('%j is refused', (text, error, message) => {
    const out = h.parse(text);
    expect(out.message.startsWith(message), out.message).toBe(true);
    expect(out.error).toBe(error);
  });

  it('refuses invalid UTF-8 and oversized documents without reading them as config', () => {
    const bad = new TextEncoder().encode('{"version":1,"mode":"sidecar","acceptedPeers":["spiffe://x"]}');
    bad[52] = 0xff;
    expect(h.parse(bad).error).toBe(ConfigError.BadUtf8);
    expect(h.parse(new Uint8Array((8 << 20) + 1).fill(0x20)).error).toBe(ConfigError.TooLarge);
  });

  it('truncates an unknown key in the message', () => {
    const out = h.parse({ ...example('sidecar'), ['k'.repeat(500)]: 1 });
    expect(out.message).toBe(`["${'k'.repeat(64)}..."]: unknown key`);
  });

  it('writes an unusual key JSON-escaped in brackets', () => {
    const doc = example('gateway') as Doc;
    doc.services[0]['we"ird key\n'] = 1;
    expect(h.parse(doc).message).toBe('services[0]["we\\"ird key\\u000a"]: unknown key');
  });
});

// Every path to a value in doc, as property keys and array indexes.
const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] => {
  const out: (string | number)[][] = at.length ? [at] : [];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...paths(x, [...at, i]));
  } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
};

const parentOf = (doc: Doc, path: (string | number)[]): any => path.slice(0, -1).reduce((o: any, k) => o[k], doc);

const KEY = String.raw`\["(?:[^"\\]|\\.)*"\]`;
const MESSAGE = new RegExp(String.raw`^(document|[A-Za-z0-9_-]+|${KEY})(\[\d+\]|\.[A-Za-z0-9_-]+|${KEY})*: \S`);

const mutation = fc.record({
  mode: fc.constantFrom('gateway' as const, 'sidecar' as const),
  pick: fc.nat(),
  kind: fc.constantFrom('drop', 'retype', 'unknownKey', 'text'),
  value: fc.constantFrom<unknown>(0, -1, 1.5, 1e300, '', 'x', true, null, [], {}, ['x'], { a: 1 }),
  key: fc.string({ minLength: 1, maxLength: 12 }),
  text: fc.oneof(
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.constantFrom(
      'spiffe://x',
      'a-b',
      '-a',
      'x-meshmcp-a',
      'https://x',
      'f'.repeat(64),
      'F'.repeat(64),
      'a/*',
      'a b',
    ),
  ),
});

describe('mutations of the examples', () => {
  const validator = new MiniSchema(JSON.parse(repoFile('filter/config.schema.json')));

  it('never trap, refuse with a path, and agree with the schema (drop, retype, unknown key, new text)', () => {
    fc.assert(
      fc.property(mutation, ({ mode, pick, kind, value, key, text }) => {
        const doc = example(mode);
        const all = paths(doc);
        const path = all[pick % all.length]!;
        const parent = parentOf(doc, path);
        const last = path[path.length - 1]!;
        if (kind === 'drop') {
          if (Array.isArray(parent)) parent.splice(last as number, 1);
          else delete parent[last];
        } else if (kind === 'text') {
          if (typeof parent[last] !== 'string') return;
          parent[last] = text;
        } else if (kind === 'retype') {
          parent[last] = value;
        } else {
          const target = parent[last];
          const obj = target && typeof target === 'object' && !Array.isArray(target) ? target : doc;
          if (key in obj) return;
          obj[key] = value;
        }
        const out = h.parse(doc);
        const schemaProblem = validator.check(doc);
        if (out.error === ConfigError.Ok) {
          expect(schemaProblem, JSON.stringify(doc)).toBeUndefined();
          expect(out.config).toEqual(expected(doc));
        } else {
          expect(out.message).toMatch(MESSAGE);
          // Only the parser's cross-entry checks (duplicates, repeated sources) go beyond the schema.
          if (out.error !== ConfigError.Conflict) expect(schemaProblem, out.message).toBeDefined();
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('hosts entries', () => {
  const validator = new MiniSchema(JSON.parse(repoFile('filter/config.schema.json')));
  const entry = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'z', '0', '9', '-', '.', '*', 'A', ':', '_', ' '), maxLength: 12 }),
    fc.string({ maxLength: 6 }),
  );

  it('agree with the schema pattern on random strings, refused with their path', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 3 }), (hosts) => {
        const doc = { ...example('gateway'), hosts };
        const out = h.parse(doc);
        expect(out.error === ConfigError.Ok, `${JSON.stringify(hosts)}: ${out.message}`).toBe(
          validator.check(doc) === undefined,
        );
        if (out.error !== ConfigError.Ok) expect(out.message).toMatch(/^hosts(\[\d+\])?: /);
      }),
      { numRuns: 1000 },
    );
  });
});
