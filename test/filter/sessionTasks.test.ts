// 2025-11-25 tasks on the aggregated /mcp, for a server that keeps sessions. The gateway marks a tools/call that asks
// for a task `task` and sends it with an affinity in Mcp-Session-Id (what the rendered DestinationRule hashes on);
// the pod's proxy opens a session for it, keeps it after the call and names it to the gateway, which hands the task
// id out as `t1.<service>.<mac>.s1.<affinity>.<session in hex>.<the server's id>`. tasks/get, tasks/result and
// tasks/cancel with that id go back, marked `resume`, into that session on that pod.
//
// First the gateway alone (answers scripted per request, as the other gateway tests do), then both proxies in front
// of server-everything's own server (its createServer, hosted on node:http the way its Streamable HTTP entry point
// hosts it: one transport per session, an unknown session answered 400).
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer as everythingServer } from '@modelcontextprotocol/server-everything/dist/server/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Front } from '../../filter/host/front.js';
import { rpcAnswer } from '../support/rawRpc.js';
import {
  ADA_KEY,
  adaAndBob,
  BOB_KEY,
  example,
  gateway,
  handedOutTaskId,
  header,
  type Json,
  post,
  replyJson,
  rpc,
  SESSION_KEY_A,
} from './harness.js';
import { type ProxyPair, startProxyPair } from './proxyPair.js';

const LEGACY = '2025-11-25';
const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const handedOut = (principal: string, service: string, id: string) =>
  handedOutTaskId(SESSION_KEY_A, principal, service, id);
const inner = (affinity: string, session: string, id: string) => `s1.${affinity}.${hex(session)}.${id}`;

function config(): Json {
  const c = example('gateway');
  c.services.push(
    {
      name: 'everything',
      namespace: 'tools',
      host: 'everything-mcp.tools.svc.cluster.local',
      port: 3001,
      tools: ['simulate-research-query'],
      upstream: { path: '/mcp' },
    },
    {
      name: 'conformance',
      namespace: 'tools',
      host: 'conformance-mcp.tools.svc.cluster.local',
      port: 3000,
      tools: ['slow_compute'],
      upstream: { path: '/mcp', stateless: true },
    },
  );
  c.rateLimits = undefined;
  return adaAndBob(c);
}

const legacy = (key: string) => ({ 'x-api-key': key, ':path': '/mcp', 'mcp-protocol-version': LEGACY });
const taskCall = (ttl?: number) => ({
  method: 'tools/call',
  params: {
    name: 'everything__simulate-research-query',
    arguments: { topic: 'meshes' },
    task: ttl === undefined ? {} : { ttl },
  },
});
const createTask = (ttl?: number) => rpc(taskCall(ttl).method, taskCall(ttl).params);
const created = (id: string) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, result: { task: { taskId: id, status: 'working' } } });
const responseText = (r: ReturnType<typeof post>) => Buffer.from(r.response!.body).toString();

