// Faults, each with the client's view asserted: an MCP answer, never a hang and never Envoy's plain text. A gateway
// built of real parts on loopback: the release meshmcp.wasm in filter/host's HTTP front (gateway mode, a 1 s route
// timeout as a VirtualService would set), the control service's real fastify app with a catalog, a real sidecar in
// front of an app, and the real MCP SDK client. The faults are real too: a server that accepts and never answers,
// a client that stops mid-body, 1,000 idle connections, an app answering 10 MiB, the control service replaced by a
// new instance (as a restarted pod, at a new address) while clients call, a broken filter configuration pushed while
// clients call.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, connect as netConnect, type Socket } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Front, startFront } from '../../filter/host/front.js';
import { genericTools } from '../../sidecar/tools/index.js';
import { catalogOf, type RunningControl, service, startControl } from '../control/support/controlApp.js';
import { auditLines, example, filterWasm, type Json } from '../filter/harness.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';

const ROUTE_TIMEOUT_MS = 1000;
const TEN_MIB = 10 * 1024 * 1024;

let app: Server;
let bigAnswers = false;
let sidecar: TestSidecar;
let control: RunningControl;
let hang: ReturnType<typeof createNetServer>;
const held: Socket[] = [];
let front: Front;

const portOf = (s: { address(): unknown }) => (s.address() as { port: number }).port;
const listen = (s: Server | ReturnType<typeof createNetServer>) =>
  new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));

function catalog() {
  return catalogOf(
    service('payment-service', ['get_health', 'get_metrics']),
    service('hanging-service', ['get_health']),
  );
}

async function newControl(): Promise<RunningControl> {
  const c = await startControl({ default: 'allow', rules: [] });
  c.endpoint.setCatalog(catalog());
  return c;
}

function routes() {
  return {
    'payment-service': { host: '127.0.0.1', port: Number(new URL(sidecar.url).port) },
    'hanging-service': { host: '127.0.0.1', port: portOf(hang) },
    'meshmcp-control': { host: '127.0.0.1', port: Number(new URL(control.url).port) },
  };
}

function gatewayConfig(): Json {
  const config = example('gateway');
  delete config.rateLimits;
  config.services = [
    {
      name: 'payment-service',
      namespace: 'production',
      host: '127.0.0.1',
      port: 3000,
      tools: ['get_health', 'get_metrics'],
    },
    { name: 'hanging-service', namespace: 'production', host: '127.0.0.1', port: 3000, tools: ['get_health'] },
  ];
  return config;
}

beforeAll(async () => {
  // The app: its health endpoint answers a small JSON, or 10 MiB while bigAnswers is set.
  app = createHttpServer((_req, res) => {
    res.end(bigAnswers ? 'x'.repeat(TEN_MIB) : '{"status":"ok"}');
  });
  await listen(app);
  sidecar = await startTestSidecar(genericTools, ['--app-url', `http://127.0.0.1:${portOf(app)}`]);
  control = await newControl();
  // Accepts every connection and never answers on it.
  hang = createNetServer((s) => {
    held.push(s);
    s.on('error', () => {});
  });
  await listen(hang);
  front = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(gatewayConfig()),
    allowOnHeadersStopIteration: true,
    timeoutMs: ROUTE_TIMEOUT_MS,
    upstreams: routes(),
  });
});

afterAll(async () => {
  await front?.close();
  for (const s of held) s.destroy();
  await new Promise((r) => hang?.close(r));
  await control?.close();
  await sidecar?.close();
  await new Promise((r) => app?.close(r));
});

