// The bridge's pure parts: the handle contract with the gateway, the session ids it hands 2025-era clients, the SSE
// parser, the translation between the two
// revisions (properties with fast-check), and the table of held exchanges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimsClientSession, mintClientSession, parseClientSession } from '../../shared/clientSessions.js';
import { type Exchange, Exchanges } from '../../sidecar/bridge/exchanges.js';
import {
  affinityOf,
  answerId,
  claimsHandle,
  mintHandle,
  NO_AFFINITY,
  parseAnswerId,
  parseHandle,
} from '../../sidecar/bridge/handles.js';
import { SseParser, SseTooLarge, sseEvent } from '../../sidecar/bridge/sse.js';
import {
  capabilitiesFromHeader,
  discoverResult,
  headerValue,
  initializeResult,
  inputRequestOf,
  kindOf,
  modernHeaders,
  modernResult,
  sessionCapabilities,
  sessionRequestOf,
  sessionResult,
  withEnvelope,
  withoutEnvelope,
} from '../../sidecar/bridge/wire.js';
import { decodeHeaderValue } from '../../sidecar/mcp/classify.js';

const affinity = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const json = fc.jsonValue();
const plainKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !k.startsWith('io.modelcontextprotocol/'));

describe('handles (the contract with the gateway)', () => {
  it('are b1.<affinity>.<32 hex>, and give their affinity back', () => {
    fc.assert(
      fc.property(affinity, bytes16, (a, r) => {
        const h = mintHandle(a, r);
        expect(h).toBe(`b1.${a}.${Buffer.from(r).toString('hex')}`);
        expect(parseHandle(h)).toEqual({ affinity: a });
        expect(claimsHandle(h)).toBe(true);
      }),
    );
  });

  it('take the affinity header only when it is 1 to 64 of [A-Za-z0-9_-], else -', () => {
    fc.assert(
      fc.property(affinity, (a) => {
        expect(affinityOf(a)).toBe(a);
      }),
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s)),
        (s) => {
          expect(affinityOf(s)).toBe(NO_AFFINITY);
        },
      ),
    );
    expect(affinityOf(undefined)).toBe('-');
    expect(affinityOf(['a', 'b'])).toBe('-');
    expect(mintHandle('not valid!', new Uint8Array(16))).toBe(`b1.-.${'0'.repeat(32)}`);
    expect(() => mintHandle('a', new Uint8Array(8))).toThrow(RangeError);
  });

  it('answer ids are the handle, a dot and the key, for any key', () => {
    fc.assert(
      fc.property(affinity, bytes16, fc.string({ minLength: 1 }), (a, r, key) => {
        const h = mintHandle(a, r);
        expect(parseAnswerId(answerId(h, key))).toEqual({ handle: h, key });
      }),
    );
  });

  it('refuse what the bridge never writes', () => {
    for (const bad of [
      'b1',
      'b1.',
      'b1.-.',
      `b1.-.${'0'.repeat(31)}`,
      `b1.-.${'G'.repeat(32)}`,
      `b2.-.${'0'.repeat(32)}`,
    ]) {
      expect(parseHandle(bad)).toBeUndefined();
    }
    expect(parseHandle(`b1.a.b.${'0'.repeat(32)}`)).toBeUndefined();
    expect(parseAnswerId(`b1.-.${'0'.repeat(32)}`)).toBeUndefined();
    expect(parseAnswerId(`b1.-.${'0'.repeat(32)}.`)).toBeUndefined();
    expect(parseAnswerId(7)).toBeUndefined();
    expect(claimsHandle('v1.x')).toBe(false);
  });
});