describe('2025-11-25 tasks on the aggregated /mcp: the gateway', () => {
  it('sends a tools/call that asks for a task to be kept, and hands its id out with the session it lives in', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const r = post(p, createTask(60_000), {
      headers: legacy(ADA_KEY),
      upstream: () => ({
        headers: { ':status': '200', 'content-type': 'application/json', 'x-meshmcp-task-session': 'sess-1' },
        body: created('abc'),
      }),
    });
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-upstream-session')).toBe('task');
    const affinity = header(r, 'mcp-session-id')!;
    expect(affinity).toMatch(/^[0-9a-f]{16}$/);
    const taskId = JSON.parse(responseText(r)).result.task.taskId;
    expect(taskId).toBe(handedOut('ada', 'everything', inner(affinity, 'sess-1', 'abc')));
    // The session id stays between the proxies.
    expect(r.response!.headers.find(([k]) => k === 'x-meshmcp-task-session')).toBeUndefined();
  });

  it('opens and ends a session for a call that asks for no task; a 2026-07-28 server is not marked at all', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const plain = post(
      p,
      rpc('tools/call', { name: 'everything__simulate-research-query', arguments: { topic: 'x' } }),
      { headers: legacy(ADA_KEY) },
    );
    expect(header(plain, 'x-meshmcp-upstream-session')).toBe('call');
    const stateless = post(p, rpc('tools/call', { name: 'conformance__slow_compute', arguments: {}, task: {} }), {
      headers: legacy(ADA_KEY),
    });
    expect(header(stateless, 'x-meshmcp-upstream-session')).toBeUndefined();
  });

  it('routes tasks/get, tasks/result and tasks/cancel into that session on that pod, with the server id', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const affinity = '0123456789abcdef';
    const id = handedOut('ada', 'everything', inner(affinity, 'sess-1', 'abc'));
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      const r = post(p, rpc(method, { taskId: id }), {
        headers: legacy(ADA_KEY),
        upstream: () => ({
          headers: { ':status': '200', 'content-type': 'text/event-stream' },
          body: `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { taskId: 'abc', status: 'working' } })}\n\n`,
        }),
      });
      expect(r.localReply, method).toBeUndefined();
      expect(header(r, 'x-meshmcp-service')).toBe('everything');
      expect(header(r, 'x-meshmcp-upstream-session')).toBe('resume');
      expect(header(r, 'x-meshmcp-task-session')).toBe('sess-1');
      expect(header(r, 'mcp-session-id')).toBe(affinity);
      expect(JSON.parse(Buffer.from(r.forwarded!.body).toString()).params.taskId).toBe('abc');
      expect(responseText(r)).toContain(`"taskId":"${id}"`);
    }
  });

  it("refuses another caller's, a forged and a 2026-07-28 task id as unknown, forwarding nothing", async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const id = handedOut('ada', 'everything', inner('0123456789abcdef', 'sess-1', 'abc'));
    const cases: Array<[string, string]> = [
      [BOB_KEY, id],
      [ADA_KEY, id.replace('.s1.0123', '.s1.1123')],
      [ADA_KEY, handedOut('ada', 'everything', 'abc')],
      [ADA_KEY, handedOut('ada', 'conformance', inner('0123456789abcdef', 'sess-1', 'abc'))],
      [ADA_KEY, handedOut('ada', 'everything', 's1.0123456789abcdef.7.abc')],
    ];
    for (const [key, taskId] of cases) {
      const r = post(p, rpc('tasks/get', { taskId }), { headers: legacy(key) });
      expect(r.forwarded, taskId).toBeUndefined();
      expect(replyJson(r).error).toEqual({ code: -32602, message: `Unknown task: ${taskId}` });
    }
  });

  it("answers an unknown task, not the server's 404, when the session it lived in is gone", async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const id = handedOut('ada', 'everything', inner('0123456789abcdef', 'sess-1', 'abc'));
    const r = post(p, rpc('tasks/get', { taskId: id }), {
      headers: legacy(ADA_KEY),
      // As the 2025-11-25 transport says a server answers a session it does not know.
      upstream: () => ({
        headers: { ':status': '404', 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }),
      }),
    });
    expect(r.response?.status).toBe(200);
    const error = JSON.parse(responseText(r)).error;
    expect(error.code).toBe(-32602);
    expect(error.message).toContain(`Unknown task: ${id} (everything no longer has the session it ran in`);
  });

  it('leaves tasks/list to the control service', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const r = post(p, rpc('tasks/list', {}), { headers: legacy(ADA_KEY) });
    expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
  });
});

// ---- both proxies in front of server-everything's own server ----

let everything: Server;
let sessions: Map<string, StreamableHTTPServerTransport>;
let gw: Front;
let proxies: ProxyPair;

async function startEverything(): Promise<Server> {
  sessions = new Map();
  const server = createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (known) return known.handleRequest(req, res);
    if (sid !== undefined || req.method !== 'POST') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'No valid session ID' } }));
      return;
    }
    const { server: mcp, cleanup } = everythingServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        cleanup(id);
      },
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  everything = await startEverything();
  const port = (everything.address() as AddressInfo).port;
  const entry = {
    name: 'everything',
    namespace: 'tools',
    host: '127.0.0.1',
    port,
    tools: ['simulate-research-query'],
    upstream: { path: '/mcp' },
  };
  proxies = await startProxyPair(entry, config(), { MESHMCP_SESSION_KEYS: SESSION_KEY_A });
  gw = proxies.gateway;
});

