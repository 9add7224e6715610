// Bridge mode, a 2025-11-25 client in front of a 2026-07-28 server on the server's own endpoint, where no gateway
// names the client's capabilities: the session id the bridge hands out at initialize (`c1.<letters>.<32 hex>`)
// carries them. The SDK v2 client on 2025-11-25 with no x-meshmcp-client-capabilities (its requests recorded by its
// fetch), and raw fetch where a refusal matters.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerAsAUser, textOf } from '../support/bridgeClients.js';
import { type BridgeSidecar, startBridgeSidecar } from '../support/bridgeSidecar.js';
import { startSessionUpstream, startStatelessUpstream, type TestUpstream } from '../support/bridgeUpstreams.js';
import { rpcMessages } from '../support/rawRpc.js';

const SESSION_ID = /^c1\.(-|(?=[esr])(ef?u?)?(sc?t?)?(rl?)?)\.[0-9a-f]{32}$/;
const ANSWER_ID = /^b1\.[A-Za-z0-9_-]{1,64}\.[0-9a-f]{32}\..+$/;
const ENVELOPE_CAPS = 'io.modelcontextprotocol/clientCapabilities';

interface Sent {
  method: string;
  headers: Headers;
  body: any;
  status: number;
}

/** The SDK v2 client on 2025-11-25 declaring `capabilities`, every request it sends (and its status) recorded. */
async function legacyClient(url: string, capabilities: Record<string, unknown>) {
  const sent: Sent[] = [];
  const client = new Client(
    { name: 'legacy-client', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' }, capabilities },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      sent.push({
        method: init?.method ?? 'GET',
        headers: new Headers(init?.headers),
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
        status: res.status,
      });
      return res;
    },
  });
  await client.connect(transport);
  return { client, transport, sent };
}

/** One raw 2025-era request to the bridge. */
async function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      accept: 'application/json, text/event-stream',
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: rpcMessages(res.headers.get('content-type'), text).at(-1),
  };
}

const initialize = (capabilities: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'raw', version: '1' } },
});
const callTool = (name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name, arguments: args },
});

