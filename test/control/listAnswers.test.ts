// The list methods' fast path (control/mcp/listAnswers.ts) against the SDK's own answer: two control services with
// the same catalog, policy and clock, one answering plain list requests from page text and one sending every request
// through the SDK (listAnswers: false), asked the same raw requests in both revisions, must answer the same bytes;
// and the real SDK client lists the same through either.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCatalog, type CatalogInput } from '../../control/catalog/catalog.js';
import type { McpEndpointOptions } from '../../control/mcp/endpoint.js';
import { TextCache } from '../../control/mcp/viewCache.js';
import type { Catalog, DiscoveredService, GatewayPolicy } from '../../control/types.js';
import { connectAs, type Era, type RunningControl, startControl } from './support/controlApp.js';

const NOW = Date.parse('2026-09-01T12:00:00Z');
const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

let controls: RunningControl[] = [];
afterEach(async () => {
  await Promise.all(controls.map((c) => c.close()));
  controls = [];
});

function discovered(name: string, namespace = 'tools'): DiscoveredService {
  return {
    name,
    namespace,
    host: `${name}.${namespace}.svc.cluster.local`,
    port: 3000,
    url: `http://${name}.${namespace}.svc.cluster.local:3000/mcp`,
    ready: true,
    selector: { app: name },
    upstream: { path: '/mcp', protocols: ['2025-11-25', MODERN] },
  };
}

const collected = { healthy: true, consecutiveFailures: 0, lastSuccess: new Date(NOW - 10_000).toISOString() };

