// The local mesh (`npm start`) through real MCP clients: the SDK v2 client in both protocol eras, the MCP Inspector
// CLI and mcp-remote (the stdio bridge Claude Desktop uses). Every call goes client → gateway (meshmcp.wasm, gateway
// mode) → pod proxy (sidecar mode, mTLS) → MCP sidecar → demo app, and the answer carries the app's own data.
// @module-tag openssl
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MeshClient, runChatCommand } from '../../client/index.js';
import { inspector } from '../support/inspector.js';
import { type Mesh, SERVICES, startMesh } from './support/mesh.js';

const require = createRequire(import.meta.url);
// mcp-remote's package.json names dist/proxy.js as its `mcp-remote` bin.
const mcpRemoteBin = join(dirname(require.resolve('mcp-remote/package.json')), 'dist/proxy.js');

// A mesh takes ~10 s to start on 2 idle cores and longer beside other test files; real clients take seconds a call.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let mesh: Mesh;

beforeAll(async () => {
  mesh = await startMesh();
});

afterAll(async () => {
  if (!mesh) return;
  // Ctrl-C, as the banner says, stops every part.
  const { code, output, leftover } = await mesh.stop('SIGINT');
  expect(output).toContain('stopping the local mesh (SIGINT)');
  expect(output).toContain('stopped.');
  expect(code, output.slice(-3000)).toBe(0);
  expect(leftover).toEqual([]);
});

type Mode = 'legacy' | { pin: string };

interface Connected {
  client: Client;
  /** JSON-RPC methods and the MCP-Protocol-Version header of each request the client sent, in order. */
  sent: Array<{ method: string; version: string | null }>;
}

async function connect(url: string, mode: Mode, headers: Record<string, string>): Promise<Connected> {
  const sent: Connected['sent'] = [];
  const spy: typeof fetch = async (input, init) => {
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const h = new Headers(init.headers);
      sent.push({ method: JSON.parse(init.body).method, version: h.get('mcp-protocol-version') });
    }
    return fetch(input, init);
  };
  const client = new Client({ name: 'meshmcp-e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch: spy }));
  return { client, sent };
}

/**
 * Each sidecar's own tools/list (straight to its port, no gateway), as `<service>__<tool>`; the logs pack's and, with
 * Prometheus, the prometheus pack's too (services of the mesh like the others).
 */
/**
 * Every tool the mesh's MCP servers list when asked directly, named <service>__<tool>: the sidecars and packs, and the
 * MCP servers of their own, asked as the control service asks (a client offering sampling, elicitation and roots).
 */
async function sidecarToolNames(): Promise<string[]> {
  const names: string[] = [];
  const servers: Array<[string, number]> = SERVICES.map((s) => [s, mesh.ports.sidecar[s]]);
  servers.push(['logs', mesh.ports.logsPack]);
  if (mesh.prometheus) servers.push(['prometheus', mesh.ports.pack]);
  servers.push(['everything', mesh.ports.upstream], ['conformance', mesh.ports.upstream + 1]);
  // The 2025-11-25-only conformance server, through the bridge in front of it (its pod's MCP port).
  servers.push(['bridged', mesh.ports.bridge]);
  for (const [s, port] of servers) {
    // server-everything keeps sessions: the aggregated /mcp reaches it in sessions offering no client capabilities,
    // so it lists the server's tools as such a client sees them (those gated on sampling or elicitation are not).
    const capabilities = s === 'everything' ? {} : { sampling: {}, elicitation: {}, roots: {} };
    const client = new Client(
      { name: 'meshmcp-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' }, capabilities },
    );
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`));
    await client.connect(transport);
    try {
      names.push(...(await client.listTools()).tools.map((t) => `${s}__${t.name}`));
    } finally {
      if (transport.sessionId !== undefined) await transport.terminateSession();
      await client.close();
    }
  }
  return names.sort();
}

const text = (r: { content?: unknown }) => (r.content as Array<{ text: string }>)[0]!.text;

it('prints the endpoint, both keys and the client configurations', () => {
  const out = mesh.output();
  expect(out).toContain(`MCP endpoint   ${mesh.url}`);
  expect(out).toContain(mesh.adminKey);
  expect(out).toContain(mesh.readonlyKey);
  expect(out).toContain('mcp-remote');
  expect(Object.keys(mesh.pids()).sort()).toEqual(
    [
      ...SERVICES,
      ...SERVICES.map((s) => `${s}-mcp`),
      ...SERVICES.map((s) => `${s}-proxy`),
      'logs-mcp',
      'logs-proxy',
      'everything',
      'everything-proxy',
      'conformance',
      'conformance-proxy',
      'bridged',
      'bridged-mcp',
      'bridged-proxy',
      'control',
      'gateway',
      ...(mesh.prometheus ? ['prometheus', 'prometheus-mcp', 'prometheus-proxy'] : []),
    ].sort(),
  );
});

describe.each([
  ['2025-11-25', 'legacy' as Mode, (k: string) => ({ Authorization: `Bearer ${k}` })],
  ['2026-07-28', { pin: '2026-07-28' } as Mode, (k: string) => ({ 'x-api-key': k })],
])('SDK v2 client as a %s client', (version, mode, auth) => {
  let c: Connected;
  beforeAll(async () => {
    c = await connect(mesh.url, mode, auth(mesh.adminKey));
  });
  afterAll(() => c?.client.close());

  it('speaks that protocol revision with the gateway', () => {
    expect(c.client.getNegotiatedProtocolVersion()).toBe(version);
    if (version === '2025-11-25') expect(c.sent[0]?.method).toBe('initialize');
    else {
      expect(c.sent.map((s) => s.method)).not.toContain('initialize');
      expect(c.sent.every((s) => s.version === version)).toBe(true);
    }
  });

  it("lists every service's tools as <service>__<tool>, exactly what the sidecars serve", async () => {
    const { tools } = await c.client.listTools();
    const names = tools.map((t) => t.name).sort();
    for (const n of names) {
      expect(n).toMatch(
        /^(payment-service|user-service|mqtt-publisher|logs|prometheus|everything|conformance|bridged)__[\w-]+$/,
      );
    }
    expect(names).toEqual(await sidecarToolNames());
    for (const s of SERVICES) expect(names).toContain(`${s}__get_health`);
    expect(names).toEqual(
      expect.arrayContaining([
        'payment-service__check_transaction_status',
        'payment-service__retry_failed_payment',
        'user-service__get_user',
        'mqtt-publisher__check_hivemq_connection',
      ]),
    );
  });

  it('calls reach each app and return its data', async () => {
    const tx = await c.client.callTool({
      name: 'payment-service__check_transaction_status',
      arguments: { id: 'tx_12345' },
    });
    expect(tx.isError ?? false).toBe(false);
    expect(tx.structuredContent).toMatchObject({
      status: 200,
      body: { id: 'tx_12345', status: 'succeeded', amount: 49.99, currency: 'USD' },
    });

    const user = await c.client.callTool({ name: 'user-service__get_user', arguments: { id: 'u_1001' } });
    expect(user.isError ?? false).toBe(false);
    expect(user.structuredContent).toMatchObject({ status: 200, body: { id: 'u_1001', name: 'Ada Lovelace' } });

    const broker = await c.client.callTool({ name: 'mqtt-publisher__check_hivemq_connection', arguments: {} });
    expect(JSON.stringify(broker.structuredContent)).toContain('hivemq');

    for (const s of SERVICES) {
      const health = await c.client.callTool({ name: `${s}__get_health`, arguments: {} });
      expect(text(health)).toMatch(/^HEALTHY: GET \/health answered 200/);
      // The sidecar probed its own app: the URL is that app's port.
      expect(health.structuredContent).toMatchObject({
        url: `http://127.0.0.1:${mesh.ports.app[s]}/health`,
        healthy: true,
      });
    }
  });
});

