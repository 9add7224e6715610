// A server behind a bridge (a meshmcp sidecar in bridge mode in its pod, sidecar/README.md): every request the
// gateway routes to it carries a pod affinity in x-meshmcp-affinity, which the rendered DestinationRule hashes on. A
// bridge handle's affinity (a retry's requestState, the id of an answer to a relayed request) brings the second
// exchange to the pod that holds the first; a session's keeps a session on its pod; otherwise the gateway makes one,
// which the bridge writes into the handles it hands out. A 2026-07-28 request goes as sent (no session opened for it
// in the pod: the bridge holds it).
//
// First the gateway alone (the answers scripted), then the gateway and pod proxies in front of a real sidecar in
// bridge mode and an SDK v2 server that speaks only 2025-11-25, driven by the SDK v2 client on 2026-07-28.
import { createHash } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Front } from '../../filter/host/front.js';
import { type BridgeSidecar, startBridgeSidecar } from '../support/bridgeSidecar.js';
import { startSessionUpstream, startStatelessUpstream, type TestUpstream } from '../support/bridgeUpstreams.js';
import { modernRequest } from '../support/rawRpc.js';
import { ADA_KEY, adaAndBob, example, gateway, header, type Json, post, rpc, SESSION_KEY_A } from './harness.js';
import { type ProxyPair, startProxyPair } from './proxyPair.js';

const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
  'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
};

function config(bridged = true): Json {
  const c = example('gateway');
  c.services.push({
    name: 'tickets',
    namespace: 'tools',
    host: 'tickets-mcp.tools.svc.cluster.local',
    port: 3000,
    tools: ['ask_name'],
    upstream: { path: '/mcp', ...(bridged ? { bridged: true } : {}) },
  });
  c.policy.rules.unshift({ name: 'tickets', effect: 'allow', groups: ['sre'], tools: ['tickets__*'] });
  c.rateLimits = undefined;
  return adaAndBob(c);
}

const modern = (path: string, name: string) => ({
  'x-api-key': ADA_KEY,
  ':path': path,
  'mcp-protocol-version': MODERN,
  'mcp-method': 'tools/call',
  'mcp-name': name,
});
const ask = (name: string, extra: Json = {}) => rpc('tools/call', { name, arguments: {}, _meta: ENVELOPE, ...extra });

