// The sidecar as it ships (the bundled file, its own process) in front of the real payment-service demo, driven by
// the SDK v2 client in both eras and the MCP Inspector CLI: generic tools, tools.yaml tools, reload, shutdown.
// @module-tag postgres

import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startProcess } from '../../bench/proc.js';
import { startDemo } from '../../demo/main.js';
import { SIDECAR_NODE_FLAGS } from '../../sidecar/nodeFlags.js';
import { ROOT } from '../support/cli.js';
import { inspector } from '../support/inspector.js';
import { closedUrl } from '../support/ports.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';

const ADMIN_TOKEN = 'integration-admin-token-7c1f';
const GENERIC = ['get_health', 'get_metrics', 'get_logs', 'query_envoy', 'check_endpoints', 'get_env_vars'];
const FROM_YAML = [
  'check_transaction_status',
  'retry_failed_payment',
  'get_payment_queue_depth',
  'get_payment_error_rate',
  'check_disk_space',
  'db_connections',
];

/** A database tool beside the demo's tools, so the bundle's lazily loaded pg chunk is exercised for real. */
const DB_TOOL = `
  - name: db_connections
    description: Connections to this service's database.
    type: database
    config:
      connection_string: $DATABASE_URL
      query: SELECT count(*)::int AS connections, current_setting('transaction_read_only') AS read_only FROM pg_stat_activity WHERE datname = '$DATABASE_NAME'
`;

let work: string;
let app: Awaited<ReturnType<typeof startDemo>>;
let sidecar: Started;
let pg: PostgresServer;
let mcpUrl: string;
let envoyAdminUrl: string;

/** A ConfigMap volume: the file is a symlink through `..data`, which an update swaps atomically. */
async function publishTools(yaml: string, version: number): Promise<void> {
  const dir = join(work, 'config', `..v${version}`);
  mkdirSync(dir, { recursive: true });
  await writeFile(join(dir, 'tools.yaml'), yaml);
  await symlink(`..v${version}`, join(work, 'config', '..data_tmp'));
  await rename(join(work, 'config', '..data_tmp'), join(work, 'config', '..data'));
}

async function connect(mode: 'legacy' | { pin: string }): Promise<Client> {
  const client = new Client({ name: 'vitest', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  return client;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const text = (r: { content?: unknown }) => ((r.content as { text: string }[])[0] ?? { text: '' }).text;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'meshmcp-integration-'));
  const logDir = join(work, 'logs');
  mkdirSync(join(work, 'config'), { recursive: true });
  app = await startDemo('payment-service', { port: 0, host: '127.0.0.1', logDir, adminToken: ADMIN_TOKEN });
  pg = await startPostgres();
  // No Envoy runs here, and none may be assumed absent on a fixed port (a local mesh holds 15000): one reserved here.
  envoyAdminUrl = await closedUrl();
  await publishTools((await readFile(join(ROOT, 'demo/tools/payment-service.yaml'), 'utf8')) + DB_TOOL, 1);
  await symlink('..data/tools.yaml', join(work, 'config', 'tools.yaml'));
  sidecar = await startProcess(
    [
      ...SIDECAR_NODE_FLAGS,
      'dist/sidecar-bundle/meshmcp-sidecar.mjs',
      '--port',
      '0',
      '--app-url',
      app.url,
      '--envoy-admin-url',
      envoyAdminUrl,
      '--log-dir',
      logDir,
      '--tools-config',
      join(work, 'config', 'tools.yaml'),
    ],
    ROOT,
    {
      PATH: process.env['PATH'],
      SERVICE_NAME: 'payment-service',
      ADMIN_TOKEN_SECRET: ADMIN_TOKEN,
      DATABASE_URL: pg.url,
      DATABASE_NAME: pg.database,
      CACHE_URL: 'redis://payments:hunter2-very-secret@cache.internal:6379/0',
    },
  );
  mcpUrl = `http://127.0.0.1:${sidecar.port}/mcp`;
});

afterAll(async () => {
  await sidecar?.stop();
  await app?.close();
  await pg?.stop();
  await rm(work, { recursive: true, force: true });
});