describe('the MCP Inspector CLI', () => {
  it.each(['legacy', 'modern'])('lists every tool in the %s era', async (era) => {
    const r = await inspector(mesh.url, ['--protocol-era', era, '--method', 'tools/list'], {
      Authorization: `Bearer ${mesh.adminKey}`,
    });
    expect(r.code, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout).result.tools as Array<{ name: string }>).map((t) => t.name).sort();
    expect(names).toEqual(await sidecarToolNames());
  });

  it.each(['legacy', 'modern'])('calls a tool in the %s era', async (era) => {
    const r = await inspector(
      mesh.url,
      [
        ...['--protocol-era', era, '--method', 'tools/call'],
        ...['--tool-name', 'payment-service__check_transaction_status', '--tool-arg', 'id=tx_67890'],
      ],
      { 'x-api-key': mesh.readonlyKey },
    );
    expect(r.code, r.stderr).toBe(0);
    const { result } = JSON.parse(r.stdout);
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent.body).toMatchObject({ id: 'tx_67890', status: 'succeeded' });
  });

  it('without a key, learns from the 401 challenge that it must authenticate', async () => {
    const r = await inspector(mesh.url, ['--method', 'tools/list']);
    expect(r.code).not.toBe(0);
    // It takes the 401 as a call to authenticate (OAuth, which needs a person here) and stops there.
    expect(r.stdout + r.stderr).toContain('auth_required');
  });
});

