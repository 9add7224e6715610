// Task ids of the 2026-07-28 tasks extension through the compiled gateway filter: a server's task id goes out as
// `t1.<service>.<mac>.<id>` (mac: an HMAC of the caller, the service and the id under a MESHMCP_SESSION_KEYS key),
// tasks/get|update|cancel are routed by it (on /mcp as on /mcp/<service>) and reach the server with its own id in
// params.taskId and Mcp-Name; anyone else's, a forged or a bare id is an unknown task (-32602), never forwarded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
  SESSION_KEY_B,
} from './harness.js';

const MODERN = '2026-07-28';

function config(): Json {
  const c = example('gateway');
  c.services.push(
    {
      name: 'conformance',
      namespace: 'tools',
      host: 'conformance-mcp.tools.svc.cluster.local',
      port: 3000,
      tools: ['slow_compute', 'greet'],
      upstream: { path: '/mcp', stateless: true },
    },
    {
      name: 'everything',
      namespace: 'tools',
      host: 'everything-mcp.tools.svc.cluster.local',
      port: 3001,
      tools: ['echo'],
      upstream: { path: '/mcp' },
    },
  );
  c.rateLimits = undefined;
  return adaAndBob(c);
}

const TASKS_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
};

/** A 2026-07-28 request's headers on a path, for a caller's key. */
const modern = (key: string, path: string, method: string, name?: string) => ({
  'x-api-key': key,
  ':path': path,
  'mcp-protocol-version': MODERN,
  'mcp-method': method,
  ...(name === undefined ? {} : { 'mcp-name': name }),
});

const created = (id: string) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    result: { resultType: 'task', taskId: id, status: 'working', createdAt: 'x', lastUpdatedAt: 'x', ttlMs: 60000 },
  });

const answer =
  (body: string | string[], type = 'application/json') =>
  () => ({
    headers: { ':status': '200', 'content-type': type, 'content-length': '999' },
    body,
  });

const responseText = (r: ReturnType<typeof post>) => Buffer.from(r.response!.body).toString();

