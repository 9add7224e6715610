// What the gateway refuses in the local mesh, each with the HTTP status and JSON-RPC error of DESIGN.md contract 6,
// and what it records: every request of this file gets its own x-request-id, and the last test checks that each one
// produced exactly one audit line and that the gateway's metrics moved by exactly these requests.
// @module-tag openssl
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Mesh, metricsDelta, type RawResponse, startMesh } from './support/mesh.js';

// A mesh takes ~10 s to start on 2 idle cores and longer beside other test files; real clients take seconds a call.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let mesh: Mesh;
let metricsBefore: Map<string, number>;
let auditBefore: number;

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
  metricsBefore = await mesh.metrics();
  auditBefore = mesh.audit().length;
});

afterAll(async () => {
  if (!mesh) return;
  const { code, output, leftover } = await mesh.stop();
  expect(output).toContain('stopped.');
  expect(code, output.slice(-3000)).toBe(0);
  expect(leftover).toEqual([]);
});

/** What one request should leave behind: its audit status and HTTP status, and the labels it is metered under. */
interface Expect {
  status: string;
  http: number;
  service?: string;
  tool?: string;
}

const run = randomBytes(4).toString('hex');
const sent: Array<{ id: string; expect: Expect }> = [];

/** One POST through the gateway with a fresh x-request-id, recorded for the audit and metrics check at the end. */
async function send(
  body: unknown,
  headers: Record<string, string>,
  expect: Expect,
): Promise<RawResponse & { id: string }> {
  const id = `e2e-${run}-${sent.length + 1}`;
  sent.push({ id, expect });
  return { ...(await mesh.post(body, { 'x-request-id': id, ...headers })), id };
}

const call = (name: string, args: Record<string, unknown> = {}, id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
const admin = () => ({ authorization: `Bearer ${mesh.adminKey}` });
const readonly = () => ({ 'x-api-key': mesh.readonlyKey });

/** contract 6: a refusal is a JSON-RPC error body with the given code. */
function refused(r: RawResponse, http: number, code: number): void {
  expect(r.status, r.text).toBe(http);
  expect(r.headers.get('content-type')).toContain('application/json');
  expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code } });
}

describe('authentication', () => {
  it('no key: 401, -32001, and a WWW-Authenticate challenge naming the resource metadata', async () => {
    const r = await send(call('payment-service__get_health', {}, 7), {}, { status: 'unauthenticated', http: 401 });
    refused(r, 401, -32001);
    const challenge = r.headers.get('www-authenticate') ?? '';
    const prm = /^Bearer resource_metadata="([^"]+)"$/.exec(challenge)?.[1];
    expect(prm, challenge).toBe(`${new URL(mesh.url).origin}/.well-known/oauth-protected-resource`);
    // The metadata itself is served without credentials (RFC 9728: it is how a client learns to authenticate).
    const meta = await fetch(prm!);
    expect(meta.status).toBe(200);
    expect(await meta.json()).toMatchObject({ resource: mesh.url, bearer_methods_supported: ['header'] });
  });

  it('a key that is no key is the same 401, whichever header carries it', async () => {
    const headers: Array<Record<string, string>> = [
      { 'x-api-key': 'not-a-key-0000' },
      { authorization: 'Bearer not-a-key-0000' },
    ];
    for (const h of headers) {
      const r = await send(call('payment-service__get_health'), h, { status: 'unauthenticated', http: 401 });
      refused(r, 401, -32001);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
    }
  });

  it('the admin key works as a Bearer token and as x-api-key', async () => {
    const headers: Array<Record<string, string>> = [admin(), { 'x-api-key': mesh.adminKey }];
    for (const h of headers) {
      const r = await send(call('payment-service__get_health'), h, {
        status: 'success',
        http: 200,
        service: 'payment-service',
        tool: 'get_health',
      });
      expect(r.status).toBe(200);
      expect(r.json.result.content[0].text).toMatch(/^HEALTHY/);
    }
  });
});