describe('the pod affinity of a server behind a bridge: the gateway', () => {
  it('gives a first request a new affinity, and sends a 2026-07-28 request as it came (no session opened)', async () => {
    const p = await gateway(config());
    const r = post(p, ask('tickets__ask_name'), {
      headers: { ...modern('/mcp', 'tickets__ask_name'), 'x-meshmcp-affinity': 'chosen-by-client' },
    });
    expect(r.localReply).toBeUndefined();
    // On /mcp the service goes along, for an answer to find its way back.
    expect(header(r, 'x-meshmcp-affinity')).toMatch(/^[0-9a-f]{16}_tickets$/);
    expect(header(r, 'x-meshmcp-upstream-session')).toBeUndefined();
    // The envelope as the client sent it (the gateway adds only the trace).
    expect(JSON.parse(Buffer.from(r.forwarded!.body).toString()).params._meta).toMatchObject(ENVELOPE);
  });

  it("takes a retry's affinity from its requestState, on /mcp and on /mcp/<service>", async () => {
    const p = await gateway(config());
    const state = `b1.0123456789abcdef.${'a'.repeat(32)}`;
    for (const [path, name] of [
      ['/mcp', 'tickets__ask_name'],
      ['/mcp/tickets', 'ask_name'],
    ] as const) {
      const r = post(p, ask(name, { requestState: state, inputResponses: { k: { action: 'decline' } } }), {
        headers: modern(path, name),
      });
      expect(header(r, 'x-meshmcp-affinity'), path).toBe('0123456789abcdef');
    }
  });

  it("takes an answer's affinity from its id, and a session's from the session id", async () => {
    const p = await gateway(config());
    const answer = post(
      p,
      JSON.stringify({ jsonrpc: '2.0', id: `b1.pod-7.${'b'.repeat(32)}.elicitation-1`, result: {} }),
      {
        headers: { 'x-api-key': ADA_KEY, ':path': '/mcp/tickets', 'mcp-protocol-version': '2025-11-25' },
      },
    );
    expect(header(answer, 'x-meshmcp-affinity')).toBe('pod-7');
    const session = 'c1.e.0123456789abcdef0123456789abcdef';
    const sha = createHash('sha256').update(session).digest('hex').slice(0, 16);
    for (let i = 0; i < 2; i++) {
      const r = post(p, rpc('tools/call', { name: 'ask_name', arguments: {} }), {
        headers: {
          'x-api-key': ADA_KEY,
          ':path': '/mcp/tickets',
          'mcp-protocol-version': '2025-11-25',
          'mcp-session-id': session,
        },
      });
      expect(header(r, 'x-meshmcp-affinity')).toBe(sha);
    }
  });

  it("sends a client's answer on /mcp to the bridged server its handle names; any other answer is not routed", async () => {
    const p = await gateway(config());
    const answer = (id: string) =>
      post(p, JSON.stringify({ jsonrpc: '2.0', id, result: { action: 'decline' } }), {
        headers: { 'x-api-key': ADA_KEY, ':path': '/mcp', 'mcp-protocol-version': '2025-11-25' },
      });
    const routed = answer(`b1.0123456789abcdef_tickets.${'c'.repeat(32)}.elicitation-1`);
    expect(routed.localReply).toBeUndefined();
    expect(header(routed, 'x-meshmcp-service')).toBe('tickets');
    expect(header(routed, 'x-meshmcp-affinity')).toBe('0123456789abcdef_tickets');
    for (const id of [
      `b1.0123456789abcdef_payment-service.${'c'.repeat(32)}.k`,
      `b1.0123456789abcdef.${'c'.repeat(32)}.k`,
    ]) {
      expect(answer(id).forwarded, id).toBeUndefined();
    }
    const plain = await gateway(config(false));
    const unbridged = post(
      plain,
      JSON.stringify({ jsonrpc: '2.0', id: `b1.0_tickets.${'c'.repeat(32)}.k`, result: {} }),
      {
        headers: { 'x-api-key': ADA_KEY, ':path': '/mcp', 'mcp-protocol-version': '2025-11-25' },
      },
    );
    expect(unbridged.forwarded).toBeUndefined();
  });

  it('sends a 2025-11-25 request on /mcp to a 2026-07-28 server behind a bridge as it came, with its session id', async () => {
    const p = await gateway(config());
    const c = config();
    c.services.find((s: Json) => s.name === 'tickets').upstream.stateless = true;
    const q = await gateway(c);
    for (const [plugin, mark] of [
      [p, 'call'],
      [q, undefined],
    ] as const) {
      const r = post(plugin, rpc('tools/call', { name: 'tickets__ask_name', arguments: {} }), {
        headers: {
          'x-api-key': ADA_KEY,
          ':path': '/mcp',
          'mcp-protocol-version': '2025-11-25',
          'mcp-session-id': 'c1.es.0123456789abcdef0123456789abcdef',
        },
      });
      expect(header(r, 'x-meshmcp-upstream-session')).toBe(mark);
      const sent = JSON.parse(Buffer.from(r.forwarded!.body).toString());
      // Only the trace is added: no 2026-07-28 envelope.
      expect(Object.keys(sent.params._meta ?? {})).toEqual(['traceparent']);
      expect(header(r, 'mcp-protocol-version')).toBe('2025-11-25');
      if (mark === undefined) expect(header(r, 'mcp-session-id')).toBe('c1.es.0123456789abcdef0123456789abcdef');
    }
  });

  it('still opens a session per call for a 2025-11-25 request on /mcp, and gives no affinity without a bridge', async () => {
    const bridged = await gateway(config());
    const legacy = post(bridged, rpc('tools/call', { name: 'tickets__ask_name', arguments: {} }), {
      headers: { 'x-api-key': ADA_KEY, ':path': '/mcp', 'mcp-protocol-version': '2025-11-25' },
    });
    expect(header(legacy, 'x-meshmcp-upstream-session')).toBe('call');
    expect(header(legacy, 'x-meshmcp-affinity')).toMatch(/^[0-9a-f]{16}_tickets$/);
    const plain = await gateway(config(false));
    const r = post(plain, ask('tickets__ask_name'), { headers: modern('/mcp', 'tickets__ask_name') });
    expect(header(r, 'x-meshmcp-affinity')).toBeUndefined();
    expect(header(r, 'x-meshmcp-upstream-session')).toBe('call');
  });
});

