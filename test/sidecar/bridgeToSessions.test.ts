// Bridge mode, a 2026-07-28 client in front of a 2025-11-25 server with sessions: real parts on loopback (the SDK v2
// server in test/support/bridgeUpstreams.ts, a sidecar in bridge mode, the SDK v2 client pinned to 2026-07-28, and
// raw fetch where the exact bytes or a refusal matter).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerAsAUser, textOf } from '../support/bridgeClients.js';
import { type BridgeSidecar, startBridgeSidecar } from '../support/bridgeSidecar.js';
import { startSessionUpstream, type TestUpstream } from '../support/bridgeUpstreams.js';
import { rpcMessages } from '../support/rawRpc.js';

const CAPS = { elicitation: {}, sampling: {}, roots: {} };
const envelope = (caps: Record<string, unknown> = CAPS, extra: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': caps,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-client', version: '1' },
  ...extra,
});
const HANDLE = /^b1\.([A-Za-z0-9_-]{1,64})\.[0-9a-f]{32}$/;

interface Raw {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One raw 2026-07-28 tools/call. */
async function call(
  url: string,
  name: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  id: number | string = 1,
): Promise<Raw> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: {}, _meta: envelope(), ...params },
    }),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type');
  const events = rpcMessages(contentType, text);
  // A JSON answer as it is; an SSE one as its last message, with every message beside it.
  const json = contentType?.startsWith('application/json') ? events[0] : Object.assign({}, events.at(-1), { events });
  return { status: res.status, headers: res.headers, text, json };
}

/** The retry of a tools/call with the answers to its input requests. */
const retry = (
  url: string,
  name: string,
  state: string,
  inputResponses: Record<string, unknown>,
  headers: Record<string, string> = {},
) => call(url, name, { requestState: state, inputResponses }, headers, 2);

const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(what()).toBe(true);
}

async function sdkClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client(
    { name: 'bridge-test', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {}, sampling: {}, roots: {} } },
  );
  answerAsAUser(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

describe('the SDK v2 client on 2026-07-28, through the bridge, to a 2025-11-25 server', () => {
  let up: TestUpstream;
  let bridge: BridgeSidecar;
  let client: Client;
  beforeAll(async () => {
    up = await startSessionUpstream();
    bridge = await startBridgeSidecar(up.url, ['--bridge-protocols', '2025-11-25']);
    client = await sdkClient(bridge.mcpUrl, { 'x-meshmcp-principal': 'alice' });
  });
  afterAll(async () => {
    await client?.close();
    await bridge?.close();
    await up?.close();
  });

  it('discovers the server (server/discover from its initialize) and lists its tools', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'session-upstream' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('ask_twice');
  });

  it('answers an elicitation, a sampling, roots, two rounds and two inputs at once, retrying on its own', async () => {
    expect(textOf(await client.callTool({ name: 'ask_name', arguments: {} }))).toBe('Hello, Ada!');
    expect(textOf(await client.callTool({ name: 'ask_sampling', arguments: {} }))).toBe('Sampling said: Paris');
    expect(textOf(await client.callTool({ name: 'ask_roots', arguments: {} }))).toBe('Roots: file:///work');
    expect(textOf(await client.callTool({ name: 'ask_twice', arguments: {} }))).toBe('Ada likes teal');
    expect(textOf(await client.callTool({ name: 'ask_both', arguments: {} }))).toBe('Ada: Paris');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { msg: 'plain' } }))).toBe('plain');
    // Every session the bridge opened was ended, and it holds nothing.
    await until(() => up.openSessions() === 0);
    expect(bridge.held()).toBe(0);
  });
});

