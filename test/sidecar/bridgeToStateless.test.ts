// Bridge mode, a 2025-11-25 client in front of a 2026-07-28 stateless server: real parts on loopback (the SDK v2
// server in test/support/bridgeUpstreams.ts, a sidecar in bridge mode, the SDK v2 client on 2025-11-25 with
// elicitation, sampling and roots handlers, and raw fetch where the exact bytes or a refusal matter).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerAsAUser, textOf } from '../support/bridgeClients.js';
import { type BridgeSidecar, startBridgeSidecar } from '../support/bridgeSidecar.js';
import { startStatelessUpstream, type TestUpstream } from '../support/bridgeUpstreams.js';

const ANSWER_ID = /^(b1\.([A-Za-z0-9_-]{1,64})\.[0-9a-f]{32})\.(.+)$/;
const ALL = 'elicitation,sampling,roots';

/** A held SSE answer, read event by event. */
interface Stream {
  status: number;
  headers: Headers;
  /** the next JSON-RPC message on the stream; undefined when it ended */
  next(): Promise<any>;
  /** every raw byte read so far */
  raw(): string;
}

async function open(
  url: string,
  name: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Promise<Stream> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-meshmcp-client-capabilities': ALL,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {}, ...extra } }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let all = '';
  let ended = false;
  return {
    status: res.status,
    headers: res.headers,
    raw: () => all,
    async next() {
      const json = res.headers.get('content-type')?.startsWith('application/json');
      for (;;) {
        if (json) {
          if (ended) return undefined;
          while (!ended) {
            const { done, value } = await reader.read();
            if (done) ended = true;
            else all += decoder.decode(value, { stream: true });
          }
          return JSON.parse(all);
        }
        const cut = buffered.indexOf('\n\n');
        if (cut >= 0) {
          const event = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          const data = /^data: (.*)$/m.exec(event);
          if (data) return JSON.parse(data[1]!);
          continue;
        }
        if (ended) return undefined;
        const { done, value } = await reader.read();
        if (done) ended = true;
        else {
          const t = decoder.decode(value, { stream: true });
          buffered += t;
          all += t;
        }
      }
    },
  };
}

/** POSTs a client's JSON-RPC response (its answer to a relayed input request). */
async function answer(url: string, message: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(message),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

const accepted = (id: string, content: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  result: { action: 'accept', content },
});

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(what()).toBe(true);
}

describe('the SDK v2 client on 2025-11-25, through the bridge, to a 2026-07-28 server', () => {
  let up: TestUpstream;
  let bridge: BridgeSidecar;
  let client: Client;
  const asked: string[] = [];
  beforeAll(async () => {
    up = await startStatelessUpstream();
    bridge = await startBridgeSidecar(up.url, ['--bridge-protocols', '2026-07-28']);
    client = new Client(
      { name: 'bridge-test', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' }, capabilities: { elicitation: {}, sampling: {}, roots: {} } },
    );
    answerAsAUser(client, ['elicitation', 'sampling', 'roots'], asked);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(bridge.mcpUrl), {
        requestInit: { headers: { 'x-meshmcp-principal': 'alice', 'x-meshmcp-client-capabilities': ALL } },
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    await bridge?.close();
    await up?.close();
  });

  it('initializes (from the server’s server/discover) and lists the tools', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'stateless-upstream' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('ask_twice');
  });

  it('answers an elicitation, a sampling, roots, two rounds and two inputs at once on the held stream', async () => {
    expect(textOf(await client.callTool({ name: 'ask_name', arguments: {} }))).toBe('Hello, Ada!');
    expect(textOf(await client.callTool({ name: 'ask_sampling', arguments: {} }))).toBe('Sampling said: Paris');
    expect(textOf(await client.callTool({ name: 'ask_roots', arguments: {} }))).toBe('Roots: file:///work');
    expect(textOf(await client.callTool({ name: 'ask_twice', arguments: {} }))).toBe('Ada likes teal');
    expect(textOf(await client.callTool({ name: 'ask_both', arguments: {} }))).toBe('Ada: Paris');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { msg: 'plain' } }))).toBe('plain');
    expect(asked).toEqual(['What is your name?', 'Step 1: name?', 'Step 2: colour?', 'Name?']);
    expect(bridge.held()).toBe(0);
  });

  it('relays progress the server reports on the same stream', async () => {
    const progress: number[] = [];
    const r = await client.callTool(
      { name: 'progress_then_ask', arguments: {} },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(textOf(r)).toBe('Hi Ada');
    // Once before the server asked, once again in the retry that carried the answer.
    expect(progress).toEqual([1, 1]);
  });
});