describe('task ids of the tasks extension', () => {
  it("hands out a created task's id bound to the caller, on the aggregated /mcp", async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const r = post(p, rpc('tools/call', { name: 'conformance__slow_compute', arguments: {}, _meta: TASKS_META }), {
      headers: modern(ADA_KEY, '/mcp', 'tools/call', 'conformance__slow_compute'),
      upstream: answer(created('task-1')),
    });
    expect(r.localReply).toBeUndefined();
    const result = JSON.parse(responseText(r)).result;
    expect(result.taskId).toBe(handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'task-1'));
    expect(result.status).toBe('working');
    // The answer grew, so its old length cannot stand.
    expect(r.response!.headers.find(([k]) => k === 'content-length')).toBeUndefined();
  });

  it('routes tasks/get, tasks/update and tasks/cancel by the id to its server, with its own id', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const id = handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'task-1');
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      for (const path of ['/mcp', '/mcp/conformance']) {
        const params = { taskId: id, ...(method === 'tasks/update' ? { inputResponses: {} } : {}), _meta: TASKS_META };
        const r = post(p, rpc(method, params), {
          headers: modern(ADA_KEY, path, method, id),
          upstream: answer(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { taskId: 'task-1', status: 'working' } })),
        });
        expect(r.localReply, `${method} on ${path}`).toBeUndefined();
        expect(header(r, 'x-meshmcp-service')).toBe('conformance');
        expect(header(r, ':path')).toBe('/mcp');
        expect(header(r, 'mcp-name')).toBe('task-1');
        const sent = JSON.parse(Buffer.from(r.forwarded!.body).toString());
        expect(sent.params.taskId).toBe('task-1');
        expect(header(r, 'content-length')).toBe(String(r.forwarded!.body.length));
        expect(JSON.parse(responseText(r)).result.taskId).toBe(id);
      }
    }
    // Metered under the task's service and the method's own label.
    const m = p.metrics();
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      expect(m[`wasmcustom.mcp_gateway_requests_total.service.conformance.tool.${method}.status.success`]?.value).toBe(
        2,
      );
    }
  });

  it("refuses another caller's, a forged, a bare and another server's task id as unknown, forwarding nothing", async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const id = handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'task-1');
    const cases: Array<[string, string, string]> = [
      [BOB_KEY, '/mcp', id],
      [
        ADA_KEY,
        '/mcp',
        id.replace(/^t1\.conformance\.[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`),
      ],
      [ADA_KEY, '/mcp', 'task-1'],
      [ADA_KEY, '/mcp', handedOutTaskId(null, 'ada', 'conformance', 'task-1')],
      [ADA_KEY, '/mcp/everything', id],
      [ADA_KEY, '/mcp', handedOutTaskId(SESSION_KEY_A, 'ada', 'billing', 'task-1')],
    ];
    for (const [key, path, taskId] of cases) {
      const r = post(p, rpc('tasks/get', { taskId, _meta: TASKS_META }), {
        headers: modern(key, path, 'tasks/get', taskId),
      });
      expect(r.forwarded, `${taskId} on ${path}`).toBeUndefined();
      const reply = replyJson(r);
      expect(reply.error.code).toBe(-32602);
      expect(reply.error.message).toBe(`Unknown task: ${taskId}`);
    }
  });

  it('answers -32021 to a task method that does not declare the extension, whatever the id, forwarding nothing', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const id = handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'task-1');
    for (const [path, taskId] of [
      ['/mcp', id],
      ['/mcp/conformance', id],
      ['/mcp/conformance', 'a-probe-id'],
    ] as const) {
      const r = post(p, rpc('tasks/get', { taskId }), { headers: modern(ADA_KEY, path, 'tasks/get', taskId) });
      expect(r.forwarded).toBeUndefined();
      expect(r.response?.status).toBe(400);
      const reply = replyJson(r);
      expect(reply.error.code).toBe(-32021);
      expect(reply.error.data).toEqual({
        requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } },
      });
    }
    expect(
      p.metrics()['wasmcustom.mcp_gateway_requests_total.service.unknown.tool.tasks/get.status.missing_capability']
        ?.value,
    ).toBe(3);
  });

  it('checks Mcp-Name against params.taskId, as a 2026-07-28 server must', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const id = handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'task-1');
    for (const name of ['other', undefined]) {
      const r = post(p, rpc('tasks/get', { taskId: id, _meta: TASKS_META }), {
        headers: modern(ADA_KEY, '/mcp/conformance', 'tasks/get', name),
      });
      expect(r.forwarded).toBeUndefined();
      expect(r.response?.status).toBe(400);
      expect(replyJson(r).error.code).toBe(-32020);
    }
  });

  it('rotates: ids handed out under an older key still open', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: `${SESSION_KEY_B},${SESSION_KEY_A}` } });
    const old = handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'task-9');
    const r = post(p, rpc('tasks/get', { taskId: old, _meta: TASKS_META }), {
      headers: modern(ADA_KEY, '/mcp', 'tasks/get', old),
      upstream: answer(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { taskId: 'task-9' } })),
    });
    expect(header(r, 'mcp-name')).toBe('task-9');
    expect(JSON.parse(responseText(r)).result.taskId).toBe(
      handedOutTaskId(SESSION_KEY_B, 'ada', 'conformance', 'task-9'),
    );
  });

  it('without keys the id only routes: t1.<service>..<id>', async () => {
    const p = await gateway(config());
    const r = post(p, rpc('tools/call', { name: 'conformance__slow_compute', arguments: {}, _meta: TASKS_META }), {
      headers: modern(ADA_KEY, '/mcp', 'tools/call', 'conformance__slow_compute'),
      upstream: answer(created('task-2')),
    });
    const id = JSON.parse(responseText(r)).result.taskId;
    expect(id).toBe('t1.conformance..task-2');
    const get = post(p, rpc('tasks/get', { taskId: id, _meta: TASKS_META }), {
      headers: modern(BOB_KEY, '/mcp', 'tasks/get', id),
    });
    expect(header(get, 'mcp-name')).toBe('task-2');
  });

  it('leaves answers alone where no task can be: no extension declared, or an older revision', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const body = created('task-3');
    const plain = post(p, rpc('tools/call', { name: 'slow_compute', arguments: {} }), {
      headers: modern(ADA_KEY, '/mcp/conformance', 'tools/call', 'slow_compute'),
      upstream: answer(body),
    });
    expect(responseText(plain)).toBe(body);
    // A 2025-11-25 tasks/get belongs to the server's session (already bound to the caller): passed as it is.
    const legacy = post(p, rpc('tasks/get', { taskId: 'task-3' }), {
      headers: { 'x-api-key': ADA_KEY, ':path': '/mcp/everything', 'mcp-protocol-version': '2025-11-25' },
      upstream: answer(body),
    });
    expect(JSON.parse(Buffer.from(legacy.forwarded!.body).toString()).params.taskId).toBe('task-3');
    expect(responseText(legacy)).toBe(body);
  });

  it('passes a task id it cannot carry (an escape, or longer than 256 bytes) as the server wrote it', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    for (const id of ['with "quote"', 'x'.repeat(300)]) {
      const body = created(id);
      const r = post(p, rpc('tools/call', { name: 'slow_compute', arguments: {}, _meta: TASKS_META }), {
        headers: modern(ADA_KEY, '/mcp/conformance', 'tools/call', 'slow_compute'),
        upstream: answer(body),
      });
      expect(responseText(r)).toBe(body);
    }
  });

  it('hands out every taskId member of an answer, in any number of chunks, JSON or SSE (property)', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const idChars = fc.constantFrom(...'abcdefXYZ0123456789-_:.'.split(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(idChars, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        async (idParts, cuts, sse) => {
          const ids = idParts.map((c) => c.join(''));
          const message = JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            result: {
              resultType: 'task',
              taskId: ids[0],
              note: 'a "taskId":"x" inside a string',
              more: ids.slice(1).map((taskId) => ({ taskId })),
            },
          });
          const text = sse ? `event: message\ndata: ${message}\n\n` : message;
          const at = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((from, i) => text.slice(from, [...at, text.length][i]));
          const r = post(
            p,
            rpc('tasks/get', { taskId: handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'q'), _meta: TASKS_META }),
            {
              headers: modern(ADA_KEY, '/mcp', 'tasks/get', handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', 'q')),
              upstream: answer(chunks, sse ? 'text/event-stream' : 'application/json'),
            },
          );
          const out = responseText(r);
          const json = JSON.parse(
            sse
              ? out
                  .split('\n')
                  .find((l) => l.startsWith('data: '))!
                  .slice(6)
              : out,
          );
          expect(json.result.taskId).toBe(handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', ids[0]!));
          expect(json.result.note).toBe('a "taskId":"x" inside a string');
          expect(json.result.more.map((m: Json) => m.taskId)).toEqual(
            ids.slice(1).map((id) => handedOutTaskId(SESSION_KEY_A, 'ada', 'conformance', id)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