// ---- the gateway and pod proxies, a sidecar in bridge mode, a 2025-11-25 server ----

let upstream: TestUpstream;
let bridge: BridgeSidecar;
let proxies: ProxyPair;
let gw: Front;

beforeAll(async () => {
  upstream = await startSessionUpstream();
  bridge = await startBridgeSidecar(upstream.url, ['--bridge-protocols', '2025-11-25']);
  const port = Number(new URL(bridge.mcpUrl).port);
  const entry = {
    name: 'tickets',
    namespace: 'tools',
    host: '127.0.0.1',
    port,
    tools: ['ask_name', 'ask_twice', 'echo'],
    upstream: { path: '/mcp', bridged: true },
  };
  proxies = await startProxyPair(entry, config());
  gw = proxies.gateway;
});

afterAll(async () => {
  await proxies?.close();
  await bridge?.close();
  await upstream?.close();
});

/** A raw 2026-07-28 tools/call through the gateway, declaring elicitation: its answer (JSON or SSE). */
async function raw(path: string, name: string, params: Json = {}): Promise<Json> {
  const { body } = await modernRequest(
    `${gw.url}${path}`,
    'tools/call',
    { name, arguments: {}, ...params },
    {
      name,
      capabilities: { elicitation: {} },
      headers: { 'x-api-key': ADA_KEY },
    },
  );
  return body ?? {};
}