describe('2026-07-28 on the wire, through the bridge, to a 2025-11-25 server', () => {
  let up: TestUpstream;
  let bridge: BridgeSidecar;
  beforeAll(async () => {
    up = await startSessionUpstream();
    bridge = await startBridgeSidecar(up.url, ['--bridge-protocols', '2025-11-25']);
  });
  afterAll(async () => {
    await bridge?.close();
    await up?.close();
  });
  afterEach(() => {
    up.seen.length = 0;
  });

  it('ends the request at once with input_required, whose requestState is a handle carrying the affinity', async () => {
    const first = await call(bridge.mcpUrl, 'ask_sampling', {}, { 'x-meshmcp-affinity': 'pod-7_a' });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        resultType: 'input_required',
        inputRequests: {
          'sampling-1': {
            method: 'sampling/createMessage',
            params: {
              messages: [{ role: 'user', content: { type: 'text', text: 'Capital of France?' } }],
              maxTokens: 20,
            },
          },
        },
        requestState: expect.stringMatching(HANDLE),
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'session-upstream', version: '1.0.0' } },
      },
    });
    const state = first.json.result.requestState as string;
    expect(HANDLE.exec(state)![1]).toBe('pod-7_a');
    expect(up.openSessions()).toBe(1);
    // The session was opened with what the envelope declared, and the request went in without the envelope.
    const init = up.seen.find((s) => (s.body as any)?.method === 'initialize')!.body as any;
    expect(init.params).toEqual({
      protocolVersion: '2025-11-25',
      capabilities: CAPS,
      clientInfo: { name: 'raw-client', version: '1' },
    });
    const sent = up.seen.find((s) => (s.body as any)?.method === 'tools/call')!;
    expect((sent.body as any).params).toEqual({ name: 'ask_sampling', arguments: {} });
    expect(sent.headers['mcp-session-id']).toBeDefined();

    const done = await retry(bridge.mcpUrl, 'ask_sampling', state, {
      'sampling-1': { role: 'assistant', model: 'm', content: { type: 'text', text: 'Paris' } },
    });
    expect(done.json).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: {
        content: [{ type: 'text', text: 'Sampling said: Paris' }],
        resultType: 'complete',
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'session-upstream', version: '1.0.0' } },
      },
    });
    // The answer went to the session as the JSON-RPC response to the server's request.
    const answer = up.seen.find((s) => (s.body as any)?.result?.model === 'm')!;
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', result: { content: { text: 'Paris' } } });
    await until(() => up.openSessions() === 0);
    expect(up.seen.at(-1)?.method).toBe('DELETE');
  });

  it('takes an affinity the gateway could not have written as none (-)', async () => {
    for (const bad of ['has.dot', 'x'.repeat(65), 'sp ace']) {
      const r = await call(bridge.mcpUrl, 'ask_name', {}, { 'x-meshmcp-affinity': bad });
      expect(HANDLE.exec(r.json.result.requestState)![1]).toBe('-');
    }
    const none = await call(bridge.mcpUrl, 'ask_name');
    expect(HANDLE.exec(none.json.result.requestState)![1]).toBe('-');
  });

  it('relays progress (under the waiting request’s token) and log messages the envelope asked for, as SSE', async () => {
    const first = await call(bridge.mcpUrl, 'progress_then_ask', {
      _meta: { ...envelope(CAPS, { 'io.modelcontextprotocol/logLevel': 'info' }), progressToken: 'p1' },
    });
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    expect(first.json.events.map((e: any) => e.method ?? 'result')).toEqual([
      'notifications/progress',
      'notifications/message',
      'result',
    ]);
    expect(first.json.events[0].params).toMatchObject({ progressToken: 'p1', progress: 1 });
    expect(first.json.events[1].params).toMatchObject({ level: 'info', data: 'about to ask' });
    const done = await call(
      bridge.mcpUrl,
      'progress_then_ask',
      {
        _meta: { ...envelope(), progressToken: 'p2' },
        requestState: first.json.result.requestState,
        inputResponses: { 'elicitation-1': accept({ name: 'Bo' }) },
      },
      {},
      2,
    );
    expect(done.json.events[0].params).toMatchObject({ progressToken: 'p2', progress: 2 });
    expect(done.json.result.content[0].text).toBe('Hi Bo');
  });

  it('drops log messages when the envelope did not ask for them, and answers JSON to a client without SSE', async () => {
    const r = await call(
      bridge.mcpUrl,
      'progress_then_ask',
      { _meta: { ...envelope(), progressToken: 'p1' } },
      {
        accept: 'application/json',
      },
    );
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json.result.resultType).toBe('input_required');
    expect(up.seen.some((s) => (s.body as any)?.method === 'logging/setLevel')).toBe(false);
  });

  it('binds a held exchange to its caller: another principal is refused and nothing is forwarded', async () => {
    const first = await call(bridge.mcpUrl, 'ask_name', {}, { 'x-meshmcp-principal': 'alice' });
    const state = first.json.result.requestState as string;
    const before = up.seen.length;
    const stolen = await retry(
      bridge.mcpUrl,
      'ask_name',
      state,
      { 'elicitation-1': accept({ name: 'Eve' }) },
      {
        'x-meshmcp-principal': 'mallory',
      },
    );
    expect(stolen.json).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: {
        code: -32602,
        message: `requestState ${state} was handed out to another caller; send the request again without it`,
        data: { reason: 'invalid_request_state' },
      },
    });
    const anonymous = await retry(bridge.mcpUrl, 'ask_name', state, { 'elicitation-1': accept({ name: 'Eve' }) });
    expect(anonymous.json.error.code).toBe(-32602);
    expect(up.seen.length).toBe(before);
    // The exchange is still there for its caller.
    const done = await retry(
      bridge.mcpUrl,
      'ask_name',
      state,
      { 'elicitation-1': accept({ name: 'Al' }) },
      {
        'x-meshmcp-principal': 'alice',
      },
    );
    expect(done.json.result.content[0].text).toBe('Hello, Al!');
  });

  it('refuses forged, malformed, foreign and used handles, and a retry of another request, naming the fix', async () => {
    const first = await call(bridge.mcpUrl, 'ask_name');
    const state = first.json.result.requestState as string;
    const answers = { 'elicitation-1': accept({ name: 'Al' }) };
    const cases: [string, string][] = [
      [`b1.-.${'0'.repeat(32)}`, `unknown or expired requestState b1.-.${'0'.repeat(32)}`],
      ['b1.-.xyz', 'requestState "b1.-.xyz" is malformed'],
      ['v1.someone-elses', 'requestState was not handed out by this bridge'],
    ];
    for (const [forged, message] of cases) {
      const r = await retry(bridge.mcpUrl, 'ask_name', forged, answers);
      expect(r.json.error.code).toBe(-32602);
      expect(r.json.error.message).toContain(message);
      expect(r.json.error.message).toMatch(/send the request again without it$/);
    }
    const other = await retry(bridge.mcpUrl, 'ask_sampling', state, answers);
    expect(other.json.error.message).toContain('requestState belongs to a tools/call of ask_name request');
    const none = await retry(bridge.mcpUrl, 'ask_name', state, { 'not-asked': {} });
    expect(none.json.error.message).toContain('inputResponses answers none of the inputRequests (elicitation-1)');
    // Still held after the refusals; once used, the handle is gone.
    expect((await retry(bridge.mcpUrl, 'ask_name', state, answers)).json.result.content[0].text).toBe('Hello, Al!');
    const replay = await retry(bridge.mcpUrl, 'ask_name', state, answers);
    expect(replay.json.error.message).toContain(`unknown or expired requestState ${state}`);
  });

  it('gives each round a new handle; the one of the round before no longer finds the exchange', async () => {
    const first = await call(bridge.mcpUrl, 'ask_twice');
    const s1 = first.json.result.requestState as string;
    const second = await retry(bridge.mcpUrl, 'ask_twice', s1, { 'elicitation-1': accept({ name: 'Cy' }) });
    const s2 = second.json.result.requestState as string;
    expect(s2).not.toBe(s1);
    expect(Object.keys(second.json.result.inputRequests)).toEqual(['elicitation-2']);
    const stale = await retry(bridge.mcpUrl, 'ask_twice', s1, { 'elicitation-2': accept({ colour: 'red' }) });
    expect(stale.json.error.message).toContain('unknown or expired requestState');
    const done = await retry(bridge.mcpUrl, 'ask_twice', s2, { 'elicitation-2': accept({ colour: 'red' }) });
    expect(done.json.result.content[0].text).toBe('Cy likes red');
  });

  it('asks for what the server requested at once in one round', async () => {
    const first = await call(bridge.mcpUrl, 'ask_both');
    const asked = first.json.result.inputRequests;
    expect(Object.values(asked).map((r: any) => r.method)).toEqual(['elicitation/create', 'sampling/createMessage']);
    const done = await retry(bridge.mcpUrl, 'ask_both', first.json.result.requestState, {
      [Object.keys(asked)[0]!]: accept({ name: 'Di' }),
      [Object.keys(asked)[1]!]: { role: 'assistant', model: 'm', content: { type: 'text', text: 'hi' } },
    });
    expect(done.json.result.content[0].text).toBe('Di: hi');
  });

  it('passes a server error on as the error of the request', async () => {
    const r = await call(bridge.mcpUrl, 'no_such_tool');
    expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'Tool no_such_tool not found' } });
  });
});