describe('client session ids (the capabilities a 2025-era client declared)', () => {
  // What a 2025-11-25 client may declare: the carried members, and others that are not carried.
  const members = (...names: string[]) =>
    fc.record(Object.fromEntries(names.map((n) => [n, fc.constant({})])), { requiredKeys: [] });
  const declared = fc.record(
    {
      elicitation: fc.tuple(members('form', 'url'), members('experimental')).map(([a, b]) => ({ ...a, ...b })),
      sampling: members('context', 'tools'),
      roots: fc.option(fc.boolean(), { nil: undefined }).map((l) => (l === undefined ? {} : { listChanged: l })),
    },
    { requiredKeys: [] },
  );
  const spelled: Record<string, [string, [string, string][]]> = {
    elicitation: [
      'e',
      [
        ['form', 'f'],
        ['url', 'u'],
      ],
    ],
    sampling: [
      's',
      [
        ['context', 'c'],
        ['tools', 't'],
      ],
    ],
    roots: ['r', [['listChanged', 'l']]],
  };

  it('are c1.<capabilities in order, each with its members, or ->.<32 hex>, and give back what is carried', () => {
    fc.assert(
      fc.property(declared, bytes16, (caps, r) => {
        const id = mintClientSession(caps, r);
        let letters = '';
        const carried: Record<string, Record<string, unknown>> = {};
        for (const name of ['elicitation', 'sampling', 'roots']) {
          const cap = (caps as Record<string, Record<string, unknown> | undefined>)[name];
          if (cap === undefined) continue;
          const [letter, subs] = spelled[name]!;
          letters += letter;
          const got: Record<string, unknown> = {};
          for (const [member, sub] of subs) {
            if (member === 'listChanged' ? cap[member] === true : cap[member] !== undefined) {
              letters += sub;
              got[member] = member === 'listChanged' ? true : {};
            }
          }
          carried[name] = got;
        }
        expect(id).toBe(`c1.${letters || '-'}.${Buffer.from(r).toString('hex')}`);
        expect(claimsClientSession(id)).toBe(true);
        expect(parseClientSession(id)).toEqual(carried);
      }),
    );
    expect(mintClientSession(undefined, new Uint8Array(16))).toBe(`c1.-.${'0'.repeat(32)}`);
    expect(mintClientSession({ elicitation: true, roots: [], tasks: {} }, new Uint8Array(16))).toMatch(/^c1\.-\./);
    expect(mintClientSession({ elicitation: { url: {} }, sampling: {} }, new Uint8Array(16))).toMatch(/^c1\.eus\./);
    expect(() => mintClientSession({}, new Uint8Array(15))).toThrow(RangeError);
  });

  it('read an id without members as the bare capabilities', () => {
    const hex = '0'.repeat(32);
    expect(parseClientSession(`c1.esr.${hex}`)).toEqual({ elicitation: {}, sampling: {}, roots: {} });
    expect(parseClientSession(`c1.s.${hex}`)).toEqual({ sampling: {} });
  });

  it('refuse what the bridge never writes', () => {
    const hex = '0'.repeat(32);
    for (const bad of [
      'c1',
      'c1.',
      `c1..${hex}`,
      `c1.re.${hex}`,
      `c1.ss.${hex}`,
      `c1.-s.${hex}`,
      `c1.E.${hex}`,
      `c1.e.${hex.slice(1)}`,
      `c1.e.${'A'.repeat(32)}`,
      `c1.e.${hex}.`,
      `c1.uf.${hex}`,
      `c1.eue.${hex}`,
      `c1.et.${hex}`,
      `c1.f.${hex}`,
      `c1.ruf.${hex}`,
      `c1.rll.${hex}`,
      `c2.e.${hex}`,
      ` c1.e.${hex}`,
    ]) {
      expect(parseClientSession(bad), bad).toBeUndefined();
    }
    expect(parseClientSession(7)).toBeUndefined();
    expect(claimsClientSession(`c2.e.${hex}`)).toBe(false);
    expect(claimsClientSession(['c1.e'])).toBe(false);
  });
});

describe('the SSE parser', () => {
  const messages = fc.array(fc.dictionary(plainKey, json, { maxKeys: 4 }), { maxLength: 6 });

  it('reads the same messages however the stream is cut, with any line ends and comments between events', () => {
    fc.assert(
      fc.property(
        messages,
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 8 }),
        (ms, nl, cuts) => {
          const text = ms
            .map((m) => `: keepalive${nl}event: message${nl}id: 1${nl}data: ${JSON.stringify(m)}${nl}${nl}`)
            .join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const parser = new SseParser(1 << 20);
          const got: unknown[] = [];
          let from = 0;
          for (const p of [...points, text.length]) {
            for (const d of parser.push(text.slice(from, p))) got.push(JSON.parse(d));
            from = p;
          }
          for (const d of parser.end()) got.push(JSON.parse(d));
          // As JSON carries them (-0 is written 0; a __proto__ key is read back as an own member).
          expect(got).toEqual(ms.map((m) => JSON.parse(JSON.stringify(m))));
        },
      ),
    );
  });

  it('joins data lines, skips events of other types, and writes what it reads', () => {
    const p = new SseParser(1000);
    expect(p.push('data: {"a":\ndata: 1}\n\nevent: ping\ndata: x\n\ndata:{"b":2}\n\n')).toEqual([
      '{"a":\n1}',
      '{"b":2}',
    ]);
    const m = { jsonrpc: '2.0', method: 'x', params: { t: 'line\nbreak' } };
    expect(new SseParser(1000).push(sseEvent(m)).map((d) => JSON.parse(d))).toEqual([m]);
  });

  it('refuses an event larger than its bound, in one line or in many', () => {
    expect(() => new SseParser(10).push(`data: ${'x'.repeat(20)}`)).toThrow(SseTooLarge);
    expect(() => new SseParser(10).push('data: 123456\ndata: 123456\n')).toThrow(SseTooLarge);
  });
});