/** Tools with every member the catalog keeps, and text JSON must escape. */
function tools(prefix: string, n: number): NonNullable<CatalogInput['tools']> {
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}_${String(i).padStart(2, '0')}`,
    ...(i % 3 === 0 ? { title: `Tool ${i} « quoted "${prefix}" »` } : {}),
    description: `line one\nline two\ttab \\ backslash \u2028 sep ${'é'.repeat(i % 4)} 🚀`,
    inputSchema: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z]+$' } }, required: ['id'] },
    ...(i % 4 === 1 ? { outputSchema: { type: 'object', properties: { ok: { type: 'boolean' } } } } : {}),
    ...(i % 5 === 2 ? { annotations: { readOnlyHint: true, title: 'ro' } } : {}),
    ...(i === 3 ? { sessionOnly: true } : {}),
  }));
}

function catalog(extra: CatalogInput[] = []): Catalog {
  return buildCatalog([
    {
      service: discovered('alpha'),
      tools: tools('get', 9),
      health: collected,
      cacheHints: { tools: { ttlMs: 60_000, cacheScope: 'public' }, prompts: { ttlMs: 20_000, cacheScope: 'private' } },
      offerings: {
        prompts: [
          { name: 'simple', description: 'a "simple" prompt' },
          { name: 'with_args', arguments: [{ name: 'city', required: true }] },
        ],
        resources: [
          { uri: 'test://static-text', name: 'static text', mimeType: 'text/plain' },
          { uri: 'test://private/notes', name: 'notes' },
        ],
        resourceTemplates: [{ uriTemplate: 'test://template/{id}/data', name: 'template' }],
      },
    },
    {
      service: discovered('beta', 'other'),
      tools: tools('list', 7),
      health: collected,
      offerings: { prompts: [{ name: 'args-prompt', arguments: [{ name: 'day' }] }] },
    },
    ...extra,
  ]).catalog;
}

const POLICY: GatewayPolicy['policy'] = {
  default: 'deny',
  rules: [
    { name: 'no-private', effect: 'deny', groups: ['readonly'], tools: ['meshmcp://alpha/test://private/*'] },
    { name: 'ro', effect: 'allow', groups: ['readonly'], tools: ['*__get_*', 'meshmcp://*', '*__simple'] },
    { name: 'sre', effect: 'allow', groups: ['sre'] },
    { name: 'pack', effect: 'allow', groups: ['pack'], tools: ['alpha__*'] },
    {
      name: 'lists',
      effect: 'allow',
      principals: ['*'],
      methods: ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'],
    },
  ],
};

/** The fast path and the SDK alone, with the same catalog, policy, clock and next scheduled round. */
async function pair(
  cat: Catalog,
  opts: Partial<McpEndpointOptions> = {},
): Promise<{ fast: RunningControl; sdk: RunningControl }> {
  const start = async (listAnswers: boolean) => {
    const c = await startControl(POLICY, { pageSize: 4, clock: () => NOW, ...opts, listAnswers });
    controls.push(c);
    c.endpoint.setCatalog(cat);
    c.endpoint.collected(cat, NOW + 30_000);
    return c;
  };
  return { fast: await start(true), sdk: await start(false) };
}

const CALLERS: Record<string, Record<string, string>> = {
  sre: { 'x-meshmcp-principal': 'alice', 'x-meshmcp-groups': 'sre' },
  readonly: { 'x-meshmcp-principal': 'bob', 'x-meshmcp-groups': 'readonly' },
  viaPack: {
    'x-meshmcp-principal': 'alice',
    'x-meshmcp-groups': 'sre',
    'x-meshmcp-via': 'pack-key',
    'x-meshmcp-via-groups': 'pack',
  },
  nobody: { 'x-meshmcp-principal': 'mallory' },
};

const METHODS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'] as const;
const MEMBER: Record<(typeof METHODS)[number], string> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

interface Ask {
  path?: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A plain list request as each revision's clients send it. */
function listRequest(era: Era, method: string, id: unknown, cursor?: string): Ask {
  if (era === '2025-11-25') {
    return {
      headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': era },
      body: { jsonrpc: '2.0', id, method, ...(cursor !== undefined ? { params: { cursor } } : {}) },
    };
  }
  return {
    headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method },
    body: { jsonrpc: '2.0', id, method, params: { ...(cursor !== undefined ? { cursor } : {}), _meta: ENVELOPE } },
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

async function ask(control: RunningControl, caller: Record<string, string>, a: Ask): Promise<Answer> {
  const res = await fetch(control.url + (a.path ?? ''), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...caller, ...a.headers },
    body: typeof a.body === 'string' ? a.body : JSON.stringify(a.body),
  });
  const headers = Object.fromEntries(
    ['content-type', 'cache-control', 'x-accel-buffering'].map((h) => [h, res.headers.get(h)]),
  );
  return { status: res.status, headers, body: await res.text() };
}

/** The JSON-RPC message in an answer (the one SSE event of a 2025-11-25 answer). */
function messageOf(a: Answer): { result?: Record<string, unknown>; error?: { code: number; message: string } } {
  const text =
    a.headers['content-type'] === 'text/event-stream' ? a.body.replace(/^event: message\ndata: /, '') : a.body;
  return JSON.parse(text);
}

/** Asks both; expects the same answer, and returns it with whether the fast path gave it. */
async function same(
  pairOf: { fast: RunningControl; sdk: RunningControl },
  caller: Record<string, string>,
  a: Ask,
): Promise<{ answer: Answer; fast: boolean }> {
  const spy = vi.spyOn(pairOf.fast.endpoint.lists!, 'answer');
  try {
    const sdk = await ask(pairOf.sdk, caller, a);
    const fast = await ask(pairOf.fast, caller, a);
    expect(fast, JSON.stringify(a)).toEqual(sdk);
    return { answer: fast, fast: spy.mock.results.some((r) => r.value !== undefined) };
  } finally {
    spy.mockRestore();
  }
}

describe.each(['2025-11-25', MODERN] as Era[])('list answers (%s)', (era) => {
  it('are the bytes the SDK answers: every page of every list, per caller, on /mcp and /mcp/<service>', async () => {
    const p = await pair(catalog());
    let pages = 0;
    for (const caller of Object.values(CALLERS)) {
      for (const path of ['', '/alpha', '/beta', '/nosuch']) {
        for (const method of METHODS) {
          let cursor: string | undefined;
          let id = 0;
          do {
            const { answer, fast } = await same(p, caller, { ...listRequest(era, method, id++, cursor), path });
            expect(answer.status).toBe(200);
            expect(fast).toBe(true);
            const { result } = messageOf(answer);
            expect(result?.[MEMBER[method]]).toBeInstanceOf(Array);
            cursor = result?.['nextCursor'] as string | undefined;
            pages++;
          } while (cursor !== undefined);
        }
      }
    }
    expect(pages).toBeGreaterThan(4 * 4 * 4);
  });

  it('echo any id as the SDK does, and carry the hints of the moment', async () => {
    const p = await pair(catalog());
    for (const id of [0, -7, 2 ** 53 - 1, 'a', '', 'quote " and \\ and é and \u2028', 'x'.repeat(300)]) {
      const { fast } = await same(p, CALLERS.sre!, listRequest(era, 'tools/list', id));
      expect(fast).toBe(true);
    }
    const { answer } = await same(p, CALLERS.sre!, listRequest(era, 'prompts/list', 1));
    const result = messageOf(answer).result!;
    if (era === MODERN) expect(result).toMatchObject({ ttlMs: 10_000, cacheScope: 'private', resultType: 'complete' });
    else expect(Object.keys(result)).toEqual(['prompts']);
  });

  it('refuse a cursor as the SDK does: not issued, stale, out of range', async () => {
    const p = await pair(catalog());
    const stale = Buffer.from(`v1.${'0'.repeat(24)}.4`).toString('base64url');
    const first = messageOf((await same(p, CALLERS.sre!, listRequest(era, 'tools/list', 1))).answer).result!;
    const version = Buffer.from(first['nextCursor'] as string, 'base64url')
      .toString()
      .split('.')[1];
    const outOfRange = Buffer.from(`v1.${version}.999`).toString('base64url');
    for (const cursor of ['bm90LWEtY3Vyc29y', '', 'not base64!', stale, outOfRange, 'x'.repeat(100)]) {
      const { answer } = await same(p, CALLERS.sre!, listRequest(era, 'tools/list', 2, cursor));
      expect(messageOf(answer).error?.code).toBe(-32602);
    }
  });

  it('leave every other request to the SDK, which answers it as before', async () => {
    const p = await pair(catalog());
    const plain = listRequest(era, 'tools/list', 1);
    const body = plain.body as Record<string, unknown>;
    const params = (body['params'] ?? {}) as Record<string, unknown>;
    const { ['mcp-protocol-version']: _version, ...noVersion } = plain.headers;
    const legacy = era === '2025-11-25';
    // What 2025-11-25 serving does not read (the version header is optional, Mcp-Method is not looked at) and
    // 2026-07-28 does not check (Accept) is a plain request still.
    const plainToo: Ask[] = [
      { ...plain, headers: { ...plain.headers, accept: 'application/json' } },
      { ...plain, headers: noVersion },
      { ...plain, headers: { ...plain.headers, 'mcp-method': 'prompts/list' } },
      { ...plain, headers: { ...plain.headers, 'content-type': 'application/json; charset=utf-8' } },
    ];
    const expected = legacy ? [false, true, true, true] : [true, false, false, true];
    for (const [i, a] of plainToo.entries()) {
      const { fast } = await same(p, CALLERS.sre!, a);
      expect(fast, JSON.stringify(a)).toBe(expected[i]);
    }
    const others: Ask[] = [
      { ...plain, body: { ...body, extra: true } },
      { ...plain, body: { ...body, params: { ...params, other: 1 } } },
      { ...plain, body: { ...body, params: { ...params, _meta: { ...(params['_meta'] ?? {}), progressToken: 1 } } } },
      { ...plain, body: { ...body, params: { ...params, cursor: 5 } } },
      { ...plain, body: { ...body, id: 1.5 } },
      { ...plain, body: { ...body, id: null } },
      { ...plain, body: { ...body, jsonrpc: '1.0' } },
      { ...plain, body: [body] },
      { ...plain, body: `\ufeff${JSON.stringify(body)}` },
      { ...plain, body: '{"jsonrpc":' },
      { ...plain, body: { ...body, method: 'tools/call', params: { ...params, name: 'alpha__get_00' } } },
      { ...plain, headers: { ...plain.headers, 'mcp-protocol-version': '1999-01-01' } },
      { ...plain, headers: { ...plain.headers, 'mcp-protocol-version': legacy ? MODERN : '2025-11-25' } },
    ];
    for (const a of others) {
      const { fast } = await same(p, CALLERS.sre!, a);
      expect(fast, JSON.stringify(a)).toBe(false);
    }
  });

  it('leave a list with an item the SDK rewrites for a revision to the SDK', async () => {
    const wrapped: CatalogInput = {
      service: discovered('gamma'),
      tools: [{ name: 'rows', inputSchema: { type: 'object' }, outputSchema: { type: 'array', items: {} } }],
      health: collected,
    };
    const p = await pair(catalog([wrapped]));
    expect((await same(p, CALLERS.sre!, listRequest(era, 'tools/list', 1))).fast).toBe(false);
    expect((await same(p, CALLERS.sre!, listRequest(era, 'prompts/list', 1))).fast).toBe(true);
  });

  it('send the new catalog text, not a page made for the last one with the same version', async () => {
    const p = await pair(catalog(), { pageTextBytes: 1 << 20 });
    const before = await same(p, CALLERS.sre!, listRequest(era, 'tools/list', 1));
    // The same tools with their members in another order: the same content version, other bytes.
    const reordered = catalog();
    for (const s of reordered.services) {
      s.tools = s.tools.map((t) => Object.fromEntries(Object.entries(t).reverse()) as typeof t);
    }
    for (const c of [p.fast, p.sdk]) c.endpoint.setCatalog(reordered);
    const { answer, fast } = await same(p, CALLERS.sre!, listRequest(era, 'tools/list', 1));
    expect(fast).toBe(true);
    expect(answer.body).not.toBe(before.answer.body);
  });

  it('list the same through the real SDK client', async () => {
    const p = await pair(catalog(), { pageTextBytes: 1 });
    const spy = vi.spyOn(p.fast.endpoint.lists!, 'answer');
    const listed = async (c: RunningControl, path = '') => {
      const client = await connectAs(c.url + path, era, 'bob', ['readonly']);
      try {
        return {
          tools: await client.listTools(),
          prompts: await client.listPrompts(),
          resources: await client.listResources(),
          templates: await client.listResourceTemplates(),
        };
      } finally {
        await client.close();
      }
    };
    for (const path of ['', '/alpha']) {
      const viaFast = await listed(p.fast, path);
      expect(viaFast).toEqual(await listed(p.sdk, path));
      expect(viaFast.tools.tools.length).toBeGreaterThan(0);
    }
    expect(spy.mock.results.filter((r) => r.value !== undefined).length).toBeGreaterThanOrEqual(8);
  });
});

describe('TextCache', () => {
  it('keeps texts within its bytes, least recently used out first, and never one larger than all of them', () => {
    const cache = new TextCache(10);
    const made: string[] = [];
    const get = (k: string, n: number) =>
      cache.get(k, () => {
        made.push(k);
        return Buffer.alloc(n);
      });
    get('a', 4);
    get('b', 4);
    get('a', 4);
    get('c', 4); // 12 bytes: b, the least recently used, goes
    get('a', 4);
    get('b', 4);
    get('big', 11);
    get('big', 11);
    expect(made).toEqual(['a', 'b', 'c', 'b', 'big', 'big']);
    cache.clear();
    get('a', 4);
    expect(made.at(-1)).toBe('a');
  });
});
