// MCP servers of their own behind the local mesh's gateway (README "Bring your own MCP server"): the published
// server-everything, with no meshmcp sidecar, reached by the real SDK v2 client on /mcp/everything under its own
// names. Prompts, resources, a subscription update, sampling and elicitation answered by the client, progress, and
// the gateway's policy and audit over all of it; and its tools in the aggregated catalog.
// @module-tag openssl
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../support/cli.js';
import { rpcAnswer } from '../support/rawRpc.js';
import { type AuditLine, type Mesh, startMesh } from './support/mesh.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let mesh: Mesh;
/** The control service started again by the restart test, in place of the one `meshmcp dev` ran. */
let restarted: ChildProcess | undefined;

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
});

afterAll(async () => {
  restarted?.kill('SIGTERM');
  if (!mesh) return;
  const { code, output } = await mesh.stop();
  expect(code, output.slice(-3000)).toBe(0);
});

interface Session {
  client: Client;
  sampled: string[];
  elicited: string[];
  updated: string[];
}

/** A client that can answer sampling and elicitation, as Claude Desktop or VS Code can. */
async function open(path: string, key: string): Promise<Session> {
  const s: Session = {
    client: new Client(
      { name: 'meshmcp-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' }, capabilities: { sampling: {}, elicitation: {} } },
    ),
    sampled: [],
    elicited: [],
    updated: [],
  };
  s.client.setRequestHandler('sampling/createMessage', async (r) => {
    s.sampled.push(JSON.stringify(r.params.messages));
    return { role: 'assistant', model: 'e2e-model', content: { type: 'text', text: 'a sampled answer' } };
  });
  s.client.setRequestHandler('elicitation/create', async (r) => {
    s.elicited.push(r.params.message);
    return { action: 'accept', content: { name: 'Ada' } };
  });
  s.client.setNotificationHandler('notifications/resources/updated', (n) => {
    s.updated.push(n.params.uri);
  });
  await s.client.connect(
    new StreamableHTTPClientTransport(new URL(`${mesh.url.replace(/\/mcp$/, '')}${path}`), {
      requestInit: { headers: { 'x-api-key': key } },
    }),
  );
  return s;
}

type Mode = 'legacy' | { pin: string };

/** The real SDK client on the aggregated /mcp, with the admin key (and any other headers). */
async function aggregated(mode: Mode, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'meshmcp-e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mesh.url), {
      requestInit: { headers: { 'x-api-key': mesh.adminKey, ...headers } },
    }),
  );
  return client;
}

const text = (r: unknown): string =>
  ((r as { content: Array<{ type: string; text?: string }> }).content ?? []).map((c) => c.text ?? '').join('\n');

