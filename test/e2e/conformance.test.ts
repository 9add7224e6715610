// The official MCP conformance suite through the local mesh's gateway. /mcp/conformance must score what the
// conformance test server scores directly, for both revisions, so the gateway is judged as a proxy; the aggregated
// /mcp must pass every scenario that does not depend on the test server's own names (with the checks that do in
// conformance-aggregated-baseline.yaml). The suite cannot send credentials, so a loopback forwarder adds the
// gateway API key and passes everything else as sent.
// @module-tag openssl
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { failed, failures, required, results, runSuite } from '../support/conformanceSuite.js';
import { type Forwarder, startCredentialForwarder } from '../support/credentialForwarder.js';
import { modernRequest } from '../support/rawRpc.js';
import { TASKS_SCENARIOS } from '../support/tasksScenarios.js';
import { type Mesh, startMesh } from './support/mesh.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

const AGGREGATED_BASELINE = path.resolve('test/e2e/conformance-aggregated-baseline.yaml');
/** The aggregated endpoint's scenarios, per revision: those the issue of record names, at each revision they apply to. */
const AGGREGATED: Array<[string, string]> = [
  ...['server-initialize', 'ping', 'logging-set-level', 'tools-list', 'prompts-list', 'resources-list'].map(
    (s) => [s, '2025-11-25'] as [string, string],
  ),
  ['dns-rebinding-protection', '2025-11-25'],
  ...['tools-list', 'prompts-list', 'resources-list', 'caching', 'http-header-validation', 'server-stateless'].map(
    (s) => [s, '2026-07-28'] as [string, string],
  ),
  ['dns-rebinding-protection', '2026-07-28'],
];

let mesh: Mesh;
let forwarder: Forwarder;
const dirs: string[] = [];

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
  forwarder = await startCredentialForwarder(mesh.url.replace(/\/mcp$/, ''), ['x-api-key', mesh.adminKey]);
});