describe('2025-11-25 on the wire, through the bridge, to a 2026-07-28 server', () => {
  let up: TestUpstream;
  let bridge: BridgeSidecar;
  beforeAll(async () => {
    up = await startStatelessUpstream();
    bridge = await startBridgeSidecar(up.url, ['--bridge-protocols', '2026-07-28']);
  });
  afterAll(async () => {
    await bridge?.close();
    await up?.close();
  });
  afterEach(() => {
    up.seen.length = 0;
  });

  it('relays input_required as a request on an SSE answer, takes the answer with 202, and ends with the result', async () => {
    const s = await open(bridge.mcpUrl, 'ask_name', { 'x-meshmcp-affinity': 'pod-3' });
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream');
    const asked = await s.next();
    expect(asked).toEqual({
      jsonrpc: '2.0',
      id: expect.stringMatching(ANSWER_ID),
      method: 'elicitation/create',
      params: {
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        mode: 'form',
      },
    });
    const [, , affinity, key] = ANSWER_ID.exec(asked.id)!;
    expect(affinity).toBe('pod-3');
    expect(key).toBe('user_name');
    expect(s.raw()).toBe(`event: message\ndata: ${JSON.stringify(asked)}\n\n`);
    // The server got the request as 2026-07-28: the envelope with the capabilities the header named.
    const first = up.seen[0]!;
    expect(first.headers).toMatchObject({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'ask_name',
    });
    expect((first.body as any).params._meta).toEqual({
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': { elicitation: {}, sampling: {}, roots: {} },
      'io.modelcontextprotocol/clientInfo': { name: 'meshmcp-bridge', version: expect.any(String) },
    });

    const a = await answer(bridge.mcpUrl, accepted(asked.id, { name: 'Ada' }));
    expect(a).toEqual({ status: 202, text: '', json: undefined });
    expect(await s.next()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'Hello, Ada!' }] },
    });
    expect(await s.next()).toBeUndefined();
    // The retry carried the answer and the request as it was.
    const retried = up.seen[1]!.body as any;
    expect(retried.params.inputResponses).toEqual({ user_name: { action: 'accept', content: { name: 'Ada' } } });
    expect(retried.params.name).toBe('ask_name');
    expect(bridge.held()).toBe(0);
  });

  it('waits for every input of a round before it retries, and carries the server’s requestState', async () => {
    const s = await open(bridge.mcpUrl, 'ask_twice');
    const step1 = await s.next();
    expect(step1.params.message).toBe('Step 1: name?');
    await answer(bridge.mcpUrl, accepted(step1.id, { name: 'Cy' }));
    const step2 = await s.next();
    expect(step2.params.message).toBe('Step 2: colour?');
    // A new handle each round.
    expect(ANSWER_ID.exec(step2.id)![1]).not.toBe(ANSWER_ID.exec(step1.id)![1]);
    expect(typeof (up.seen[1]!.body as any).params.requestState).toBe('string');
    await answer(bridge.mcpUrl, accepted(step2.id, { colour: 'red' }));
    expect((await s.next()).result.content[0].text).toBe('Cy likes red');

    const both = await open(bridge.mcpUrl, 'ask_both');
    const [r1, r2] = [await both.next(), await both.next()];
    expect([r1.method, r2.method]).toEqual(['elicitation/create', 'sampling/createMessage']);
    await answer(bridge.mcpUrl, accepted(r1.id, { name: 'Di' }));
    const retries = up.seen.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(up.seen.length).toBe(retries);
    await answer(bridge.mcpUrl, {
      jsonrpc: '2.0',
      id: r2.id,
      result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'hey' } },
    });
    expect((await both.next()).result.content[0].text).toBe('Di: hey');
  });

  it('answers a call that needs no input as JSON, and initialize and ping itself', async () => {
    const s = await open(bridge.mcpUrl, 'echo', { accept: 'application/json' }, { arguments: { msg: 'hi' } });
    expect(s.headers.get('content-type')).toBe('application/json');
    expect(await s.next()).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'hi' }] } });
    const init = await answer(bridge.mcpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    expect(init.json.result).toMatchObject({
      protocolVersion: '2025-06-18',
      serverInfo: { name: 'stateless-upstream' },
      capabilities: { tools: {} },
    });
    expect((await answer(bridge.mcpUrl, { jsonrpc: '2.0', id: 2, method: 'ping' })).json).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: {},
    });
    const note = await answer(bridge.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
  });

  it('declares only the capabilities the header names; the server’s refusal reaches the client', async () => {
    const s = await open(bridge.mcpUrl, 'ask_sampling', { 'x-meshmcp-client-capabilities': 'elicitation' });
    const r = await s.next();
    expect(r.error).toMatchObject({ code: -32021 });
    expect((up.seen[0]!.body as any).params._meta['io.modelcontextprotocol/clientCapabilities']).toEqual({
      elicitation: {},
    });
    const bad = await open(bridge.mcpUrl, 'ask_name', { 'x-meshmcp-client-capabilities': 'elicitation,telepathy' });
    expect(bad.status).toBe(400);
    expect((await bad.next()).error.message).toBe(
      'Bad Request: x-meshmcp-client-capabilities names "telepathy"; it takes a comma list of elicitation, sampling, roots',
    );
  });

  it('tells a client that takes no SSE that the call needs input', async () => {
    const s = await open(bridge.mcpUrl, 'ask_name', { accept: 'application/json' });
    const r = await s.next();
    expect(r.error.code).toBe(-32603);
    expect(r.error.message).toBe(
      'this request needs input from the client (elicitation/create), which reaches it only on an SSE answer: send Accept: application/json, text/event-stream',
    );
    expect(bridge.held()).toBe(0);
  });

  it('binds the held stream to its caller: another principal’s answer is refused and nothing is forwarded', async () => {
    const s = await open(bridge.mcpUrl, 'ask_name', { 'x-meshmcp-principal': 'alice' });
    const asked = await s.next();
    const sent = up.seen.length;
    const stolen = await answer(bridge.mcpUrl, accepted(asked.id, { name: 'Eve' }), {
      'x-meshmcp-principal': 'mallory',
    });
    expect(stolen.status).toBe(403);
    expect(stolen.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32602,
        message: `the input request ${asked.id} was sent to another caller; nothing was forwarded`,
        data: { id: asked.id },
      },
    });
    expect((await answer(bridge.mcpUrl, accepted(asked.id, { name: 'Eve' }))).status).toBe(403);
    expect(up.seen.length).toBe(sent);
    await answer(bridge.mcpUrl, accepted(asked.id, { name: 'Al' }), { 'x-meshmcp-principal': 'alice' });
    expect((await s.next()).result.content[0].text).toBe('Hello, Al!');
  });

  it('refuses forged, malformed and used answer ids, naming the problem', async () => {
    const s = await open(bridge.mcpUrl, 'ask_name');
    const asked = await s.next();
    const forged = await answer(bridge.mcpUrl, accepted(`b1.-.${'f'.repeat(32)}.user_name`, { name: 'x' }));
    expect(forged.status).toBe(404);
    expect(forged.json.error.message).toContain(`unknown or expired input request b1.-.${'f'.repeat(32)}.user_name`);
    const wrongKey = await answer(bridge.mcpUrl, accepted(`${ANSWER_ID.exec(asked.id)![1]}.other`, { name: 'x' }));
    expect(wrongKey.status).toBe(404);
    const malformed = await answer(bridge.mcpUrl, accepted('b1.nope', { name: 'x' }));
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.message).toBe('the response id "b1.nope" is not one the bridge writes');
    const foreign = await answer(bridge.mcpUrl, accepted('42', { name: 'x' }));
    expect(foreign.status).toBe(400);
    await answer(bridge.mcpUrl, accepted(asked.id, { name: 'Al' }));
    expect((await s.next()).result.content[0].text).toBe('Hello, Al!');
    expect((await answer(bridge.mcpUrl, accepted(asked.id, { name: 'Al' }))).status).toBe(404);
  });

  it('ends the request with an error when the client answers an input request with one', async () => {
    const s = await open(bridge.mcpUrl, 'ask_name');
    const asked = await s.next();
    const a = await answer(bridge.mcpUrl, { jsonrpc: '2.0', id: asked.id, error: { code: -32601, message: 'nope' } });
    expect(a.status).toBe(202);
    expect(await s.next()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32603, message: 'the client answered the input request user_name with an error: nope' },
    });
    expect(await s.next()).toBeUndefined();
  });
});

