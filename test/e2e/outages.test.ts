// Parts of the local mesh failing while it runs, as pods do: an app turning unhealthy, a sidecar dying, the control
// service dying. Each test breaks one more thing, in that order, and asserts only what the earlier breakage leaves
// intact; `meshmcp dev` reports each dead part and keeps the rest running.
// @module-tag openssl
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Mesh, startMesh } from './support/mesh.js';

// A mesh takes ~10 s to start on 2 idle cores and longer beside other test files; real clients take seconds a call.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let mesh: Mesh;

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
});

afterAll(async () => {
  if (!mesh) return;
  const { code, output, leftover } = await mesh.stop();
  expect(output).toContain('stopped.');
  expect(code, output.slice(-3000)).toBe(0);
  expect(leftover).toEqual([]);
});

async function connect(mode: 'legacy' | { pin: string }): Promise<Client> {
  const client = new Client({ name: 'meshmcp-e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mesh.url), {
      requestInit: { headers: { authorization: `Bearer ${mesh.adminKey}` } },
    }),
  );
  return client;
}

const text = (r: { content?: unknown }) => (r.content as Array<{ text: string }>)[0]!.text;

async function chaos(healthy: boolean): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${mesh.ports.app['payment-service']}/chaos`, {
    method: 'POST',
    body: JSON.stringify({ healthy }),
  });
  expect(await res.json()).toMatchObject({ healthy });
}

const alive = () => {
  expect(mesh.output()).not.toContain('meshmcp dev: gateway stopped');
  expect(mesh.output()).not.toContain('stopping the local mesh');
};

describe('the mesh under failures', () => {
  let handshake: Client;
  let stateless: Client;

  beforeAll(async () => {
    handshake = await connect('legacy');
    stateless = await connect({ pin: '2026-07-28' });
  });

  afterAll(async () => {
    await handshake?.close().catch(() => {});
    await stateless?.close().catch(() => {});
  });

  it("an unhealthy app: its tools answer isError results carrying the app's status; the others are fine", async () => {
    await chaos(false);
    try {
      const tx = await handshake.callTool({
        name: 'payment-service__check_transaction_status',
        arguments: { id: 'tx_12345' },
      });
      expect(tx.isError).toBe(true);
      expect(text(tx)).toContain('answered HTTP 503 (expected 200)');
      expect(tx.structuredContent).toMatchObject({ status: 503, ok: false, body: { error: /database unavailable/ } });

      // get_health reports the state rather than failing (sidecar/tools/README.md: an unhealthy answer is a result).
      const health = await stateless.callTool({ name: 'payment-service__get_health', arguments: {} });
      expect(text(health)).toMatch(/^UNHEALTHY: GET \/health answered 503/);
      expect(health.structuredContent).toMatchObject({ status: 503, healthy: false });

      const user = await stateless.callTool({ name: 'user-service__get_user', arguments: { id: 'u_1001' } });
      expect(user.isError ?? false).toBe(false);
    } finally {
      await chaos(true);
    }
    const again = await handshake.callTool({
      name: 'payment-service__check_transaction_status',
      arguments: { id: 'tx_12345' },
    });
    expect(again.isError ?? false).toBe(false);
  });

  it('a sidecar killed: its tools fail as isError results naming the service, the other services keep answering', async () => {
    await mesh.kill('user-service-mcp');
    alive();

    const raw = await mesh.post(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'user-service__get_user', arguments: { id: 'u_1001' } },
      },
      { authorization: `Bearer ${mesh.adminKey}`, 'x-request-id': 'e2e-dead-sidecar' },
    );
    // The pod proxy's router found no sidecar (503, Envoy's words); the gateway turns that into a tool result with
    // isError, so the client sees one tool failing rather than the MCP server breaking.
    expect(raw.status, raw.text).toBe(200);
    const result = JSON.parse(raw.text).result as { isError: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain('user-service is unavailable');
    expect(result.content[0]?.text).toContain('upstream connect error');
    const [line] = (await mesh.waitForAudit(['e2e-dead-sidecar'])).filter((l) => l.request_id === 'e2e-dead-sidecar');
    expect(line).toMatchObject({ service: 'user-service', tool: 'get_user', status: 'error', http_status: 503 });

    for (const client of [handshake, stateless]) {
      const dead = await client.callTool({ name: 'user-service__get_health', arguments: {} });
      expect(dead.isError).toBe(true);
      expect(text(dead)).toContain('user-service is unavailable: its MCP server did not answer');
      const pay = await client.callTool({ name: 'payment-service__get_health', arguments: {} });
      expect(text(pay)).toMatch(/^HEALTHY/);
      const mqtt = await client.callTool({ name: 'mqtt-publisher__get_health', arguments: {} });
      expect(text(mqtt)).toMatch(/^(HEALTHY|UNHEALTHY)/);
    }
    // The control service keeps the dead sidecar's last known tools for a grace period, so the list is unchanged.
    const { tools } = await handshake.listTools();
    expect(tools.map((t) => t.name)).toContain('user-service__get_user');
  });

  it('the control service killed: tools/call still works, from connected clients and from new stateless ones', async () => {
    await mesh.kill('control');
    alive();

    for (const client of [handshake, stateless]) {
      const tx = await client.callTool({
        name: 'payment-service__check_transaction_status',
        arguments: { id: 'tx_67890' },
      });
      expect(tx.isError ?? false).toBe(false);
      expect(tx.structuredContent).toMatchObject({ body: { id: 'tx_67890', status: 'succeeded' } });
    }

    // A 2026-07-28 request needs no handshake with the control service: a client that never connected before.
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'curl', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const fresh = await mesh.post(
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'mqtt-publisher__get_health', arguments: {}, _meta: meta },
      },
      {
        'x-api-key': mesh.readonlyKey,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'mqtt-publisher__get_health',
      },
    );
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.json.result.content[0].text).toMatch(/^(HEALTHY|UNHEALTHY): GET \/health answered/);

    // What needs the whole catalog does fail now, as an MCP error naming the control service, not Envoy's text.
    const list = await mesh.post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'x-api-key': mesh.adminKey });
    expect(list.status, list.text).toBe(200);
    expect(list.json).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: -32603 } });
    expect(list.json.error.message).toContain('The meshmcp control service is unavailable');
    // A real client that connects now hears the same from initialize, in both eras; a connected one from tools/list.
    await expect(connect('legacy')).rejects.toThrow(/The meshmcp control service is unavailable/);
    await expect(handshake.listTools()).rejects.toThrow(/The meshmcp control service is unavailable/);
  });

  it('reported each dead part and kept the rest running', () => {
    const out = mesh.output();
    expect(out).toContain('meshmcp dev: user-service-mcp stopped (SIGKILL); the rest keeps running');
    expect(out).toContain('meshmcp dev: control stopped (SIGKILL); the rest keeps running');
    alive();
  });
});