describe('the read-only group', () => {
  it('does not see retry_failed_payment in tools/list, and sees the rest', async () => {
    const r = await send({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, readonly(), {
      status: 'success',
      http: 200,
      service: 'meshmcp-control',
      tool: 'tools/list',
    });
    expect(r.status).toBe(200);
    const names = (r.json.result.tools as Array<{ name: string }>).map((t) => t.name);
    expect(names).toContain('payment-service__check_transaction_status');
    expect(names).not.toContain('payment-service__retry_failed_payment');
  });

  it('calling retry_failed_payment is denied as an unknown tool (200, -32602), and nothing reaches the pod', async () => {
    const r = await send(call('payment-service__retry_failed_payment', { id: 'tx_failed_1' }, 'deny-1'), readonly(), {
      status: 'denied',
      http: 200,
      service: 'payment-service',
      tool: 'retry_failed_payment',
    });
    refused(r, 200, -32602);
    expect(r.json).toMatchObject({
      id: 'deny-1',
      error: { message: 'Unknown tool: payment-service__retry_failed_payment' },
    });
    const [line] = (await mesh.waitForAudit([r.id])).filter((l) => l.request_id === r.id);
    expect(line).toMatchObject({ client: 'dev-readonly', decision: 'deny', rule: 'readonly-no-writes' });
    expect(mesh.audit('payment-service-proxy').map((l) => l.request_id)).not.toContain(r.id);
  });
});

describe('spoofed x-meshmcp-* headers have no effect', () => {
  it('a read-only caller claiming to be dev-admin in mcp-admin is still denied', async () => {
    const r = await send(
      call('payment-service__retry_failed_payment', { id: 'tx_failed_1' }),
      { ...readonly(), 'x-meshmcp-principal': 'dev-admin', 'x-meshmcp-groups': 'mcp-admin' },
      { status: 'denied', http: 200, service: 'payment-service', tool: 'retry_failed_payment' },
    );
    refused(r, 200, -32602);
    // The transaction is still failed: no retry happened.
    const check = await send(call('payment-service__check_transaction_status', { id: 'tx_failed_1' }), admin(), {
      status: 'success',
      http: 200,
      service: 'payment-service',
      tool: 'check_transaction_status',
    });
    expect(check.json.result.structuredContent.body).toMatchObject({ id: 'tx_failed_1', status: 'failed' });
  });

  it('x-meshmcp-service and -tool do not reroute: the call reaches payment-service, as the caller it is', async () => {
    const r = await send(
      call('payment-service__check_transaction_status', { id: 'tx_12345' }),
      {
        ...readonly(),
        'x-meshmcp-service': 'user-service',
        'x-meshmcp-tool': 'get_user',
        'x-meshmcp-principal': 'dev-admin',
      },
      { status: 'success', http: 200, service: 'payment-service', tool: 'check_transaction_status' },
    );
    expect(r.status).toBe(200);
    expect(r.json.result.isError ?? false).toBe(false);
    expect(r.json.result.structuredContent).toMatchObject({ status: 200, body: { id: 'tx_12345', amount: 49.99 } });
    // The payment-service pod's proxy audited it, naming the caller the gateway identified, not the spoofed one.
    const pod = (await mesh.waitForAudit([r.id], 'payment-service-proxy')).filter((l) => l.request_id === r.id);
    expect(pod).toHaveLength(1);
    expect(pod[0]).toMatchObject({ mode: 'sidecar', client: 'dev-readonly', tool: 'check_transaction_status' });
    expect(mesh.audit('user-service-proxy').map((l) => l.request_id)).not.toContain(r.id);
  });
});

describe('a request for another host', () => {
  // The gateway's hosts are 127.0.0.1 and localhost; fetch cannot send another Host, node:http can.
  const otherHost = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: mesh.ports.gateway, path: '/mcp', method: 'POST' }, (res) =>
        res.resume().on('end', () => resolve(res.statusCode ?? 0)),
      );
      req.setHeader('host', 'www.example.com');
      req.setHeader('content-type', 'application/json');
      req.on('error', reject).end(body);
    });

  it('passes the filter untouched: no 401, no audit line, no metric (the last test counts both), the router 404s', async () => {
    // In Istio no virtual host of this gateway serves it either; the local front has no default route.
    expect(await otherHost('not json')).toBe(404);
    expect(await otherHost(JSON.stringify(call('payment-service__get_health')))).toBe(404);
  });
});

describe('malformed requests (contract 6)', () => {
  const unknown = { service: 'unknown', tool: 'unknown' };
  it('not JSON: 400, -32700', async () => {
    refused(await send('{"jsonrpc":"2.0","id":1,', admin(), { status: 'invalid', http: 400, ...unknown }), 400, -32700);
  });

  it('a batch: 400, -32600', async () => {
    const r = await send([call('payment-service__get_health')], admin(), { status: 'invalid', http: 400, ...unknown });
    refused(r, 400, -32600);
  });

  it('Mcp-Method disagreeing with the body: 400, -32020', async () => {
    const r = await send(
      call('payment-service__get_health'),
      { ...admin(), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
      { status: 'header_mismatch', http: 400, ...unknown },
    );
    refused(r, 400, -32020);
  });

  it('a body above the limit: 413', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1_100_000) } });
    const r = await send(big, admin(), { status: 'too_large', http: 413, ...unknown });
    refused(r, 413, -32600);
  });

  it('an unknown tool or service: 200, -32602', async () => {
    for (const name of ['payment-service__nope', 'nope-service__get_health']) {
      const r = await send(call(name), admin(), { status: 'unknown_tool', http: 200, ...unknown });
      refused(r, 200, -32602);
      expect(r.json.error.message).toBe(`Unknown tool: ${name}`);
    }
  });
});

