// logs__trace_request in the local mesh (`npm start`): calls with a known x-request-id go through the gateway to the
// demo services, whose sidecars pass the id to their apps, which log it; then a caller traces the id with the real MCP
// SDK client. The logs pack fans out through the gateway with its delegate key, as that caller: the admin sees every
// service, the read-only caller (whose policy denies payment-service's logs) not payment-service, and the gateway's
// audit names the caller with via for each fan-out call.
// @module-tag openssl
import { randomBytes } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuditLine, type Mesh, SERVICES, startMesh } from './support/mesh.js';

// A mesh takes ~10 s to start on 2 idle cores and longer beside other test files; real clients take seconds a call.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let mesh: Mesh;
const ID = `e2e-trace-${randomBytes(6).toString('hex')}`;

/** One call through the gateway per demo service, each carrying ID as its x-request-id. */
const TRACED: Array<[string, Record<string, unknown>]> = [
  ['payment-service__check_transaction_status', { id: 'tx_12345' }],
  ['user-service__get_user', { id: 'u_1001' }],
  ['mqtt-publisher__check_hivemq_connection', {}],
];

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
  for (const [name, args] of TRACED) {
    const r = await mesh.post(
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
      { 'x-api-key': mesh.adminKey, 'x-request-id': ID },
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json.result.isError ?? false, r.text).toBe(false);
  }
});

afterAll(async () => {
  if (!mesh) return;
  const { code, output, leftover } = await mesh.stop();
  expect(code, output.slice(-3000)).toBe(0);
  expect(leftover).toEqual([]);
});

interface Traced {
  services: Array<{ service: string; status: string; lines: number; reason?: string }>;
  lines: Array<{ service: string; time: string | null; level: string | null; text: string }>;
}

async function trace(key: string): Promise<{ isError: boolean; text: string; traced: Traced }> {
  const client = new Client({ name: 'meshmcp-e2e', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mesh.url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  try {
    const r = await client.callTool({ name: 'logs__trace_request', arguments: { request_id: ID } });
    return {
      isError: r.isError === true,
      text: (r.content as Array<{ text: string }>)[0]!.text,
      traced: r.structuredContent as unknown as Traced,
    };
  } finally {
    await client.close();
  }
}

describe('logs__trace_request in the local mesh', () => {
  it('finds the id in every demo service’s logs and merges the lines by time', async () => {
    const { isError, text, traced } = await trace(mesh.adminKey);
    expect(isError, text).toBe(false);
    const row = (s: string) => traced.services.find((x) => x.service === s);
    for (const s of SERVICES) expect(row(s), text).toMatchObject({ status: 'found' });
    const from = new Set(traced.lines.map((l) => l.service));
    expect([...from].sort()).toEqual([...SERVICES].sort());
    for (const l of traced.lines) {
      expect(l.text).toContain(ID);
      expect(l.time).not.toBeNull();
    }
    const times = traced.lines.map((l) => Date.parse(l.time!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The calls were made in TRACED's order, so the apps logged them in that order.
    const firstOf = (s: string) => traced.lines.findIndex((l) => l.service === s);
    expect(firstOf('payment-service')).toBeLessThan(firstOf('user-service'));
    expect(firstOf('user-service')).toBeLessThan(firstOf('mqtt-publisher'));
  });

  it('with the caller’s rights: the read-only caller may not read payment-service’s logs, so gets none of them', async () => {
    const { isError, text, traced } = await trace(mesh.readonlyKey);
    expect(isError, text).toBe(false);
    expect(traced.services.map((s) => s.service)).not.toContain('payment-service');
    expect(traced.lines.some((l) => l.service === 'payment-service')).toBe(false);
    expect(traced.services.find((s) => s.service === 'user-service')).toMatchObject({ status: 'found' });
    // Called directly, payment-service's logs are denied to this caller as an unknown tool, as through the pack.
    const direct = await mesh.post(
      { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'payment-service__get_logs', arguments: {} } },
      { 'x-api-key': mesh.readonlyKey },
    );
    expect(direct.json.error).toMatchObject({ code: -32602 });
  });

  it('the gateway audits each fan-out call as the caller, via the logs pack; the pods see the caller', async () => {
    const before = new Set(mesh.audit().map((l) => JSON.stringify(l)));
    await trace(mesh.adminKey);
    let fanOut: AuditLine[] = [];
    await vi.waitFor(
      () => {
        fanOut = mesh.audit().filter((l) => l.via !== undefined && !before.has(JSON.stringify(l)));
        expect(fanOut.filter((l) => l.tool === 'get_logs')).toHaveLength(SERVICES.length);
      },
      { timeout: 15_000, interval: 100 },
    );
    for (const l of fanOut) {
      expect(l).toMatchObject({ client: 'dev-admin', via: 'dev-logs-pack', groups: ['mcp-admin'], decision: 'allow' });
    }
    expect(fanOut.map((l) => l.method)).toContain('tools/list');
    const ids = fanOut.filter((l) => l.service === 'payment-service').map((l) => l.request_id);
    const pod = (await mesh.waitForAudit(ids, 'payment-service-proxy')).filter((l) => ids.includes(l.request_id));
    expect(pod).toHaveLength(1);
    expect(pod[0]).toMatchObject({ mode: 'sidecar', client: 'dev-admin', tool: 'get_logs' });
  });

  it('called on the pack’s own port, without the gateway naming a caller, it refuses and says why', async () => {
    const res = await fetch(`http://127.0.0.1:${mesh.ports.logsPack}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'trace_request', arguments: { request_id: ID } },
      }),
    });
    const body = (await res.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0]?.text).toContain('through the meshmcp gateway');
  });
});