/** The SDK client as ci-bot (the example's API key; sre-readonly may call get_health and get_metrics). */
async function client(mode: 'legacy' | { pin: string } = { pin: '2026-07-28' }): Promise<Client> {
  const c = new Client({ name: 'reliability', version: '1.0.0' }, { versionNegotiation: { mode } });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${front.url}/mcp`), {
      requestInit: { headers: { 'x-api-key': 'test' } },
    }),
  );
  return c;
}

const textOf = (r: { content?: unknown }) => (r.content as Array<{ text: string }>)[0]!.text;

describe('faults, as the client sees them', () => {
  it('a server that accepts the connection and never answers: an isError result after the route timeout', async () => {
    const c = await client('legacy');
    const r = await c.callTool({ name: 'hanging-service__get_health', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('hanging-service is unavailable: its MCP server did not answer');
    expect(textOf(r)).toContain('upstream request timeout; HTTP 504 at the gateway');
    // The other service is not affected.
    const ok = await c.callTool({ name: 'payment-service__get_health', arguments: {} });
    expect(textOf(ok)).toMatch(/^HEALTHY/);
    await c.close();
    expect(auditLines(front.plugin).find((l) => l.service === 'hanging-service')).toMatchObject({
      status: 'error',
      http_status: 504,
    });
  });

  it('a client that stops mid-body: it gets a JSON-RPC error (408) while the others are served', async () => {
    const socket = netConnect(front.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (d) => {
        got += d;
        // The whole answer is in once its JSON body closes (the connection itself may be kept alive).
        if (/\r\n\r\n[\s\S]*\}\}/.test(got)) resolve(got);
      });
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
    });
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      'POST /mcp HTTP/1.1\r\nhost: mcp.example.com\r\ncontent-type: application/json\r\nx-api-key: test\r\n' +
        'content-length: 200\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"tools/ca',
    );
    const c = await client();
    const ok = await c.callTool({ name: 'payment-service__get_health', arguments: {} });
    expect(textOf(ok)).toMatch(/^HEALTHY/);
    await c.close();
    const raw = await answer;
    socket.destroy();
    expect(raw).toMatch(/^HTTP\/1\.1 408/);
    expect(raw.toLowerCase()).toContain('content-type: application/json');
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''));
    expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32603 } });
    expect(body.error.message).toContain('stream timeout; HTTP 408 at the gateway');
  });

  it('1,000 idle connections held open: every call still answers, and the idle ones stay open', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 1000; i++) {
      const s = netConnect(front.port, '127.0.0.1');
      s.on('error', () => {});
      idle.push(s);
    }
    await Promise.all(idle.map((s) => new Promise((r) => (s.readyState === 'open' ? r(null) : s.once('connect', r)))));
    const c = await client('legacy');
    for (let i = 0; i < 20; i++) {
      const r = await c.callTool({ name: 'payment-service__get_health', arguments: {} });
      expect(textOf(r)).toMatch(/^HEALTHY/);
    }
    const { tools } = await c.listTools();
    expect(tools.map((t) => t.name)).toContain('payment-service__get_health');
    await c.close();
    expect(idle.filter((s) => s.readyState === 'open')).toHaveLength(1000);
    for (const s of idle) s.destroy();
  });

  it('an app that answers 10 MiB: a bounded tool result, the sidecar unharmed', async () => {
    const c = await client();
    bigAnswers = true;
    const big = await c.callTool({ name: 'payment-service__get_health', arguments: {} }).finally(() => {
      bigAnswers = false;
    });
    const text = textOf(big);
    expect(text.length).toBeLessThan(16 * 1024);
    expect(text).toContain('(first 65536 bytes)');
    const again = await c.callTool({ name: 'payment-service__get_health', arguments: {} });
    expect(textOf(again)).toMatch(/^HEALTHY/);
    await c.close();
  });
});

/**
 * Calls from `clients` stateless clients in a loop until stop() (each call's outcome kept), alternating tools/list
 * (control service) and tools/call (the sidecar).
 */
function load(clients: Client[]) {
  const outcomes: Array<{ kind: 'list' | 'call'; ok: boolean; message?: string }> = [];
  let running = true;
  const loops = clients.map(async (c, i) => {
    for (let n = i; running; n++) {
      const kind = n % 2 === 0 ? 'list' : 'call';
      try {
        if (kind === 'list') await c.listTools();
        else {
          const r = await c.callTool({ name: 'payment-service__get_health', arguments: {} });
          if (!/^HEALTHY/.test(textOf(r))) throw new Error(`unexpected result: ${textOf(r)}`);
        }
        outcomes.push({ kind, ok: true });
      } catch (e) {
        outcomes.push({ kind, ok: false, message: String((e as Error).message ?? e) });
      }
    }
  });
  return {
    outcomes,
    count: () => outcomes.length,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
};

describe('changes under load', () => {
  it('the control service replaced by a new instance: catalog calls fail as MCP errors, then recover; tool calls never fail', async () => {
    const clients = await Promise.all([client(), client(), client(), client()]);
    const l = load(clients);
    await until(() => l.count() >= 40);
    const old = control;
    await old.close(); // the pod is gone: connections refused
    const downAt = l.count();
    await until(() => l.count() >= downAt + 40);
    control = await newControl(); // the new pod, at a new address, as the endpoints update
    front.setUpstreams(routes());
    const upAt = l.count();
    await until(() => l.count() >= upAt + 40);
    await l.stop();
    for (const c of clients) await c.close();

    const failed = l.outcomes.filter((o) => !o.ok);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      expect(f.kind).toBe('list');
      expect(f.message).toContain('The meshmcp control service is unavailable');
    }
    expect(l.outcomes.slice(upAt + 8).every((o) => o.ok)).toBe(true);
    expect(l.outcomes.filter((o) => o.kind === 'call').every((o) => o.ok)).toBe(true);
  });

  it('a broken filter configuration pushed under load: refused, and the last good one keeps serving', async () => {
    const clients = await Promise.all([client(), client(), client()]);
    const l = load(clients);
    await until(() => l.count() >= 30);
    const broken = gatewayConfig();
    broken.services[0].tools = ['not a tool name!'];
    expect(front.configure(JSON.stringify(broken))).toBe(false);
    expect(front.configure('{"mode":"gateway",')).toBe(false);
    const at = l.count();
    await until(() => l.count() >= at + 30);
    await l.stop();
    for (const c of clients) await c.close();
    expect(l.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(front.plugin.logs.some((m) => m.message.startsWith('meshmcp: configuration rejected'))).toBe(true);
  });
});
