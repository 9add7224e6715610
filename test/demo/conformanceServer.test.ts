// The official MCP conformance suite against demo/conformanceServer.ts, once per protocol revision: every scenario
// the revision requires passes, except those test/demo/conformance-baseline.yaml names. Then the tasks extension's
// scenarios, which no revision requires: every one passes. Last, what the suite does not look at: which check answers
// first when a task-only tool is called badly, the extension staying out of 2025-11-25, and close() stopping tasks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConformanceServer, startConformanceServer } from '../../demo/conformanceServer.js';
import { baseline as baselineOf, failed, failures, required, results, runSuite } from '../support/conformanceSuite.js';
import { modernRequest } from '../support/rawRpc.js';
import { TASKS_SCENARIOS } from '../support/tasksScenarios.js';

const BASELINE = path.resolve('test/demo/conformance-baseline.yaml');
const baseline = () => baselineOf(BASELINE);

describe('conformance server under the official MCP conformance suite', () => {
  let server: RunningConformanceServer;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startConformanceServer({ port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each(['2025-11-25', '2026-07-28'])(
    'passes every scenario %s requires that the baseline does not name',
    async (revision) => {
      const out = mkdtempSync(path.join(tmpdir(), `conformance-${revision}-`));
      dirs.push(out);
      const run = await runSuite([
        'server',
        '--url',
        server.url,
        '--requirements',
        revision,
        '--expected-failures',
        BASELINE,
        '-o',
        out,
      ]);
      const scenarios = required(revision);
      const checks = results(out, scenarios);
      const expectedFailures = baseline().filter((s) => scenarios.includes(s));

      expect(
        scenarios.filter((s) => !checks.has(s)),
        'required scenarios that wrote no checks.json',
      ).toEqual([]);
      const failing = scenarios.filter((s) => failed(checks.get(s) ?? []));
      expect(failing.sort(), JSON.stringify(failures(checks, scenarios), null, 2)).toEqual(expectedFailures.sort());
      // --expected-failures makes the exit code 0 exactly when the required scenarios match the baseline.
      expect(run.code, run.output.slice(-4000)).toBe(0);
    },
    300_000,
  );

  it('passes every scenario of the tasks extension (SEP-2663)', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'conformance-tasks-'));
    dirs.push(out);
    const scenarios = [...TASKS_SCENARIOS];
    // One scenario per run (the suite takes a single --scenario), one after another on the same server.
    const exits: Record<string, number | null> = {};
    for (const scenario of scenarios) {
      const run = await runSuite(['server', '--url', server.url, '--scenario', scenario, '-o', out]);
      exits[scenario] = run.code;
    }
    const checks = results(out, scenarios);

    expect(
      scenarios.filter((s) => !checks.has(s)),
      'tasks scenarios that wrote no checks.json',
    ).toEqual([]);
    const failing = scenarios.filter((s) => failed(checks.get(s) ?? []));
    expect(failing, JSON.stringify(failures(checks, scenarios), null, 2)).toEqual([]);
    expect(exits).toEqual(Object.fromEntries(scenarios.map((s) => [s, 0])));
  }, 300_000);
});

const TASKS = 'io.modelcontextprotocol/tasks';

/** One 2026-07-28 tools/call, tasks/get or tasks/cancel as raw HTTP, declaring the tasks extension unless told. */
async function modern(
  url: string,
  method: string,
  params: Record<string, unknown>,
  opts: { name?: string; tasks?: boolean; capabilities?: Record<string, unknown> } = {},
): Promise<{ status: number; body: Record<string, any> }> {
  const capabilities = opts.capabilities ?? (opts.tasks === false ? {} : { extensions: { [TASKS]: {} } });
  const r = await modernRequest(url, method, params, {
    ...(opts.name === undefined ? {} : { name: opts.name }),
    capabilities,
  });
  return { status: r.status, body: r.body ?? {} };
}

describe('the tasks extension at the edge of the conformance server', () => {
  let server: RunningConformanceServer;

  beforeAll(async () => {
    server = await startConformanceServer({ port: 0 });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers a task-only tool called without the extension with 400 -32021, after the header checks', async () => {
    const call = { name: 'failing_job', arguments: {} };
    const refused = await modern(server.url, 'tools/call', call, { name: 'failing_job', tasks: false });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
    });
    // A mismatched Mcp-Name is the header check's to answer, as for any other tool.
    const mismatched = await modern(server.url, 'tools/call', call, { name: 'greet', tasks: false });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.error?.code).toBe(-32020);
    // Declared, the same call is a task.
    const created = await modern(server.url, 'tools/call', call, { name: 'failing_job' });
    expect(created.body.result).toMatchObject({ resultType: 'task', status: 'working' });
  });

  it('runs a task-supporting tool inline without the extension, asking for input with an input_required result', async () => {
    const ask = await modern(
      server.url,
      'tools/call',
      { name: 'confirm_delete', arguments: { filename: 'a.txt' } },
      { name: 'confirm_delete', capabilities: { elicitation: {} } },
    );
    expect(ask.body.result?.resultType).toBe('input_required');
    expect(Object.keys(ask.body.result?.inputRequests ?? {})).toEqual(['confirm']);
    const done = await modern(
      server.url,
      'tools/call',
      {
        name: 'confirm_delete',
        arguments: { filename: 'a.txt' },
        inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
        ...(ask.body.result?.requestState ? { requestState: ask.body.result.requestState } : {}),
      },
      { name: 'confirm_delete', capabilities: { elicitation: {} } },
    );
    expect(done.body.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'Deleted a.txt' }],
    });
    const broken = await modern(
      server.url,
      'tools/call',
      { name: 'protocol_error_job', arguments: {} },
      {
        name: 'protocol_error_job',
        tasks: false,
      },
    );
    // Inline, the SDK reports what a tool handler throws as a tool error.
    expect(broken.body.result?.isError).toBe(true);
    expect(JSON.stringify(broken.body.result?.content)).toContain('protocol_error_job failed on purpose');
  });

  it('does not offer the extension on 2025-11-25', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'legacy', version: '1' } },
      }),
    });
    const text = await res.text();
    const data = text.split('\n').find((l) => l.startsWith('data: '));
    const init = JSON.parse(data ? data.slice(6) : text) as Record<string, any>;
    expect(init.result?.protocolVersion).toBe('2025-11-25');
    expect(init.result?.capabilities).not.toHaveProperty('extensions');
    await fetch(server.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': res.headers.get('mcp-session-id') ?? '' },
    });
  });

  it('stops its tasks on close()', async () => {
    const own = await startConformanceServer({ port: 0 });
    const slow = await modern(
      own.url,
      'tools/call',
      { name: 'slow_compute', arguments: { seconds: 60 } },
      {
        name: 'slow_compute',
      },
    );
    const taskId: string = slow.body.result?.taskId;
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await modern(own.url, 'tasks/get', { taskId }, { name: taskId });
    expect(got.body.result).toMatchObject({ taskId, status: 'working', resultType: 'complete' });
    expect(own.tasks()).toBe(1);
    await own.close();
    expect(own.tasks()).toBe(0);
  });
});