async function until(what: string, probe: () => boolean, step?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await step?.();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('server-everything on /mcp/everything', () => {
  it('serves its own tools, prompts and resources through the gateway, in a session of its own', async () => {
    const s = await open('/mcp/everything', mesh.adminKey);
    try {
      expect(s.client.getServerVersion()?.name).toContain('everything');
      const tools = (await s.client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(
        expect.arrayContaining(['echo', 'trigger-sampling-request', 'trigger-elicitation-request']),
      );
      expect(text(await s.client.callTool({ name: 'echo', arguments: { message: 'through the mesh' } }))).toBe(
        'Echo: through the mesh',
      );
      const prompts = (await s.client.listPrompts()).prompts.map((p) => p.name);
      expect(prompts).toContain('args-prompt');
      const prompt = await s.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Oslo' } });
      expect(JSON.stringify(prompt.messages)).toContain('Oslo');
      const { resources } = await s.client.listResources();
      expect(resources.length).toBeGreaterThan(0);
      const read = await s.client.readResource({ uri: resources[0]!.uri });
      expect(read.contents[0]?.uri).toBe(resources[0]!.uri);
    } finally {
      await s.client.close();
    }
  });

  it("carries the server's requests to the client and the answers back: sampling, elicitation, progress", async () => {
    const s = await open('/mcp/everything', mesh.adminKey);
    try {
      const sampled = await s.client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'summarise the mesh', maxTokens: 20 },
      });
      expect(s.sampled.join()).toContain('summarise the mesh');
      expect(text(sampled)).toContain('a sampled answer');
      const elicited = await s.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      expect(s.elicited).toHaveLength(1);
      expect(text(elicited)).toContain('Ada');
      const progress: number[] = [];
      await s.client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
        { onprogress: (p) => progress.push(p.progress) },
      );
      expect(progress).toEqual([1, 2, 3]);
    } finally {
      await s.client.close();
    }
    // The pod proxy in front of the server audited the client's answers as responses.
    const proxied = mesh.audit('everything-proxy');
    expect(proxied.filter((l) => l.decision === 'allow').length).toBeGreaterThan(0);
  });

  it('delivers a subscribed resource update on the session stream', async () => {
    const s = await open('/mcp/everything', mesh.adminKey);
    try {
      const { resources } = await s.client.listResources();
      const uri = resources[0]!.uri;
      await s.client.subscribeResource({ uri });
      await s.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      await until('notifications/resources/updated', () => s.updated.includes(uri));
      await s.client.unsubscribeResource({ uri });
    } finally {
      await s.client.close();
    }
  });

  it("binds the server's session id to the caller who opened it: useless to anyone else", async () => {
    const s = await open('/mcp/everything', mesh.adminKey);
    try {
      const transport = (s.client as unknown as { transport?: { sessionId?: string } }).transport;
      const sealed = transport?.sessionId;
      expect(sealed).toMatch(/^m1\.[0-9a-f]{32}\./);
      const url = `${mesh.url}/everything`;
      const body = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} });
      const headers = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': sealed!,
      };
      const stolen = await fetch(url, { method: 'POST', body, headers: { ...headers, 'x-api-key': mesh.readonlyKey } });
      expect(stolen.status).toBe(404);
      const own = await fetch(url, { method: 'POST', body, headers: { ...headers, 'x-api-key': mesh.adminKey } });
      expect(own.status).toBe(200);
    } finally {
      await s.client.close();
    }
  });

  it('holds a read-only caller to its policy on this endpoint too: not listed, not callable, audited', async () => {
    const s = await open('/mcp/everything', mesh.readonlyKey);
    try {
      // The lists of a server's own endpoint are the catalog's, filtered for the caller: what it may not use is not shown.
      const listed = (await s.client.listTools()).tools.map((t) => t.name);
      expect(listed).toContain('get-sum');
      expect(listed).not.toContain('get-env');
      await expect(s.client.callTool({ name: 'get-env', arguments: {} })).rejects.toThrow(
        'Unknown tool: everything__get-env',
      );
      expect(text(await s.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toContain('5');
    } finally {
      await s.client.close();
    }
    const mine = (tool: string) => (l: AuditLine) =>
      l.service === 'everything' && l.client === 'dev-readonly' && l.tool === tool;
    expect(await mesh.lastAudit(mine('get-env'))).toMatchObject({ decision: 'deny', status: 'denied' });
    expect(await mesh.lastAudit(mine('get-sum'))).toMatchObject({ decision: 'allow', status: 'success' });
  });
});