describe('rate limit', () => {
  it('retry_failed_payment: 5 at once, then 429 with Retry-After and -32029; other tools unaffected', async () => {
    const meta = { service: 'payment-service', tool: 'retry_failed_payment' };
    // The first is a real retry of a failed transaction; the rest name one the app does not know (404, no change).
    const first = await send(call('payment-service__retry_failed_payment', { id: 'tx_failed_1' }), admin(), {
      status: 'success',
      http: 200,
      ...meta,
    });
    expect(first.json.result.isError ?? false, first.text).toBe(false);
    expect(first.json.result.structuredContent.body).toMatchObject({ id: 'tx_failed_1', status: 'succeeded' });
    let allowed = 1;
    let limited: (RawResponse & { id: string }) | undefined;
    // The bucket refills 0.1 token a second, so one more call may pass if these take long: bounded at 10.
    while (!limited && allowed < 10) {
      const last = sent.length;
      // The app answers 404 for a transaction it does not know: a tool result with isError, metered as tool_error.
      const r = await send(call('payment-service__retry_failed_payment', { id: 'tx_unknown' }), admin(), {
        status: 'tool_error',
        http: 200,
        ...meta,
      });
      if (r.status === 429) {
        sent[last]!.expect = { status: 'rate_limited', http: 429, ...meta };
        limited = r;
      } else {
        expect(r.status, r.text).toBe(200);
        expect(r.json.result.isError, r.text).toBe(true);
        allowed++;
      }
    }
    expect(allowed).toBeGreaterThanOrEqual(5);
    expect(limited, `${allowed} calls passed without a 429`).toBeDefined();
    refused(limited!, 429, -32029);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const other = await send(call('payment-service__check_transaction_status', { id: 'tx_failed_1' }), admin(), {
      status: 'success',
      http: 200,
      service: 'payment-service',
      tool: 'check_transaction_status',
    });
    expect(other.status).toBe(200);
    expect(other.json.result.structuredContent.body.status).toBe('succeeded');
  });
});

describe('audit and metrics', () => {
  it('every request of this file produced exactly one audit line, and the gateway metrics count each', async () => {
    expect(sent.length).toBeGreaterThan(15);
    const lines = (await mesh.waitForAudit(sent.map((s) => s.id))).slice(auditBefore);
    // Nothing but these requests went through the gateway since the snapshot, so the window is exact.
    expect(lines).toHaveLength(sent.length);
    for (const { id, expect: want } of sent) {
      const mine = lines.filter((l) => l.request_id === id);
      expect(mine, id).toHaveLength(1);
      expect(mine[0], id).toMatchObject({
        kind: 'mcp_audit',
        mode: 'gateway',
        status: want.status,
        http_status: want.http,
      });
    }

    const wanted: Record<string, number> = {};
    const add = (key: string) => {
      wanted[key] = (wanted[key] ?? 0) + 1;
    };
    for (const { expect: w } of sent) {
      const labels = `service="${w.service ?? 'unknown'}",tool="${w.tool ?? 'unknown'}"`;
      add(`mcp_gateway_requests_total{${labels},status="${w.status}"}`);
      add(`mcp_gateway_request_duration_milliseconds_count{${labels}}`);
      // Every refusal is also counted by its reason; a rate-limited one in its own counter.
      if (w.status === 'rate_limited') add(`mcp_gateway_rate_limited_total{${labels}}`);
      else if (!['success', 'error', 'tool_error'].includes(w.status)) {
        add(`mcp_gateway_denials_total{${labels},reason="${w.status}"}`);
      }
    }
    const delta = metricsDelta(metricsBefore, await mesh.metrics());
    const counted = Object.fromEntries(
      Object.entries(delta).filter(
        ([k]) =>
          k.startsWith('mcp_gateway_requests_total') ||
          k.startsWith('mcp_gateway_request_duration_milliseconds_count') ||
          k.startsWith('mcp_gateway_rate_limited_total') ||
          k.startsWith('mcp_gateway_denials_total'),
      ),
    );
    expect(counted).toEqual(wanted);
  });
});