describe('bounds and failures, 2025-11-25 client to a 2026-07-28 server', () => {
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.close();
  });
  const upstream = async (port = 0) => {
    const up = await startStatelessUpstream(port);
    started.push(up);
    return up;
  };
  const bridgeTo = async (url: string, flags: string[] = []) => {
    const b = await startBridgeSidecar(url, ['--bridge-protocols', '2026-07-28', ...flags]);
    started.push(b);
    return b;
  };

  it('holds at most --bridge-max-held streams; one more is refused (503) before the server sees it', async () => {
    const up = await upstream();
    const b = await bridgeTo(up.url, ['--bridge-max-held', '1']);
    const held = await open(b.mcpUrl, 'ask_name');
    const asked = await held.next();
    const before = up.seen.length;
    const refused = await open(b.mcpUrl, 'echo', {}, { arguments: { msg: 'x' } });
    expect(refused.status).toBe(503);
    expect(await refused.next()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32000, message: 'the bridge holds 1 exchanges already (--bridge-max-held); try again shortly' },
    });
    expect(up.seen.length).toBe(before);
    await answer(b.mcpUrl, accepted(asked.id, { name: 'Al' }));
    await held.next();
    const free = await open(b.mcpUrl, 'echo', {}, { arguments: { msg: 'free again' } });
    expect((await free.next()).result.content[0].text).toBe('free again');
  });

  it('ends a stream held longer than --bridge-hold-ms with a JSON-RPC error; a late answer finds nothing', async () => {
    const up = await upstream();
    const b = await bridgeTo(up.url, ['--bridge-hold-ms', '300']);
    const s = await open(b.mcpUrl, 'ask_name');
    const asked = await s.next();
    expect(await s.next()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: {
        code: -32603,
        message: 'the bridge ended this request: it was held for its limit of 300 ms (--bridge-hold-ms)',
      },
    });
    expect(await s.next()).toBeUndefined();
    expect(b.held()).toBe(0);
    expect((await answer(b.mcpUrl, accepted(asked.id, { name: 'Al' }))).status).toBe(404);
  });

  it('fails the exchange with a clear error when its server restarted between two rounds', async () => {
    let up = await upstream();
    const b = await bridgeTo(up.url);
    const s = await open(b.mcpUrl, 'ask_twice');
    await answer(b.mcpUrl, accepted((await s.next()).id, { name: 'Cy' }));
    const step2 = await s.next();
    await up.close();
    started.splice(started.indexOf(up), 1);
    up = await upstream(up.port);
    // The restarted server no longer knows the state it sealed: its refusal reaches the client.
    await answer(b.mcpUrl, accepted(step2.id, { colour: 'red' }));
    expect((await s.next()).error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' });
    // A server that is gone fails the exchange too.
    const s2 = await open(b.mcpUrl, 'ask_name');
    const asked = await s2.next();
    await up.close();
    started.splice(started.indexOf(up), 1);
    await answer(b.mcpUrl, accepted(asked.id, { name: 'Al' }));
    const gone = await s2.next();
    expect(gone.error.code).toBe(-32603);
    expect(gone.error.message).toBe(
      'the upstream MCP server failed the request: it refused the connection (is it running?)',
    );
    expect(b.held()).toBe(0);
  });

  it('fails a call whose server does not answer within --bridge-timeout-ms', async () => {
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
    const s = await open(b.mcpUrl, 'ask_name');
    expect((await s.next()).error.message).toBe(
      'the upstream MCP server failed the request: it did not answer within 200 ms (--bridge-timeout-ms)',
    );
    expect(b.held()).toBe(0);
  });

  it('close() ends every held stream with a JSON-RPC error', async () => {
    const up = await upstream();
    const b = await startBridgeSidecar(up.url, ['--bridge-protocols', '2026-07-28']);
    const s = await open(b.mcpUrl, 'ask_name');
    await s.next();
    const closing = b.close();
    expect(await s.next()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32603, message: 'the bridge ended this request: the sidecar is shutting down' },
    });
    await closing;
  });

  it('lets the client’s going away end the exchange', async () => {
    const up = await upstream();
    const b = await bridgeTo(up.url);
    const ac = new AbortController();
    const res = await fetch(b.mcpUrl, {
      method: 'POST',
      signal: ac.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'x-meshmcp-client-capabilities': ALL,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'ask_name', arguments: {} },
      }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(b.held()).toBe(1);
    ac.abort();
    await until(() => b.held() === 0);
  });
});