describe('bounds and failures, 2026-07-28 client to a 2025-11-25 server', () => {
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.close();
  });
  const upstream = async () => {
    const up = await startSessionUpstream();
    started.push(up);
    return up;
  };
  const bridgeTo = async (url: string, flags: string[] = []) => {
    const b = await startBridgeSidecar(url, ['--bridge-protocols', '2025-11-25', ...flags]);
    started.push(b);
    return b;
  };

  it('holds at most --bridge-max-held exchanges; one more is refused (503) before the server sees it', async () => {
    const up = await upstream();
    const b = await bridgeTo(up.url, ['--bridge-max-held', '1']);
    const held = await call(b.mcpUrl, 'ask_name');
    const before = up.seen.length;
    const refused = await call(b.mcpUrl, 'ask_name');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32000, message: 'the bridge holds 1 exchanges already (--bridge-max-held); try again shortly' },
    });
    expect(up.seen.length).toBe(before);
    await retry(b.mcpUrl, 'ask_name', held.json.result.requestState, { 'elicitation-1': accept({ name: 'Al' }) });
    expect((await call(b.mcpUrl, 'echo', { arguments: { msg: 'free again' } })).json.result.content[0].text).toBe(
      'free again',
    );
  });

  it('ends an exchange held longer than --bridge-hold-ms, with its session; the retry finds nothing', async () => {
    const up = await upstream();
    const b = await bridgeTo(up.url, ['--bridge-hold-ms', '300']);
    const held = await call(b.mcpUrl, 'ask_name');
    expect(up.openSessions()).toBe(1);
    await until(() => b.held() === 0 && up.openSessions() === 0);
    const late = await retry(b.mcpUrl, 'ask_name', held.json.result.requestState, {
      'elicitation-1': accept({ name: 'Al' }),
    });
    expect(late.json.error.message).toContain('unknown or expired requestState');
  });

  it('fails an exchange whose server restarted while it was held, with a clear error; the next call works', async () => {
    let up = await startSessionUpstream();
    const b = await bridgeTo(up.url);
    const held = await call(b.mcpUrl, 'ask_name');
    await up.close();
    up = await startSessionUpstream(up.port);
    started.push(up);
    const r = await retry(b.mcpUrl, 'ask_name', held.json.result.requestState, {
      'elicitation-1': accept({ name: 'Al' }),
    });
    expect(r.json.error.code).toBe(-32603);
    expect(r.json.error.message).toContain('the upstream MCP server ended the session this exchange held');
    expect(r.json.error.message).toContain('send the request again without requestState');
    expect(b.held()).toBe(0);
    expect((await call(b.mcpUrl, 'echo', { arguments: { msg: 'again' } })).json.result.content[0].text).toBe('again');
  });

  it('fails a call whose server is down or does not answer within --bridge-timeout-ms', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    started.push({
      close: () =>
        new Promise<void>((r) => {
          silent.closeAllConnections();
          silent.close(() => r());
        }),
    });
    const b = await bridgeTo(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`, [
      '--bridge-timeout-ms',
      '200',
    ]);
    const r = await call(b.mcpUrl, 'ask_name');
    expect(r.json.error).toMatchObject({ code: -32603 });
    expect(r.json.error.message).toContain('did not answer within 200 ms (--bridge-timeout-ms)');
    expect(b.held()).toBe(0);

    const up = await upstream();
    const port = up.port;
    await up.close();
    started.pop();
    const down = await bridgeTo(`http://127.0.0.1:${port}/mcp`);
    const refused = await call(down.mcpUrl, 'ask_name');
    expect(refused.json.error.message).toContain('refused the connection');
  });

  it('close() ends every held session', async () => {
    const up = await upstream();
    const b = await startBridgeSidecar(up.url, ['--bridge-protocols', '2025-11-25']);
    await call(b.mcpUrl, 'ask_name');
    await call(b.mcpUrl, 'ask_sampling');
    expect(up.openSessions()).toBe(2);
    await b.close();
    expect(up.openSessions()).toBe(0);
  });
});