/** One JSON-RPC exchange with the gateway as raw HTTP: the status, the Mcp-Session-Id and the message (JSON or SSE). */
async function rpcAt(
  path: string,
  key: string,
  session: string | undefined,
  message: Record<string, unknown>,
): Promise<{ status: number; session: string | null; body: Record<string, any> | undefined }> {
  const res = await fetch(`${mesh.url.replace(/\/mcp$/, '')}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      'x-api-key': key,
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  return { status: res.status, session: res.headers.get('mcp-session-id'), body: rpcAnswer(await res.text()) };
}

describe("tasks on /mcp/everything (2025-11-25, in the caller's session)", () => {
  it("creates a task, polls it to completion and reads its result; the session and so the task are the caller's only", async () => {
    const init = await rpcAt('/mcp/everything', mesh.adminKey, undefined, {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-tasks', version: '1' } },
    });
    const session = init.session!;
    expect(session).toMatch(/^m1\./);
    await rpcAt('/mcp/everything', mesh.adminKey, session, { method: 'notifications/initialized' });
    const created = await rpcAt('/mcp/everything', mesh.adminKey, session, {
      id: 2,
      method: 'tools/call',
      params: { name: 'simulate-research-query', arguments: { topic: 'service meshes' }, task: { ttl: 60_000 } },
    });
    const taskId = created.body?.result?.task?.taskId as string;
    expect(taskId, JSON.stringify(created.body)).toBeTruthy();
    let status = '';
    await until(
      'the task to complete',
      () => status === 'completed',
      async () => {
        const got = await rpcAt('/mcp/everything', mesh.adminKey, session, {
          id: 3,
          method: 'tasks/get',
          params: { taskId },
        });
        status = got.body?.result?.status ?? '';
      },
    );
    const result = await rpcAt('/mcp/everything', mesh.adminKey, session, {
      id: 4,
      method: 'tasks/result',
      params: { taskId },
    });
    expect(JSON.stringify(result.body?.result?.content)).toContain('service meshes');
    // Another caller holding the same session id reaches neither the session nor its task.
    const stolen = await rpcAt('/mcp/everything', mesh.readonlyKey, session, {
      id: 5,
      method: 'tasks/get',
      params: { taskId },
    });
    expect(stolen.status).toBe(404);
  });
});

describe("tasks on the aggregated /mcp (2025-11-25, in a session the pod's proxy keeps)", () => {
  /** A 2025-11-25 session with the aggregated endpoint, as a raw client that asks for tasks. */
  async function initialize(key: string): Promise<{ session: string; capabilities: Record<string, any> }> {
    const init = await rpcAt('/mcp', key, undefined, {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-tasks', version: '1' } },
    });
    expect(init.status, JSON.stringify(init.body)).toBe(200);
    // The aggregated endpoint's session id: the capabilities the client declared (none), nothing stored.
    expect(init.session).toMatch(/^c1\.-\.[0-9a-f]{32}$/);
    await rpcAt('/mcp', key, init.session ?? undefined, { method: 'notifications/initialized' });
    return { session: init.session ?? '', capabilities: init.body?.result?.capabilities ?? {} };
  }
  const TASK_ID = /^t1\.everything\.[0-9a-f]{32}\.s1\.[0-9a-f]{16}\.[0-9a-f]+\..+$/;

  it('advertises tasks (without tasks/list) and lists the tool with its task support', async () => {
    const { session, capabilities } = await initialize(mesh.adminKey);
    expect(capabilities['tasks']).toEqual({ cancel: {}, requests: { tools: { call: {} } } });
    const tools: Array<Record<string, any>> = [];
    let cursor: string | undefined;
    do {
      const page = await rpcAt('/mcp', mesh.adminKey, session, {
        id: 2,
        method: 'tools/list',
        params: cursor ? { cursor } : {},
      });
      tools.push(...(page.body?.result?.tools ?? []));
      cursor = page.body?.result?.nextCursor;
    } while (cursor);
    const tool = tools.find((t) => t['name'] === 'everything__simulate-research-query');
    expect(JSON.stringify(tool ?? tools.map((t) => t['name']))).toMatch(
      /"execution":\{"taskSupport":"(optional|required)"\}/,
    );
  });

  it("creates a task, polls it, reads its result and cancels another; the ids are the caller's only", async () => {
    const { session } = await initialize(mesh.adminKey);
    const call = (id: number, topic: string) =>
      rpcAt('/mcp', mesh.adminKey, session, {
        id,
        method: 'tools/call',
        params: { name: 'everything__simulate-research-query', arguments: { topic }, task: { ttl: 60_000 } },
      });
    const created = await call(2, 'service meshes');
    const taskId = created.body?.result?.task?.taskId as string;
    expect(taskId, JSON.stringify(created.body)).toMatch(TASK_ID);
    let status = '';
    await until(
      'the task to complete',
      () => status === 'completed',
      async () => {
        const got = await rpcAt('/mcp', mesh.adminKey, session, { id: 3, method: 'tasks/get', params: { taskId } });
        expect(got.body?.error, JSON.stringify(got.body)).toBeUndefined();
        expect(got.body?.result?.taskId).toBe(taskId);
        status = got.body?.result?.status ?? '';
      },
    );
    const result = await rpcAt('/mcp', mesh.adminKey, session, { id: 4, method: 'tasks/result', params: { taskId } });
    expect(JSON.stringify(result.body?.result?.content), JSON.stringify(result.body)).toContain('service meshes');
    expect(result.body?.result?._meta?.['io.modelcontextprotocol/related-task']?.taskId).toBe(taskId);
    // The task is still there after its result was read, for its ttl.
    const again = await rpcAt('/mcp', mesh.adminKey, session, { id: 5, method: 'tasks/get', params: { taskId } });
    expect(again.body?.result?.status, JSON.stringify(again.body)).toBe('completed');

    // Another caller with the same id gets an unknown task; so does an id whose session part was changed.
    const other = await initialize(mesh.readonlyKey);
    const stolen = await rpcAt('/mcp', mesh.readonlyKey, other.session, {
      id: 6,
      method: 'tasks/get',
      params: { taskId },
    });
    expect(stolen.body?.error?.message, JSON.stringify(stolen.body)).toMatch(/Unknown task|Forbidden/);
    expect(JSON.stringify(stolen.body)).not.toContain('completed');
    const forged = taskId.replace(
      /\.s1\.([0-9a-f]{16})\.([0-9a-f]{2})/,
      (_m, a, b) => `.s1.${a}.${b === '41' ? '42' : '41'}`,
    );
    const bad = await rpcAt('/mcp', mesh.adminKey, session, { id: 7, method: 'tasks/get', params: { taskId: forged } });
    expect(bad.body?.error?.code, JSON.stringify(bad.body)).toBe(-32602);

    // A second task, cancelled while it works.
    const second = (await call(8, 'cancelled research')).body?.result?.task?.taskId as string;
    expect(second).toMatch(TASK_ID);
    const cancelled = await rpcAt('/mcp', mesh.adminKey, session, {
      id: 9,
      method: 'tasks/cancel',
      params: { taskId: second },
    });
    expect(cancelled.body?.result?.status, JSON.stringify(cancelled.body)).toBe('cancelled');
  });
});

describe('a 2025-11-25 server behind a bridge (the conformance server speaking 2025-11-25 only)', () => {
  /** The SDK v2 client on 2026-07-28, answering elicitation and sampling as a user and a model would. */
  async function modernClient(path: string): Promise<{ client: Client; asked: string[] }> {
    const asked: string[] = [];
    const client = new Client(
      { name: 'e2e-bridge', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {}, sampling: {} } },
    );
    client.setRequestHandler('elicitation/create', async (r) => {
      asked.push(r.params.message);
      return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
    });
    client.setRequestHandler('sampling/createMessage', async () => {
      asked.push('sampling');
      return { role: 'assistant', model: 'e2e-model', content: { type: 'text', text: 'a sampled answer' } };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${mesh.url.replace(/\/mcp$/, '')}${path}`), {
        requestInit: { headers: { 'x-api-key': mesh.adminKey } },
      }),
    );
    return { client, asked };
  }

  it("gives a 2026-07-28 client the server's elicitation as input_required on /mcp; the retry reaches its session", async () => {
    const { client, asked } = await modernClient('/mcp');
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('bridged__test_elicitation');
      const r = await client.callTool({ name: 'bridged__test_elicitation', arguments: { message: 'Who are you?' } });
      expect(asked).toEqual(['Who are you?']);
      expect(JSON.stringify(r.content)).toContain('User response: action=accept');
      expect(JSON.stringify(r.content)).toContain('ada@example.com');
    } finally {
      await client.close();
    }
  });

  it("does the same for sampling on /mcp/bridged, under the server's own names", async () => {
    const { client, asked } = await modernClient('/mcp/bridged');
    try {
      const r = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } });
      expect(asked).toEqual(['sampling']);
      expect(JSON.stringify(r.content)).toContain('LLM response: a sampled answer');
    } finally {
      await client.close();
    }
  });
});