afterAll(async () => {
  await forwarder?.close();
  if (mesh) {
    const { code, output } = await mesh.stop();
    expect(code, output.slice(-3000)).toBe(0);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function outDir(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `conformance-${name}-`));
  dirs.push(d);
  return d;
}

describe('the conformance suite through the gateway', () => {
  it.each(['2025-11-25', '2026-07-28'])(
    '/mcp/conformance passes every scenario %s requires that the server passes directly',
    async (revision) => {
      const scenarios = required(revision);
      // The conformance server's own port: the second of the local mesh's MCP servers of their own.
      const direct = `http://127.0.0.1:${mesh.ports.upstream + 1}/mcp`;
      const directOut = outDir(`direct-${revision}`);
      const gatewayOut = outDir(`gateway-${revision}`);
      const [a, b] = await Promise.all([
        runSuite(['server', '--url', direct, '--requirements', revision, '-o', directOut]),
        runSuite(['server', '--url', `${forwarder.url}/mcp/conformance`, '--requirements', revision, '-o', gatewayOut]),
      ]);
      const straight = results(directOut, scenarios);
      const through = results(gatewayOut, scenarios);
      expect(
        scenarios.filter((s) => !straight.has(s) || !through.has(s)),
        `${a.output}\n${b.output}`,
      ).toEqual([]);
      const passDirect = scenarios.filter((s) => !failed(straight.get(s)!));
      const lost = passDirect.filter((s) => failed(through.get(s)!));
      expect(lost, JSON.stringify(failures(through, lost), null, 2)).toEqual([]);
      // The server passes them all directly (test/demo/conformanceServer.test.ts), so all pass through the gateway.
      expect(passDirect).toEqual(scenarios);
      // The gateway audited the suite's calls under the forwarder's key.
      expect(mesh.audit().some((l) => l.service === 'conformance' && l.client === 'dev-admin')).toBe(true);
    },
  );

  it('/mcp/conformance passes every tasks-extension scenario the server passes directly', async () => {
    // The extension is in no revision's requirement set: one --scenario per run, directly and through the gateway.
    const direct = `http://127.0.0.1:${mesh.ports.upstream + 1}/mcp`;
    const directOut = outDir('tasks-direct');
    const gatewayOut = outDir('tasks-gateway');
    const outputs: string[] = [];
    for (const scenario of TASKS_SCENARIOS) {
      const [a, b] = await Promise.all([
        runSuite(['server', '--url', direct, '--scenario', scenario, '-o', directOut]),
        runSuite(['server', '--url', `${forwarder.url}/mcp/conformance`, '--scenario', scenario, '-o', gatewayOut]),
      ]);
      outputs.push(a.output.slice(-1500), b.output.slice(-1500));
    }
    const straight = results(directOut, [...TASKS_SCENARIOS]);
    const through = results(gatewayOut, [...TASKS_SCENARIOS]);
    expect(
      TASKS_SCENARIOS.filter((s) => !straight.has(s) || !through.has(s)),
      outputs.join('\n'),
    ).toEqual([]);
    const passDirect = TASKS_SCENARIOS.filter((s) => !failed(straight.get(s)!));
    expect(passDirect).toEqual([...TASKS_SCENARIOS]);
    const lost = passDirect.filter((s) => failed(through.get(s)!));
    expect(lost, JSON.stringify(failures(through, lost), null, 2)).toEqual([]);
    // The gateway routed the suite's task methods to the server (audited).
    expect(mesh.audit().some((l) => l.service === 'conformance' && l.method === 'tasks/get')).toBe(true);
  });

  it("the aggregated /mcp passes the scenarios that do not depend on the test server's own names", async () => {
    const wrong: string[] = [];
    for (const [scenario, revision] of AGGREGATED) {
      const out = outDir(`aggregated-${scenario}`);
      const run = await runSuite([
        'server',
        ...['--url', `${forwarder.url}/mcp`, '--scenario', scenario, '--spec-version', revision],
        ...['--expected-failures', AGGREGATED_BASELINE, '-o', out],
      ]);
      const checks = results(out, [scenario]).get(scenario);
      if (run.code !== 0 || checks === undefined) {
        wrong.push(`${scenario} (${revision}): exit ${run.code}\n${run.output.slice(-2500)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** One 2026-07-28 request to the gateway that declares the tasks extension, as a caller's key. */
function modernRpc(path: string, key: string, method: string, params: Record<string, unknown>, name?: string) {
  return modernRequest(`${mesh.url.replace(/\/mcp$/, '')}${path}`, method, params, {
    ...(name === undefined ? {} : { name }),
    capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } },
    headers: { 'x-api-key': key },
  });
}

describe('tasks of the 2026-07-28 tasks extension on the aggregated /mcp', () => {
  it('advertises the extension, hands out a task id bound to the caller, and routes tasks/get and tasks/cancel by it', async () => {
    const discover = await modernRpc('/mcp', mesh.adminKey, 'server/discover', {});
    expect(discover.body?.result?.capabilities?.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });

    const call = await modernRpc(
      '/mcp',
      mesh.adminKey,
      'tools/call',
      { name: 'conformance__slow_compute', arguments: { seconds: 1, label: 'e2e' } },
      'conformance__slow_compute',
    );
    expect(call.body?.result?.resultType, JSON.stringify(call.body)).toBe('task');
    const taskId: string = call.body!.result.taskId;
    expect(taskId).toMatch(/^t1\.conformance\.[0-9a-f]{32}\./);

    let task: Record<string, any> | undefined;
    for (let i = 0; i < 50; i++) {
      task = (await modernRpc('/mcp', mesh.adminKey, 'tasks/get', { taskId }, taskId)).body?.result;
      if (task?.status !== 'working') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(task?.taskId).toBe(taskId);
    expect(task?.status, JSON.stringify(task)).toBe('completed');
    expect(task?.result?.content?.[0]?.type).toBe('text');

    // Another caller holding the id: an unknown task, never forwarded (the audit shows the refusal at the gateway).
    const stolen = await modernRpc('/mcp', mesh.readonlyKey, 'tasks/get', { taskId }, taskId);
    expect(stolen.body?.error?.code).toBe(-32602);
    expect(stolen.body?.error?.message).toBe(`Unknown task: ${taskId}`);

    // A running task is cancelled through the same routing.
    const slow = await modernRpc(
      '/mcp',
      mesh.adminKey,
      'tools/call',
      { name: 'conformance__slow_compute', arguments: { seconds: 30, label: 'e2e-cancel' } },
      'conformance__slow_compute',
    );
    const slowId: string = slow.body!.result.taskId;
    const cancel = await modernRpc('/mcp', mesh.adminKey, 'tasks/cancel', { taskId: slowId }, slowId);
    expect(cancel.body?.result?.resultType, JSON.stringify(cancel.body)).toBe('complete');
    expect(cancel.body?.result?.taskId).toBeUndefined();
    const after = await modernRpc('/mcp', mesh.adminKey, 'tasks/get', { taskId: slowId }, slowId);
    expect(after.body?.result?.status).toBe('cancelled');
    // The pod's proxy audited the task methods as the server saw them.
    expect(mesh.audit().some((l) => l.service === 'conformance' && l.method === 'tasks/get')).toBe(true);
  });
});