describe('mcp-remote (Claude Desktop’s bridge) over stdio', () => {
  let home: string;
  let client: Client;
  let stderr = '';

  beforeAll(async () => {
    // mcp-remote keeps OAuth state under MCP_REMOTE_CONFIG_DIR (else ~/.mcp-auth): a throwaway one, and HOME too.
    home = await mkdtemp(join(tmpdir(), 'meshmcp-e2e-mcp-remote-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [mcpRemoteBin, mesh.url, '--header', `Authorization: Bearer ${mesh.adminKey}`],
      env: { ...(process.env as Record<string, string>), HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth') },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    client = new Client({ name: 'meshmcp-e2e-desktop', version: '1.0.0' });
    try {
      await client.connect(transport);
    } catch (err) {
      throw new Error(`mcp-remote did not connect: ${(err as Error).message}\nits stderr:\n${stderr}`);
    }
  });

  afterAll(async () => {
    await client?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('connected to the gateway over Streamable HTTP with the header it was given', () => {
    expect(stderr).toContain('Connected to remote server using StreamableHTTPClientTransport');
  });

  it('lists every tool', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(await sidecarToolNames());
  });

  it('calls a tool and gets the app’s data', async () => {
    const r = await client.callTool({ name: 'user-service__get_user', arguments: { id: 'u_1002' } });
    expect(r.isError ?? false).toBe(false);
    expect(r.structuredContent).toMatchObject({ status: 200, body: { id: 'u_1002' } });
  });
});

describe('prometheus tools', { tags: ['prometheus'] }, () => {
  it('the prometheus pack is a service of the mesh: listed, called and chatted with through the gateway', async () => {
    expect(mesh.prometheus, 'the mesh started its Prometheus').toBe(true);
    const client = new MeshClient({ url: mesh.url, headers: { 'x-api-key': mesh.readonlyKey }, timeoutMs: 20_000 });
    try {
      const { tools } = await client.listTools('prometheus');
      expect(tools.map((t) => t.name).sort()).toEqual([
        'alerts',
        'label_values',
        'metadata',
        'query',
        'query_range',
        'series',
        'targets',
      ]);
      const r = await client.callTool('prometheus', 'targets');
      expect(r.isError, r.text).toBe(false);
      expect(r.text).toMatch(/^\d+ targets, /);
      expect(await runChatCommand(client, 'mcp prometheus query cpu_usage')).toBe(
        '**prometheus query**\n```\nPromQL: cpu_usage\n(no series: the query matched nothing)\n```',
      );
    } finally {
      await client.close();
    }
    // The line is written when the stream ends, just after the answer: look for it for a bounded while.
    const auditOf = () => mesh.audit().find((l) => l.service === 'prometheus' && l.tool === 'targets');
    for (let i = 0; i < 75 && !auditOf(); i++) await new Promise((r) => setTimeout(r, 200));
    const line = auditOf();
    expect(line).toMatchObject({ status: 'success', client: 'dev-readonly' });
  });

  it('get_payment_queue_depth answers with the gauge Prometheus scraped from the app', async () => {
    expect(mesh.prometheus, 'the mesh started its Prometheus').toBe(true);
    const { client } = await connect(mesh.url, 'legacy', { Authorization: `Bearer ${mesh.adminKey}` });
    try {
      const query = 'payment_queue_depth{queue="processing"}';
      const direct = async (): Promise<string | undefined> => {
        const res = await fetch(
          `http://127.0.0.1:${mesh.ports.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`,
        );
        const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
        return body.data.result[0]?.value[1];
      };
      // Prometheus scrapes every 5 s: wait for a first sample, then read the tool between two direct reads that
      // agree (a scrape in between would change the value under the tool's feet).
      const deadline = Date.now() + 60_000;
      let last = '';
      for (;;) {
        const before = await direct();
        const r = await client.callTool({ name: 'payment-service__get_payment_queue_depth', arguments: {} });
        const after = await direct();
        last = JSON.stringify(r);
        if (before !== undefined && before === after) {
          expect(r.isError ?? false, last).toBe(false);
          expect(r.structuredContent).toMatchObject({
            query,
            result_type: 'vector',
            series_total: 1,
            series: [
              {
                metric: {
                  __name__: 'payment_queue_depth',
                  queue: 'processing',
                  instance: `127.0.0.1:${mesh.ports.app['payment-service']}`,
                },
                value: Number(before),
              },
            ],
          });
          break;
        }
        if (Date.now() > deadline) throw new Error(`no stable Prometheus sample within 60 s; last answer ${last}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    } finally {
      await client.close();
    }
  });
});

describe('audit and metrics', () => {
  it("every request of these clients left exactly one audit line, and the gateway's metrics count as many", async () => {
    const total = (m: Map<string, number>) =>
      [...m].filter(([k]) => k.startsWith('mcp_gateway_requests_total{')).reduce((n, [, v]) => n + v, 0);
    // A stream's line and its counters are written when it ends; the clients closed just now, so wait for both to
    // settle on the same number.
    const deadline = Date.now() + 15_000;
    let lines = mesh.audit();
    let counted = total(await mesh.metrics());
    while (lines.length !== counted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      lines = mesh.audit();
      counted = total(await mesh.metrics());
    }
    expect(lines.length).toBeGreaterThan(20);
    expect(counted).toBe(lines.length);
    const ids = lines.map((l) => l.request_id);
    expect(new Set(ids).size).toBe(ids.length);
    // Each kind of client is among them, calling tools through the gateway as the admin or the read-only caller.
    const calls = lines.filter((l) => l.method === 'tools/call');
    expect(new Set(calls.map((l) => l.client))).toEqual(new Set(['dev-admin', 'dev-readonly']));
    expect(calls.filter((l) => l.tool === 'get_user').length).toBeGreaterThanOrEqual(3);
  });
});