describe('trace context through the mesh', () => {
  it("carries the client's traceparent to the server and writes its trace id at the gateway and the pod proxy", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const requestId = `trace-${Date.now()}`;
    const res = await mesh.post(
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'payment-service__get_health', arguments: {} } },
      { 'x-api-key': mesh.adminKey, traceparent, 'x-request-id': requestId },
    );
    expect(res.status).toBe(200);
    const [gateway] = (await mesh.waitForAudit([requestId])).filter((l) => l.request_id === requestId);
    const [pod] = (await mesh.waitForAudit([requestId], 'payment-service-proxy')).filter(
      (l) => l.request_id === requestId,
    );
    expect(gateway?.['trace_id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(pod?.['trace_id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('the aggregated /mcp', () => {
  it("lists the servers' tools as <service>__<tool>, as each caller may see them", async () => {
    const admin = await open('/mcp', mesh.adminKey);
    const readonly = await open('/mcp', mesh.readonlyKey);
    try {
      const all = (await admin.client.listTools()).tools.map((t) => t.name);
      expect(all).toEqual(
        expect.arrayContaining(['everything__echo', 'everything__get-env', 'payment-service__get_health']),
      );
      const mine = (await readonly.client.listTools()).tools.map((t) => t.name);
      expect(mine).toContain('everything__echo');
      expect(mine).not.toContain('everything__get-env');
      // server-everything lists its sampling and elicitation tools only to a client that can answer those requests;
      // the sessions its pod opens for the aggregated /mcp offer none, so they are listed on /mcp/everything only.
      expect(all).not.toContain('everything__trigger-sampling-request');
      expect(all).not.toContain('everything__trigger-elicitation-request');
    } finally {
      await admin.client.close();
      await readonly.client.close();
    }
  });

  it.each([
    ['2025-11-25', 'legacy' as const],
    ['2026-07-28', { pin: '2026-07-28' }],
  ])(
    'reaches the conformance server for prompts/get, resources/read and completion/complete as a %s client',
    async (_era, mode) => {
      const client = await aggregated(mode);
      try {
        const prompt = await client.getPrompt({ name: 'conformance__test_simple_prompt' });
        expect(JSON.stringify(prompt.messages)).toContain('simple prompt');
        const read = await client.readResource({ uri: 'meshmcp://conformance/test://static-text' });
        // The contents come back under the URI asked for, as a client expects of a read.
        expect(read.contents[0]).toMatchObject({ uri: 'meshmcp://conformance/test://static-text' });
        const done = await client.complete({
          ref: { type: 'ref/resource', uri: 'meshmcp://conformance/test://template/{id}/data' },
          argument: { name: 'id', value: '1' },
        });
        expect(done.completion.values.length).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
    },
  );
});

describe('server-everything (2025-11-25, sessions only) through the aggregated /mcp', () => {
  it.each([
    ['2025-11-25', 'legacy' as const],
    ['2026-07-28', { pin: '2026-07-28' }],
  ])(
    'answers a %s client: tools, prompts, resources and completions, each in a session its pod opens and ends',
    async (era, mode) => {
      // One request id for all of this client's requests, to find its audit lines at the pod's proxy.
      const requestId = `e2e-aggregated-everything-${era}`;
      const client = await aggregated(mode, { 'x-request-id': requestId });
      try {
        const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'aggregated' } });
        expect(text(echo)).toBe('Echo: aggregated');
        const prompt = await client.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Lima' } });
        expect(JSON.stringify(prompt.messages)).toContain('Lima');
        const listed = (await client.listResources()).resources.filter((r) =>
          r.uri.startsWith('meshmcp://everything/'),
        );
        expect(listed.length).toBeGreaterThan(0);
        const read = await client.readResource({ uri: listed[0]!.uri });
        expect(read.contents[0]?.uri).toBe(listed[0]!.uri);
        const done = await client.complete({
          ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
          argument: { name: 'department', value: 'S' },
        });
        expect(done.completion.values).toEqual(['Sales', 'Support']);
      } finally {
        await client.close();
      }
      // The pod's proxy metered each call by the server's own names.
      const lines = (await mesh.waitForAudit([requestId], 'everything-proxy')).filter(
        (l) => l.request_id === requestId,
      );
      expect(lines.find((l) => l.method === 'tools/call')).toMatchObject({ tool: 'echo', status: 'success' });
    },
  );
});

describe('resource subscriptions on the aggregated /mcp (2026-07-28 subscriptions/listen)', () => {
  it("relays a server's resource update to the listeners that asked for it, under its wrapped URI", async () => {
    const watched = 'meshmcp://conformance/test://watched-resource';
    const listener = await aggregated({ pin: '2026-07-28' });
    const updated: string[] = [];
    listener.setNotificationHandler('notifications/resources/updated', (n) => {
      updated.push(n.params.uri);
    });
    // A resource of no server of its own, and one of a server that is not in the catalog, are not honoured.
    const sub = await listener.listen({
      resourceSubscriptions: [watched, 'meshmcp://payment-service/x', 'meshmcp://nowhere/y'],
    });
    expect(sub.honoredFilter.resourceSubscriptions).toEqual([watched]);
    // Another client tells the server the resource changed (its own hook, on its own endpoint).
    const trigger = await aggregated('legacy');
    try {
      // The control service subscribes on its watch session as the listen stream opens: poll the hook until the
      // update arrives, as the subscription may land just after the acknowledgement.
      await until(
        'the update on the listen stream',
        () => updated.length > 0,
        async () => {
          await trigger.callTool({
            name: 'conformance__test_trigger_resource_update',
            arguments: { uri: 'test://watched-resource' },
          });
        },
      );
      expect(updated[0]).toBe(watched);
    } finally {
      await sub.close();
      await trigger.close();
      await listener.close();
    }
  });
});

describe('input-required results through the aggregated /mcp', () => {
  it('carry their request state to the client and the retry back to the same server, round after round', async () => {
    const client = new Client(
      { name: 'meshmcp-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {}, sampling: {} } },
    );
    let asked = 0;
    client.setRequestHandler('elicitation/create', async () => {
      asked++;
      return { action: 'accept', content: { name: 'Ada' } };
    });
    client.setRequestHandler('sampling/createMessage', async () => {
      asked++;
      return { role: 'assistant', model: 'e2e-model', content: { type: 'text', text: 'sampled' } };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mesh.url), {
        requestInit: { headers: { 'x-api-key': mesh.adminKey } },
      }),
    );
    try {
      const hello = await client.callTool({
        name: 'conformance__test_input_required_result_elicitation',
        arguments: {},
      });
      expect(text(hello)).toContain('Ada');
      const sampled = await client.callTool({
        name: 'conformance__test_input_required_result_sampling',
        arguments: {},
      });
      expect(text(sampled)).toContain('sampled');
      expect(asked).toBe(2);
    } finally {
      await client.close();
    }
  });
});

// These last two stop parts of the mesh.
describe('a control service restart', () => {
  it('leaves a session on a server of its own working: calls throughout, its lists again from the new one', async () => {
    const s = await open('/mcp/conformance', mesh.adminKey);
    const control = mesh.ports.control;
    // What `meshmcp dev` ran, started again as a new pod would be: any replica serves any request.
    const replacement = () =>
      spawn(
        process.execPath,
        [
          ...['bin/meshmcp.js', 'control', '--config', join(mesh.dir, 'mesh.yaml')],
          ...['--services-file', join(mesh.dir, 'services.yaml'), '--filter-config-dir', join(mesh.dir, 'filters')],
          ...['--port', String(control), '--allowed-origins', 'http://127.0.0.1:*,http://localhost:*'],
        ],
        { cwd: ROOT, stdio: 'ignore' },
      );
    try {
      expect((await s.client.listTools()).tools.length).toBeGreaterThan(0);
      await mesh.kill('control');
      expect(text(await s.client.callTool({ name: 'test_simple_text', arguments: {} }))).toContain('simple');
      await expect(s.client.listTools()).rejects.toThrow(/control service is unavailable/);
      restarted = replacement();
      const deadline = Date.now() + 60_000;
      while (
        !(await fetch(`http://127.0.0.1:${control}/readyz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline) throw new Error('the new control service did not get ready');
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await s.client.listTools()).tools.map((t) => t.name)).toContain('test_simple_text');
      expect(text(await s.client.callTool({ name: 'test_simple_text', arguments: {} }))).toContain('simple');
    } finally {
      await s.client.close();
    }
  });
});

describe('one server going away', () => {
  it('breaks neither the other servers nor the aggregated session: its calls read as its own failure', async () => {
    const client = await aggregated('legacy');
    try {
      await mesh.kill('everything');
      const down = await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
      expect(down.isError).toBe(true);
      expect(text(down)).toContain('everything');
      const up = await client.callTool({ name: 'conformance__test_simple_text', arguments: {} });
      expect(up.isError ?? false).toBe(false);
      const health = await client.callTool({ name: 'payment-service__get_health', arguments: {} });
      expect(health.isError ?? false).toBe(false);
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