describe('translation between the revisions', () => {
  const envelopeKeys = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
    'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
  };
  const params = fc.dictionary(
    plainKey.filter((k) => k !== '_meta' && k !== 'inputResponses' && k !== 'requestState'),
    json,
    {
      maxKeys: 5,
    },
  );
  const meta = fc.dictionary(plainKey, json, { maxKeys: 3 });

  it('takes the envelope and the retry members off a request, and keeps the rest of _meta', () => {
    fc.assert(
      fc.property(params, meta, (p, m) => {
        const modern = { ...p, _meta: { ...m, ...envelopeKeys }, inputResponses: { a: {} }, requestState: 'b1.x' };
        expect(withoutEnvelope(modern)).toEqual(Object.keys(m).length > 0 ? { ...p, _meta: m } : p);
      }),
    );
  });

  it('adds the envelope to a request, which taking it off again undoes', () => {
    fc.assert(
      fc.property(params, meta, (p, m) => {
        const session = Object.keys(m).length > 0 ? { ...p, _meta: m } : p;
        const modern = withEnvelope(session, { sampling: {} }, { name: 'meshmcp-bridge', version: '1' });
        expect(modern['_meta']).toMatchObject({
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
        });
        expect(withoutEnvelope(modern)).toEqual(session);
      }),
    );
  });

  it('reads the capabilities header strictly', () => {
    expect(capabilitiesFromHeader(undefined)).toEqual({});
    expect(capabilitiesFromHeader('')).toEqual({});
    expect(capabilitiesFromHeader(' roots , sampling,')).toEqual({ roots: {}, sampling: {} });
    expect(capabilitiesFromHeader('elicitation,tasks')).toBe(
      'x-meshmcp-client-capabilities names "tasks"; it takes a comma list of elicitation, sampling, roots',
    );
    expect(
      sessionCapabilities({ elicitation: { form: {} }, roots: { listChanged: true }, tasks: {}, sampling: true }),
    ).toEqual({ elicitation: { form: {} }, roots: { listChanged: true } });
  });

  it('names the method and target in headers, Base64 where a value is not plain', () => {
    expect(modernHeaders('tools/call', { name: 'ask' })).toEqual({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'ask',
    });
    expect(modernHeaders('tools/list', {})).toEqual({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/list',
    });
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = headerValue(s);
        expect(v).toMatch(/^[\x20-\x7e\t]*$/);
        expect(decodeHeaderValue(v)).toBe(s);
      }),
    );
  });

  it('makes a session server’s result a 2026-07-28 one, and a 2026-07-28 result a 2025 one', () => {
    const info = { name: 's', version: '1' };
    expect(modernResult('tools/call', { content: [], _meta: { a: 1 } }, info)).toEqual({
      content: [],
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': info, a: 1 },
    });
    expect(modernResult('tools/list', { tools: [] })).toEqual({
      tools: [],
      ttlMs: 0,
      cacheScope: 'private',
      resultType: 'complete',
    });
    expect(modernResult('resources/read', { contents: [], ttlMs: 5, cacheScope: 'public' })).toMatchObject({
      ttlMs: 5,
      cacheScope: 'public',
    });
    expect(
      sessionResult({
        content: [],
        resultType: 'complete',
        _meta: { 'io.modelcontextprotocol/serverInfo': info, t: 1 },
      }),
    ).toEqual({ content: [], _meta: { t: 1 } });
    expect(
      sessionResult({ content: [], resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': info } }),
    ).toEqual({ content: [] });
  });

  it('carries server requests and input requests across, with a URL elicitation’s id as each revision wants it', () => {
    const url = { mode: 'url', message: 'Sign in', url: 'https://example.com/x', elicitationId: 'e1' };
    expect(inputRequestOf({ jsonrpc: '2.0', id: 3, method: 'elicitation/create', params: url })).toEqual({
      method: 'elicitation/create',
      params: { mode: 'url', message: 'Sign in', url: 'https://example.com/x' },
    });
    expect(inputRequestOf({ jsonrpc: '2.0', id: 4, method: 'roots/list' })).toEqual({ method: 'roots/list' });
    expect(
      sessionRequestOf(
        'b1.x.k',
        { method: 'elicitation/create', params: { mode: 'url', message: 'm', url: 'u' } },
        () => 'E',
      ),
    ).toEqual({
      jsonrpc: '2.0',
      id: 'b1.x.k',
      method: 'elicitation/create',
      params: { mode: 'url', message: 'm', url: 'u', elicitationId: 'E' },
    });
    expect(sessionRequestOf('i', { method: 'roots/list' }, () => 'E')).toEqual({
      jsonrpc: '2.0',
      id: 'i',
      method: 'roots/list',
    });
    expect(sessionRequestOf('i', { method: 'tools/call', params: {} }, () => 'E')).toBeUndefined();
    expect(sessionRequestOf('i', 'nonsense', () => 'E')).toBeUndefined();
  });

  it('answers server/discover from initialize, and initialize from server/discover', () => {
    const init = {
      protocolVersion: '2025-11-25',
      capabilities: { tools: {}, tasks: { list: {} }, resources: { subscribe: true, listChanged: true } },
      serverInfo: { name: 's', version: '2' },
      instructions: 'be nice',
    };
    expect(discoverResult(init)).toEqual({
      supportedVersions: ['2026-07-28'],
      capabilities: { tools: {}, resources: { listChanged: true } },
      instructions: 'be nice',
      ttlMs: 0,
      cacheScope: 'private',
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '2' } },
    });
    const fallback = { name: 'meshmcp-bridge', version: '0' };
    expect(initializeResult(discoverResult(init), '2025-06-18', fallback)).toEqual({
      protocolVersion: '2025-06-18',
      capabilities: { tools: {}, resources: { listChanged: true } },
      serverInfo: { name: 's', version: '2' },
      instructions: 'be nice',
    });
    expect(initializeResult({ capabilities: {} }, '1999-01-01', fallback)).toEqual({
      protocolVersion: '2025-11-25',
      capabilities: {},
      serverInfo: fallback,
    });
  });

  it('tells requests, notifications and responses apart', () => {
    expect(kindOf({ jsonrpc: '2.0', id: 1, method: 'x' })).toBe('request');
    expect(kindOf({ jsonrpc: '2.0', method: 'x' })).toBe('notification');
    expect(kindOf({ jsonrpc: '2.0', id: 'a', result: {} })).toBe('response');
    expect(kindOf({ jsonrpc: '2.0', id: 'a', error: { code: 1, message: 'm' } })).toBe('response');
    for (const bad of [
      null,
      [],
      { id: 1, method: 'x' },
      { jsonrpc: '2.0', id: null, method: 'x' },
      { jsonrpc: '2.0', id: 1 },
    ]) {
      expect(kindOf(bad)).toBe('invalid');
    }
  });
});