describe('a 2025-11-25 client of a 2026-07-28 server, its capabilities in the bridge’s session id', () => {
  let up: TestUpstream;
  let bridge: BridgeSidecar;
  const clients: Client[] = [];
  beforeAll(async () => {
    up = await startStatelessUpstream();
    bridge = await startBridgeSidecar(up.url, ['--bridge-protocols', '2026-07-28']);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    up.seen.length = 0;
  });
  afterAll(async () => {
    await bridge?.close();
    await up?.close();
  });
  const toolCalls = () => up.seen.filter((s) => (s.body as any)?.method === 'tools/call');

  it('hands out c1.<letters>.<32 hex> at initialize, and relays the server’s requests for input it declared', async () => {
    const asked: string[] = [];
    const { client, transport, sent } = await legacyClient(bridge.mcpUrl, { elicitation: {}, sampling: {} });
    clients.push(client);
    answerAsAUser(client, ['elicitation', 'sampling'], asked);
    const session = transport.sessionId!;
    expect(session).toMatch(/^c1\.es\.[0-9a-f]{32}$/);
    expect(client.getServerVersion()).toMatchObject({ name: 'stateless-upstream' });
    // No x-meshmcp-client-capabilities: the session id alone names the client's capabilities.
    expect(sent.every((s) => !s.headers.has('x-meshmcp-client-capabilities'))).toBe(true);

    expect(textOf(await client.callTool({ name: 'ask_name', arguments: {} }))).toBe('Hello, Ada!');
    expect(asked).toEqual(['What is your name?']);
    expect(textOf(await client.callTool({ name: 'ask_sampling', arguments: {} }))).toBe('Sampling said: Paris');
    expect(textOf(await client.callTool({ name: 'ask_twice', arguments: {} }))).toBe('Ada likes teal');
    expect(asked).toEqual(['What is your name?', 'Step 1: name?', 'Step 2: colour?']);
    // Every request to the server declared what the client declared at initialize, and only that.
    expect(toolCalls()).toHaveLength(7);
    for (const s of toolCalls()) {
      expect((s.body as any).params._meta[ENVELOPE_CAPS]).toEqual({ elicitation: {}, sampling: {} });
    }
    // The answers went back as POSTs of JSON-RPC responses, in the session, and were taken.
    const answers = sent.filter((s) => s.method === 'POST' && s.body?.method === undefined && 'result' in s.body);
    expect(answers).toHaveLength(4);
    for (const a of answers) {
      expect(a.body.id).toMatch(ANSWER_ID);
      expect(a.headers.get('mcp-session-id')).toBe(session);
      expect(a.status).toBe(202);
    }
    // The client's requests all carried the session id; its GET stream is not offered, its DELETE ends nothing.
    expect(
      sent.filter((s) => s.method === 'POST').every((s, i) => i === 0 || s.headers.get('mcp-session-id') === session),
    ).toBe(true);
    expect(sent.filter((s) => s.method === 'GET').map((s) => s.status)).toEqual([405]);
    await transport.terminateSession();
    expect(sent.filter((s) => s.method === 'DELETE').map((s) => [s.status, s.headers.get('mcp-session-id')])).toEqual([
      [200, session],
    ]);
    expect(bridge.held()).toBe(0);
  });

  it('asks a client nothing it did not declare: the server’s answer for a client that cannot be asked comes back', async () => {
    const { client, transport, sent } = await legacyClient(bridge.mcpUrl, {});
    clients.push(client);
    expect(transport.sessionId).toMatch(/^c1\.-\.[0-9a-f]{32}$/);
    await expect(client.callTool({ name: 'ask_name', arguments: {} })).rejects.toMatchObject({ code: -32021 });
    await expect(client.callTool({ name: 'ask_sampling', arguments: {} })).rejects.toMatchObject({ code: -32021 });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { msg: 'still here' } }))).toBe('still here');
    for (const s of toolCalls()) expect((s.body as any).params._meta[ENVELOPE_CAPS]).toEqual({});
    // No request reached the client: it never answered one.
    expect(sent.filter((s) => s.body !== undefined && s.body.method === undefined)).toEqual([]);
    expect(bridge.held()).toBe(0);

    // Roots alone: asked for roots, refused elicitation.
    const rooted = await legacyClient(bridge.mcpUrl, { roots: {} });
    clients.push(rooted.client);
    rooted.client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
    expect(rooted.transport.sessionId).toMatch(/^c1\.r\.[0-9a-f]{32}$/);
    expect(textOf(await rooted.client.callTool({ name: 'ask_roots', arguments: {} }))).toBe('Roots: file:///work');
    await expect(rooted.client.callTool({ name: 'ask_name', arguments: {} })).rejects.toMatchObject({ code: -32021 });
  });

  it('reads the capabilities from the session id before the gateway’s header, which still serves requests without one', async () => {
    const init = await raw(bridge.mcpUrl, {
      body: initialize({ elicitation: { form: {} } }),
      // The client's own declaration at initialize is what counts.
      headers: { 'x-meshmcp-client-capabilities': 'sampling,roots' },
    });
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id')!;
    expect(session).toMatch(/^c1\.ef\.[0-9a-f]{32}$/);
    expect(init.json.result.serverInfo).toMatchObject({ name: 'stateless-upstream' });
    expect((up.seen.at(-1)!.body as any).params._meta[ENVELOPE_CAPS]).toEqual({ elicitation: { form: {} } });

    const withBoth = await raw(bridge.mcpUrl, {
      body: callTool('echo', { msg: 'a' }),
      headers: { 'mcp-session-id': session, 'x-meshmcp-client-capabilities': 'sampling,roots,telepathy' },
    });
    expect(withBoth.json.result.content[0].text).toBe('a');
    expect((up.seen.at(-1)!.body as any).params._meta[ENVELOPE_CAPS]).toEqual({ elicitation: { form: {} } });

    // What the server may ask depends on the members too: a client that takes URL-mode elicitations and sampling
    // with tools is told to the server as one.
    const url = await raw(bridge.mcpUrl, { body: initialize({ elicitation: { url: {} }, sampling: { tools: {} } }) });
    const urlSession = url.headers.get('mcp-session-id')!;
    expect(urlSession).toMatch(/^c1\.eust\.[0-9a-f]{32}$/);
    await raw(bridge.mcpUrl, { body: callTool('echo', { msg: 'u' }), headers: { 'mcp-session-id': urlSession } });
    expect((up.seen.at(-1)!.body as any).params._meta[ENVELOPE_CAPS]).toEqual({
      elicitation: { url: {} },
      sampling: { tools: {} },
    });

    const headerOnly = await raw(bridge.mcpUrl, {
      body: callTool('echo', { msg: 'b' }),
      headers: { 'x-meshmcp-client-capabilities': 'sampling' },
    });
    expect(headerOnly.json.result.content[0].text).toBe('b');
    expect((up.seen.at(-1)!.body as any).params._meta[ENVELOPE_CAPS]).toEqual({ sampling: {} });

    // Any replica reads them back: an id this bridge never handed out, well formed, is as good.
    const other = `c1.esr.${'0'.repeat(32)}`;
    await raw(bridge.mcpUrl, { body: callTool('echo', { msg: 'c' }), headers: { 'mcp-session-id': other } });
    expect((up.seen.at(-1)!.body as any).params._meta[ENVELOPE_CAPS]).toEqual({
      elicitation: {},
      sampling: {},
      roots: {},
    });
    // A session id that is not the bridge's is not read (as before).
    await raw(bridge.mcpUrl, { body: callTool('echo', { msg: 'd' }), headers: { 'mcp-session-id': 'abc' } });
    expect((up.seen.at(-1)!.body as any).params._meta[ENVELOPE_CAPS]).toEqual({});
  });

  it('refuses a malformed c1. session id as an unknown session (404), on every method; initialize starts afresh', async () => {
    const hex = 'a'.repeat(32);
    const malformed = [
      'c1.',
      `c1..${hex}`,
      `c1.se.${hex}`,
      `c1.ee.${hex}`,
      `c1.x.${hex}`,
      `c1.-e.${hex}`,
      `c1.esr.${hex.slice(1)}`,
      `c1.esr.${hex.toUpperCase()}`,
      `c1.esr.${hex}.1`,
      `c1.esr.${hex}, c1.esr.${hex}`,
    ];
    for (const id of malformed) {
      const headers = { 'mcp-session-id': id };
      const requests = [
        { body: callTool('echo', { msg: 'x' }), headers },
        { body: { jsonrpc: '2.0', method: 'notifications/initialized' }, headers },
        { body: { jsonrpc: '2.0', id: 3, method: 'ping' }, headers },
        { body: { jsonrpc: '2.0', id: `b1.-.${hex}.k`, result: {} }, headers },
        { method: 'GET', headers },
        { method: 'DELETE', headers },
      ];
      for (const r of requests) {
        const res = await raw(bridge.mcpUrl, r);
        expect(res.status, `${r.method ?? 'POST'} ${id}`).toBe(404);
        expect(res.json).toEqual({
          jsonrpc: '2.0',
          id: null,
          error: {
            code: -32600,
            message: `Not Found: no session ${JSON.stringify(id)}: it is not a session id the bridge writes; initialize again`,
          },
        });
      }
    }
    expect(up.seen).toHaveLength(0);
    const fresh = await raw(bridge.mcpUrl, {
      body: initialize({ sampling: {} }),
      headers: { 'mcp-session-id': 'c1.bad' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('mcp-session-id')).toMatch(/^c1\.s\.[0-9a-f]{32}$/);
  });

  it('ends a session with 200 (nothing held), offers no GET stream (405), and hands out ids of every form', async () => {
    const session = `c1.-.${'b'.repeat(32)}`;
    const del = await raw(bridge.mcpUrl, { method: 'DELETE', headers: { 'mcp-session-id': session } });
    expect([del.status, del.text]).toEqual([200, '']);
    const get = await raw(bridge.mcpUrl, { method: 'GET', headers: { 'mcp-session-id': session } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    // Without a session id, DELETE is as before: nothing to end.
    expect((await raw(bridge.mcpUrl, { method: 'DELETE' })).status).toBe(405);
    // Letters in order, one per capability declared as an object, each followed by those of its members carried;
    // anything else is not a capability the bridge relays.
    const cases: [Record<string, unknown>, string][] = [
      [{}, '-'],
      [{ roots: { listChanged: true }, elicitation: {}, sampling: {} }, 'esrl'],
      [{ sampling: { tools: {} }, roots: {} }, 'str'],
      [{ elicitation: { form: {}, url: {} }, sampling: { context: {}, tools: {} } }, 'efusct'],
      [{ elicitation: true, sampling: null, experimental: {} }, '-'],
    ];
    for (const [capabilities, letters] of cases) {
      const id = (await raw(bridge.mcpUrl, { body: initialize(capabilities) })).headers.get('mcp-session-id')!;
      expect(id).toMatch(SESSION_ID);
      expect(id.split('.')[1]).toBe(letters);
    }
  });
});

describe('a session id on a server that speaks 2025-11-25', () => {
  it('is the server’s: a c1. id passes through untouched, to the server’s own answer', async () => {
    const up = await startSessionUpstream();
    const bridge = await startBridgeSidecar(up.url, ['--bridge-protocols', '2025-11-25,2026-07-28']);
    try {
      const id = 'c1.nonsense';
      const r = await raw(bridge.mcpUrl, {
        body: callTool('echo', { msg: 'x' }),
        headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
      });
      expect(r.status).toBe(404);
      expect(r.json.error.message).toBe('Session not found');
      expect(up.seen.at(-1)!.headers['mcp-session-id']).toBe(id);
      const init = await raw(bridge.mcpUrl, { body: initialize({ elicitation: {} }) });
      expect(init.headers.get('mcp-session-id')).not.toMatch(/^c1\./);
    } finally {
      await bridge.close();
      await up.close();
    }
  });
});
