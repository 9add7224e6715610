// MeshClient (`meshmcp/client`) through real parts: a gateway of the release filter, the control app and a real
// sidecar (test/support/gatewayRig.ts), the same sidecar as a named server, servers that refuse, reset or never
// answer; both protocol eras; and the package's own `exports` entry.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionError, MeshClient, serversFromEnv } from '../../client/index.js';
import { type GatewayRig, RIG_KEY, startGatewayRig } from '../support/gatewayRig.js';
import { closedUrl } from '../support/ports.js';

let rig: GatewayRig;
const servers: Server[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  rig = await startGatewayRig(1000);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) await new Promise((r) => s.close(r));
  await rig?.close();
});

/** A TCP server on loopback; handle decides what each connection gets. */
async function tcp(handle: (s: Socket, n: number) => void): Promise<string> {
  let n = 0;
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    handle(s, n++);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
}

const gateway = (protocol: '2025-11-25' | '2026-07-28' | 'auto' = 'auto') =>
  new MeshClient({ url: rig.url, headers: { 'x-api-key': RIG_KEY }, protocol, timeoutMs: 5000 });

describe.each(['2025-11-25', '2026-07-28', 'auto'] as const)('through the gateway (%s)', (protocol) => {
  it('lists every tool over all pages, split into server and tool, and one server’s alone', async () => {
    const c = gateway(protocol);
    const all = await c.listTools();
    expect(all.unavailable).toEqual([]);
    expect(all.tools.map((t) => t.fullName).sort()).toEqual([
      'hanging-service__get_health',
      'payment-service__get_health',
      'payment-service__get_metrics',
    ]);
    expect(all.tools.find((t) => t.fullName === 'payment-service__get_health')).toMatchObject({
      server: 'payment-service',
      name: 'get_health',
      readOnly: true,
    });
    const one = await c.listTools('payment-service');
    expect(one.tools.map((t) => t.name).sort()).toEqual(['get_health', 'get_metrics']);
    await c.close();
  });

  it('calls a tool by server and name; a tool that failed reads as an error', async () => {
    const c = gateway(protocol);
    const ok = await c.callTool('payment-service', 'get_health');
    expect(ok).toMatchObject({ isError: false, unavailable: false });
    expect(ok.text).toMatch(/^HEALTHY/);
    const down = await c.callTool('hanging-service', 'get_health');
    expect(down.isError).toBe(true);
    expect(down.text).toContain('hanging-service is unavailable');
    await c.close();
  });
});

describe('named servers', () => {
  it('lists and calls a server of its own, by its own tool names', async () => {
    const c = new MeshClient({ servers: { payment: rig.sidecar.mcpUrl } });
    const list = await c.listTools('payment');
    expect(list.tools.map((t) => t.name)).toContain('get_health');
    expect(list.tools.every((t) => t.server === 'payment' && t.fullName === t.name)).toBe(true);
    const r = await c.callTool('payment', 'get_health');
    expect(r.text).toMatch(/^HEALTHY/);
    await c.close();
  });

  it('says a server is down instead of throwing, and keeps the others', async () => {
    const down = await closedUrl();
    const c = new MeshClient({ servers: { payment: rig.sidecar.mcpUrl, logs: `${down}/mcp` } });
    const all = await c.listTools();
    expect(all.tools.length).toBeGreaterThan(0);
    expect(all.unavailable).toHaveLength(1);
    expect(all.unavailable[0]!.server).toBe('logs');
    expect(all.unavailable[0]!.error).toMatch(/ECONNREFUSED|fetch failed/);
    const r = await c.callTool('logs', 'search');
    expect(r).toMatchObject({ isError: true, unavailable: true });
    expect(r.text).toMatch(/^logs is unavailable: /);
    const unknown = await c.callTool('kubernetes', 'get');
    expect(unknown.text).toContain('no server named kubernetes is configured');
    await c.close();
  });

  it('times out a server that never answers, as unavailable', async () => {
    const never = await tcp(() => {});
    const c = new MeshClient({ servers: { slow: never }, timeoutMs: 300 });
    const r = await c.callTool('slow', 'anything');
    expect(r).toMatchObject({ isError: true, unavailable: true });
    expect(r.text).toMatch(/^slow is unavailable: .*(timed out|timeout)/i);
    expect((await c.listTools('slow')).unavailable[0]!.error).toMatch(/timed out|timeout/i);
    await c.close();
  });

  it('retries once after a connection reset: the first connection is cut, the second reaches the sidecar', async () => {
    const sidecarPort = Number(new URL(rig.sidecar.url).port);
    const url = await tcp((s, n) => {
      if (n === 0) {
        s.resetAndDestroy();
        return;
      }
      const upstream = tcpConnect(sidecarPort, '127.0.0.1');
      upstream.on('error', () => s.destroy());
      s.pipe(upstream).pipe(s);
    });
    const c = new MeshClient({ servers: { payment: url } });
    const list = await c.listTools('payment');
    expect(list.unavailable).toEqual([]);
    expect(list.tools.map((t) => t.name)).toContain('get_health');
    await c.close();
  });
});

describe('configuration', () => {
  it('reads named servers from MCP_<NAME>_URL variables, and the gateway from MESHMCP_URL', () => {
    expect(
      serversFromEnv({
        MCP_KUBERNETES_URL: 'http://localhost:8081/mcp',
        MCP_LOG_SEARCH_URL: 'http://x/mcp',
        OTHER: '1',
      }),
    ).toEqual({ kubernetes: 'http://localhost:8081/mcp', 'log-search': 'http://x/mcp' });
    const c = MeshClient.fromEnv({ MESHMCP_URL: 'http://127.0.0.1:3000/mcp', MCP_PROMETHEUS_URL: 'http://p/mcp' });
    expect(c.namedServers()).toEqual(['prometheus']);
  });

  it('refuses a configuration it cannot use, naming the fix', () => {
    expect(() => new MeshClient({})).toThrow(/needs a gateway url or at least one named server/);
    expect(() => new MeshClient({ servers: { k: 'not a url' } })).toThrow(/server k's url "not a url" is not a URL/);
  });

  it('tells connection errors apart: refused (never delivered) from reset (maybe delivered)', () => {
    const wrap = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
    expect(connectionError(wrap('ECONNREFUSED'))).toBe('not-delivered');
    expect(connectionError(wrap('ECONNRESET'))).toBe('lost');
    expect(connectionError(new Error('MCP error -32602: Unknown tool'))).toBeUndefined();
  });

  it('is what the package exports as meshmcp/client', async () => {
    const mod = await import('meshmcp/client');
    expect(mod.MeshClient).toBeTypeOf('function');
    expect(mod.serversFromEnv({ MCP_A_URL: 'http://a/mcp' })).toEqual({ a: 'http://a/mcp' });
  });
});
