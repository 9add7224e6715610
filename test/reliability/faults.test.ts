// Faults, each with the client's view asserted: an MCP answer, never a hang and never Envoy's plain text. A gateway
// built of real parts on loopback (test/support/gatewayRig.ts: the release meshmcp.wasm in filter/host's HTTP front
// with a 1 s route timeout, the control service's real fastify app, a real sidecar in front of an app) and the real
// MCP SDK client. The faults are real too: a server that accepts and never answers,
// a client that stops mid-body, 1,000 idle connections, an app answering 10 MiB, the control service replaced by a
// new instance (as a restarted pod, at a new address) while clients call, a broken filter configuration pushed while
// clients call.
import { connect as netConnect, type Socket } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLines } from '../filter/harness.js';
import { type GatewayRig, RIG_KEY, startGatewayRig } from '../support/gatewayRig.js';

const TEN_MIB = 10 * 1024 * 1024;

let rig: GatewayRig;

beforeAll(async () => {
  rig = await startGatewayRig(1000);
});

afterAll(async () => {
  await rig?.close();
});

/** The SDK client as ci-bot (the example's API key; sre-readonly may call get_health and get_metrics). */
async function client(mode: 'legacy' | { pin: string } = { pin: '2026-07-28' }): Promise<Client> {
  const c = new Client({ name: 'reliability', version: '1.0.0' }, { versionNegotiation: { mode } });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(rig.url), { requestInit: { headers: { 'x-api-key': RIG_KEY } } }),
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
    expect(auditLines(rig.front.plugin).find((l) => l.service === 'hanging-service')).toMatchObject({
      status: 'error',
      http_status: 504,
    });
  });

  it('a client that stops mid-body: it gets a JSON-RPC error (408) while the others are served', async () => {
    const socket = netConnect(rig.front.port, '127.0.0.1');
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
      const s = netConnect(rig.front.port, '127.0.0.1');
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
    rig.appAnswerBytes = TEN_MIB;
    const big = await c.callTool({ name: 'payment-service__get_health', arguments: {} }).finally(() => {
      rig.appAnswerBytes = 0;
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
    await rig.stopControl(); // the pod is gone: connections refused
    const downAt = l.count();
    await until(() => l.count() >= downAt + 40);
    await rig.replaceControl(); // the new pod, at a new address, as the endpoints update
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
    const broken = rig.gatewayConfig();
    broken.services[0].tools = ['not a tool name!'];
    expect(rig.front.configure(JSON.stringify(broken))).toBe(false);
    expect(rig.front.configure('{"mode":"gateway",')).toBe(false);
    const at = l.count();
    await until(() => l.count() >= at + 30);
    await l.stop();
    for (const c of clients) await c.close();
    expect(l.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(rig.front.plugin.logs.some((m) => m.message.startsWith('meshmcp: configuration rejected'))).toBe(true);
  });
});