describe('the table of held exchanges', () => {
  class Held implements Exchange {
    ended: string[] = [];
    constructor(
      readonly principal: string | undefined,
      readonly affinity = 'a',
    ) {}
    end(reason: string) {
      this.ended.push(reason);
    }
  }
  let n = 0;
  const mint = (a: string) => mintHandle(a, Buffer.from(String(++n).padStart(16, '0')));

  it('admits up to its bound, hands out one handle at a time, and finds it only for its caller', () => {
    const t = new Exchanges<Held>(2, 60_000, mint);
    const [x, y, z] = [new Held('alice'), new Held(undefined), new Held('bob')];
    expect(t.admit(x)).toBe(true);
    expect(t.admit(y)).toBe(true);
    expect(t.admit(z)).toBe(false);
    expect(t.size).toBe(2);
    const h1 = t.handOut(x)!;
    expect(parseHandle(h1)).toEqual({ affinity: 'a' });
    expect(t.find(h1, 'alice')).toEqual({ exchange: x });
    expect(t.find(h1, 'bob')).toEqual({ problem: 'caller', exchange: x });
    expect(t.find(h1, undefined)).toMatchObject({ problem: 'caller' });
    const h2 = t.handOut(x)!;
    expect(t.find(h1, 'alice')).toEqual({ problem: 'unknown' });
    expect(t.find(h2, 'alice')).toEqual({ exchange: x });
    t.withdraw(x);
    expect(t.find(h2, 'alice')).toEqual({ problem: 'unknown' });
    expect(t.handOut(z)).toBeUndefined();
    expect(t.forget(x)).toBe(true);
    expect(t.forget(x)).toBe(false);
    expect(t.admit(z)).toBe(true);
    t.endAll('bye');
    expect([y.ended, z.ended, x.ended]).toEqual([['bye'], ['bye'], []]);
    expect(t.size).toBe(0);
  });

  it('ends an exchange held past its time, with the reason, and forgets it', async () => {
    const t = new Exchanges<Held>(4, 20, mint);
    const x = new Held('alice');
    t.admit(x);
    const h = t.handOut(x)!;
    await new Promise<void>((resolve) => {
      x.end = (reason) => {
        x.ended.push(reason);
        resolve();
      };
    });
    expect(x.ended).toEqual(['it was held for its limit of 20 ms (--bridge-hold-ms)']);
    expect(t.size).toBe(0);
    expect(t.find(h, 'alice')).toEqual({ problem: 'unknown' });
  });
});