describe('a 2025-11-25 server behind a bridge, through the gateway and its pod proxy', () => {
  it("gives a 2026-07-28 client the server's elicitation as input_required, and its retry the result (/mcp)", async () => {
    const first = await raw('/mcp', 'tickets__ask_name');
    expect(first.result?.resultType, JSON.stringify(first)).toBe('input_required');
    const state = first.result.requestState as string;
    // The bridge wrote the gateway's affinity into the handle.
    expect(state).toMatch(/^b1\.[0-9a-f]{16}_tickets\.[0-9a-f]{32}$/);
    const [key] = Object.keys(first.result.inputRequests);
    expect(first.result.inputRequests[key!].method).toBe('elicitation/create');
    const done = await raw('/mcp', 'tickets__ask_name', {
      requestState: state,
      inputResponses: { [key!]: { action: 'accept', content: { name: 'Ada' } } },
    });
    expect(done.result?.resultType, JSON.stringify(done)).toBe('complete');
    expect(JSON.stringify(done.result.content)).toContain('Ada');
    // The session the bridge held for the exchange is ended.
    for (let i = 0; i < 200 && upstream.openSessions() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.openSessions()).toBe(0);
  });

  it('serves the SDK v2 client on 2026-07-28 on /mcp/<service>: two rounds of elicitation, retried on its own', async () => {
    const client = new Client(
      { name: 'bridge-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: {} } },
    );
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (r) => {
      asked.push(r.params.message);
      const props = Object.keys(
        (r.params as { requestedSchema?: { properties?: object } }).requestedSchema?.properties ?? {},
      );
      return {
        action: 'accept',
        content: (props.includes('colour') ? { colour: 'teal' } : { name: 'Ada' }) as Record<string, string>,
      };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/tickets`), {
        requestInit: { headers: { 'x-api-key': ADA_KEY } },
      }),
    );
    try {
      const r = await client.callTool({ name: 'ask_twice', arguments: {} });
      expect(asked.length).toBe(2);
      expect(JSON.stringify(r.content)).toMatch(/Ada/);
      expect(JSON.stringify(r.content)).toMatch(/teal/);
    } finally {
      await client.close();
    }
  });
});

describe('a 2026-07-28 server behind a bridge, through the gateway and its pod proxy', () => {
  let server: TestUpstream;
  let sidecar: BridgeSidecar;
  let pair: ProxyPair;
  beforeAll(async () => {
    server = await startStatelessUpstream();
    sidecar = await startBridgeSidecar(server.url, ['--bridge-protocols', '2026-07-28']);
    const entry = {
      name: 'tickets',
      namespace: 'tools',
      host: '127.0.0.1',
      port: Number(new URL(sidecar.mcpUrl).port),
      tools: ['ask_name', 'ask_sampling'],
      upstream: { path: '/mcp', stateless: true, bridged: true },
    };
    pair = await startProxyPair(entry, config(), { MESHMCP_SESSION_KEYS: SESSION_KEY_A });
  });
  afterAll(async () => {
    await pair?.close();
    await sidecar?.close();
    await server?.close();
  });

  it('asks a 2025-11-25 client on /mcp too, by the session id the control service gave it; its answer finds the bridge', async () => {
    // The control service's id for a client that declared elicitation and sampling (control/mcp/clientSession.ts).
    const session = 'c1.es.0123456789abcdef0123456789abcdef';
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      'mcp-session-id': session,
      'x-api-key': ADA_KEY,
    };
    const res = await fetch(`${pair.gateway.url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'tickets__ask_name', arguments: {} },
      }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const messages: Json[] = [];
    let buffered = '';
    const next = async (): Promise<Json> => {
      for (;;) {
        const m = /^data: (.*)$/m.exec(buffered);
        if (m) {
          buffered = buffered.slice(m.index + m[0].length);
          messages.push(JSON.parse(m[1]!));
          return messages.at(-1)!;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended after ${JSON.stringify(messages)}`);
        buffered += Buffer.from(value).toString();
      }
    };
    const asked = await next();
    expect(asked.method).toBe('elicitation/create');
    expect(asked.id).toMatch(/^b1\.[0-9a-f]{16}_tickets\.[0-9a-f]{32}\./);
    const answered = await fetch(`${pair.gateway.url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: asked.id, result: { action: 'accept', content: { name: 'Ada' } } }),
    });
    expect(answered.status).toBe(202);
    let final = await next();
    while (final.id !== 7) final = await next();
    expect(JSON.stringify(final.result?.content), JSON.stringify(final)).toContain('Ada');
  });

  it("asks a 2025-11-25 client on /mcp/<service> the server's input requests, on the session it sealed", async () => {
    const client = new Client(
      { name: 'bridge-legacy', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' }, capabilities: { elicitation: {}, sampling: {} } },
    );
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (r) => {
      asked.push(r.params.message);
      return { action: 'accept', content: { name: 'Ada' } };
    });
    client.setRequestHandler('sampling/createMessage', async () => {
      asked.push('sampling');
      return { role: 'assistant', model: 'm', content: { type: 'text', text: 'Paris' } };
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${pair.gateway.url}/mcp/tickets`), {
      requestInit: { headers: { 'x-api-key': ADA_KEY } },
    });
    await client.connect(transport);
    try {
      // The bridge's session id, carrying the capabilities, reaches the client sealed for it by the gateway.
      expect(transport.sessionId).toMatch(/^m1\.[0-9a-f]+\.c1\.es\.[0-9a-f]{32}$/);
      const named = await client.callTool({ name: 'ask_name', arguments: {} });
      expect(JSON.stringify(named.content)).toContain('Ada');
      const sampled = await client.callTool({ name: 'ask_sampling', arguments: {} });
      expect(JSON.stringify(sampled.content)).toContain('Paris');
      expect(asked).toEqual(['What is your name?', 'sampling']);
    } finally {
      await client.close();
    }
  });
});