afterAll(async () => {
  await proxies?.close();
  for (const t of sessions?.values() ?? []) await t.close();
  await new Promise((r) => everything?.close(r));
});

async function send(key: string, message: Json): Promise<Json> {
  const res = await fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LEGACY,
      'x-api-key': key,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...message }),
  });
  return rpcAnswer(await res.text()) ?? {};
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('2025-11-25 tasks on the aggregated /mcp: through the pod to server-everything', () => {
  it('keeps the session a task lives in, reaches it again by the id, and ends it once its ttl is over', async () => {
    const before = sessions.size;
    const made = await send(ADA_KEY, taskCall(60_000));
    const taskId = made.result?.task?.taskId as string;
    expect(String(taskId), JSON.stringify(made)).toMatch(
      /^t1\.everything\.[0-9a-f]{32}\.s1\.[0-9a-f]{16}\.[0-9a-f]+\./,
    );
    expect(sessions.size).toBe(before + 1);
    await until('the task to complete', async () => {
      const got = await send(ADA_KEY, { method: 'tasks/get', params: { taskId } });
      expect(got.result?.taskId, JSON.stringify(got)).toBe(taskId);
      return got.result.status === 'completed';
    });
    const result = await send(ADA_KEY, { method: 'tasks/result', params: { taskId } });
    expect(JSON.stringify(result.result?.content)).toContain('meshes');
    const stolen = await send(BOB_KEY, { method: 'tasks/get', params: { taskId } });
    expect(stolen.error?.code).toBe(-32602);

    // A task with a 1 ms ttl: its session is ended at the pod's next tick, with no request passing. (The pod asks
    // for a tick every minute; the test fires it.)
    const brief = await send(ADA_KEY, taskCall(1));
    expect(brief.result?.task?.taskId).toBeTruthy();
    expect(sessions.size).toBe(before + 2);
    await new Promise((r) => setTimeout(r, 5));
    proxies.pod.plugin.tick();
    await until('the expired session to be ended', async () => sessions.size === before + 1);
    // The task that is still in its time was left alone.
    const kept = await send(ADA_KEY, { method: 'tasks/get', params: { taskId } });
    expect(kept.result?.status, JSON.stringify(kept)).toBe('completed');
  });

  it('keeps at most 256 sessions per worker, ending the oldest first', async () => {
    // Sessions kept by the tests before count too: after 257 more, the 256 newest are kept.
    const ids: string[] = [];
    for (let i = 0; i < 257; i++) ids.push((await send(ADA_KEY, taskCall(600_000))).result?.task?.taskId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    await until('the oldest to be ended', async () => sessions.size === 256);
    // The first task's session is gone (the server answers that session 400); the last one's is still there.
    const first = await send(ADA_KEY, { method: 'tasks/get', params: { taskId: ids[0] } });
    expect(first.error, JSON.stringify(first)).toBeDefined();
    const last = await send(ADA_KEY, { method: 'tasks/get', params: { taskId: ids[256] } });
    expect(last.result?.taskId, JSON.stringify(last)).toBe(ids[256]);
  });

  it('ends the session of a call that asks for no task, and of one the server refused', async () => {
    const before = sessions.size;
    const plain = await send(ADA_KEY, {
      method: 'tools/call',
      params: { name: 'everything__simulate-research-query', arguments: { topic: 'plain' } },
    });
    // The tool must run as a task: a plain call is refused by the server itself, in the session opened for it.
    expect(JSON.stringify(plain)).toContain('requires task augmentation');
    const refused = await send(ADA_KEY, {
      method: 'tools/call',
      params: { name: 'everything__simulate-research-query', arguments: {}, task: { ttl: 60_000 } },
    });
    expect(refused.error ?? refused.result?.isError, JSON.stringify(refused)).toBeTruthy();
    await until('both sessions to be ended', async () => sessions.size === before);
  });
});