describe.each([
  ['2025-11-25', 'legacy' as const],
  ['2026-07-28', { pin: '2026-07-28' }],
])('the shipped sidecar, SDK client %s', (_label, mode) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(mode);
  });
  afterAll(() => client.close());

  it('lists the generic tools and the tools.yaml tools, read-only unless declared', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([...GENERIC, ...FROM_YAML]);
    for (const t of tools) {
      expect(t.annotations?.readOnlyHint).toBe(t.name !== 'retry_failed_payment');
      expect(t.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(`payment-service__${t.name}`.length).toBeLessThanOrEqual(64);
    }
  });

  it('get_health follows the app from healthy to unhealthy and back', async () => {
    expect(text(await client.callTool({ name: 'payment-service__get_health', arguments: {} }))).toMatch(/^HEALTHY/);
    await fetch(`${app.url}/chaos`, { method: 'POST', body: JSON.stringify({ healthy: false }) });
    try {
      const sick = await client.callTool({ name: 'get_health', arguments: {} });
      expect(text(sick)).toMatch(/^UNHEALTHY: GET \/health answered 503/);
      expect(sick.structuredContent).toMatchObject({ healthy: false, status: 503 });
    } finally {
      await fetch(`${app.url}/chaos`, { method: 'POST', body: JSON.stringify({ healthy: true }) });
    }
  });

  it('check_transaction_status sends the admin token from the environment and returns the transaction', async () => {
    const r = await client.callTool({ name: 'check_transaction_status', arguments: { id: 'tx_12345' } });
    expect(r.isError ?? false).toBe(false);
    expect(text(r)).toContain('"status":"succeeded"');
    expect(JSON.stringify(r)).not.toContain(ADMIN_TOKEN);
  });

  it('refuses a path-traversal id before anything is sent', async () => {
    const r = await client.callTool({ name: 'check_transaction_status', arguments: { id: '../retry/tx_failed_2' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('arguments.id must match');
  });

  it('get_metrics returns a compact table of the app series', async () => {
    const r = await client.callTool({ name: 'get_metrics', arguments: { name: 'payment_queue_depth' } });
    expect(text(r)).toMatch(/payment_queue_depth\{queue="processing"\} \d+/);
    expect(text(r).length).toBeLessThan(4000);
  });

  it('get_logs reads the app log the demo writes, with grep', async () => {
    const r = await client.callTool({ name: 'get_logs', arguments: { lines: 20, grep: 'transaction' } });
    expect(r.isError ?? false).toBe(false);
    expect(text(r)).toContain('/admin/transaction/');
  });

  it('get_env_vars redacts the token by name and the password inside a URL', async () => {
    const r = await client.callTool({ name: 'get_env_vars', arguments: {} });
    const out = JSON.stringify(r);
    expect(out).toContain('ADMIN_TOKEN_SECRET');
    expect(out).not.toContain(ADMIN_TOKEN);
    expect(out).toContain('redis://payments:***@cache.internal:6379/0');
    expect(out).not.toContain('hunter2');
  });

  it('a database tool runs through the lazily loaded pg chunk, read-only', async () => {
    const r = await client.callTool({ name: 'db_connections', arguments: {} });
    expect(r.isError ?? false).toBe(false);
    expect(text(r)).toMatch(/connections/);
    expect(JSON.stringify(r.structuredContent)).toContain('"read_only":"on"');
  });

  it('query_envoy without an Envoy in this process tree is a clear tool error, not a crash', async () => {
    const r = await client.callTool({ name: 'query_envoy', arguments: { endpoint: 'server_info' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain(envoyAdminUrl);
  });
});

describe('state-changing tool', () => {
  it('retry_failed_payment retries once; a second retry is refused by the app', async () => {
    const client = await connect('legacy');
    try {
      const first = await client.callTool({ name: 'retry_failed_payment', arguments: { id: 'tx_failed_1' } });
      expect(first.isError ?? false).toBe(false);
      const again = await client.callTool({ name: 'retry_failed_payment', arguments: { id: 'tx_failed_1' } });
      expect(again.isError).toBe(true);
      expect(text(again)).toContain('409');
    } finally {
      await client.close();
    }
  });
});

describe('the MCP Inspector CLI on the full tool set', () => {
  it.each(['legacy', 'modern'])('tools/list (%s) passes --strict with no findings', async (era) => {
    const r = await inspector(mcpUrl, ['--protocol-era', era, '--method', 'tools/list', '--strict']);
    expect(r.stderr).not.toMatch(/Error:|Warning:/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).result.tools).toHaveLength(GENERIC.length + FROM_YAML.length);
  });

  it('tools/call get_health', async () => {
    const r = await inspector(mcpUrl, [
      '--protocol-era',
      'modern',
      '--method',
      'tools/call',
      '--tool-name',
      'get_health',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).result.content[0].text).toMatch(/^HEALTHY/);
  });
});

describe('operations', () => {
  it('/readyz is ready while the app answers; /metrics counts the localhost requests', async () => {
    const ready = await fetch(`http://127.0.0.1:${sidecar.port}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${sidecar.port}/metrics`)).text();
    expect(metrics).toMatch(/^mcp_sidecar_localhost_requests_total\{endpoint="health"\} [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^mcp_sidecar_tool_executions_total\{tool="check_transaction_status",status="success"\} [1-9]/m,
    );
  });

  it('reloads tools.yaml on a ConfigMap swap, and keeps the last good tools when the new one is invalid', async () => {
    const base = (await readFile(join(ROOT, 'demo/tools/payment-service.yaml'), 'utf8')) + DB_TOOL;
    const extra = `${base}\n  - name: list_users_probe\n    description: Added by a ConfigMap update.\n    endpoint: /health\n`;
    await publishTools(extra, 2);
    const names = async () => {
      const c = await connect('legacy');
      try {
        return (await c.listTools()).tools.map((t) => t.name);
      } finally {
        await c.close();
      }
    };
    await until(async () => (await names()).includes('list_users_probe'), 'the new tool');
    await publishTools('tools:\n  - name: Bad Name!\n    endpoint: /x\n', 3);
    await until(async () => sidecar.lines.some((l) => l.includes('tools.yaml rejected')), 'the rejection log line');
    const rejected = sidecar.lines.find((l) => l.includes('tools.yaml rejected'))!;
    expect(rejected).toContain('tools[0].name');
    expect(await names()).toContain('list_users_probe');
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await new Promise<number | null>((resolve) => {
      sidecar.child.once('exit', (c) => resolve(c));
      sidecar.child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(sidecar.lines.some((l) => l.includes('"shutting down"'))).toBe(true);
  });
});
