// A session per call for an MCP server of a pod's own that keeps sessions, over real HTTP on loopback: the gateway
// front (gateway mode) marks an aggregated call for such a server, the pod's front (sidecar mode, headers Stop as
// StopAll, as in an Istio sidecar) holds it, opens a session on the server through the `meshmcp-upstream` cluster
// with proxy_http_call, sends the call in it and ends the session (DELETE) when the stream is over. The server is
// the conformance test server of demo/ (the real SDK v2 server), which keeps 2025-11-25 sessions.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConformanceServer, startConformanceServer } from '../../demo/conformanceServer.js';
import { type Front, startFront } from '../../filter/host/front.js';
import { auditLines, example, filterWasm, type Json } from './harness.js';

const GATEWAY_SAN = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
let server: RunningConformanceServer;
const fronts: Front[] = [];

beforeAll(async () => {
  server = await startConformanceServer({ port: 0 });
});

afterAll(async () => {
  await Promise.all(fronts.map((f) => f.close()));
  await server?.close();
});

const upstreamEntry = (port: number, path = '/mcp'): Json => ({
  name: 'conformance',
  namespace: 'tools',
  host: '127.0.0.1',
  port,
  tools: ['test_simple_text'],
  upstream: { path },
});

/** The pod's proxy: sidecar mode in front of the server; `cluster` false leaves out the cluster its EnvoyFilter adds. */
async function podProxy(options: { path?: string; cluster?: boolean; allowStop?: boolean } = {}): Promise<Front> {
  const config = example('sidecar');
  config.services = [upstreamEntry(server.port, options.path)];
  const target = { host: '127.0.0.1', port: server.port };
  const front = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(config),
    allowOnHeadersStopIteration: options.allowStop ?? false,
    defaultUpstream: target,
    ...(options.cluster === false ? {} : { clusters: { 'meshmcp-upstream': target } }),
    // The gateway's workload identity, as mTLS would give it.
    streamProperties: () => ({ connection: { uri_san_peer_certificate: GATEWAY_SAN } }),
  });
  fronts.push(front);
  return front;
}

async function gatewayTo(pod: Front, path = '/mcp'): Promise<Front> {
  const config = example('gateway');
  config.services.push(upstreamEntry(pod.port, path));
  config.policy.rules.unshift({
    name: 'conformance',
    effect: 'allow',
    groups: ['sre-readonly'],
    tools: ['conformance__*'],
  });
  const front = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(config),
    allowOnHeadersStopIteration: true,
    upstreams: { conformance: { host: '127.0.0.1', port: pod.port } },
  });
  fronts.push(front);
  return front;
}

async function call(front: Front, version: string, path = '/mcp'): Promise<{ status: number; text: string }> {
  const meta =
    version === '2026-07-28'
      ? {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': version,
            'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        }
      : {};
  const res = await fetch(`${front.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': version,
      'x-api-key': 'test',
      // 2026-07-28 wants the method and name in headers too.
      ...(version === '2026-07-28' ? { 'mcp-method': 'tools/call', 'mcp-name': 'conformance__test_simple_text' } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'conformance__test_simple_text', arguments: {}, ...meta },
    }),
  });
  return { status: res.status, text: await res.text() };
}

/** The server ends a session on DELETE, which the pod's proxy sends once the stream is over: wait for it. */
async function sessionsEnded(): Promise<number> {
  for (let i = 0; i < 200 && server.openSessions() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  return server.openSessions();
}

describe('a session per call for a server that keeps sessions, from the aggregated /mcp', () => {
  it.each(['2025-11-25', '2026-07-28'])(
    'a %s call reaches the server in a session of its own, ended after',
    async (v) => {
      const pod = await podProxy();
      const gw = await gatewayTo(pod);
      const r = await call(gw, v);
      expect(r.status).toBe(200);
      expect(r.text).toContain('This is a simple text response for testing.');
      // 2026-07-28 wants resultType in every result; the older revision's answer gets it on the way back.
      if (v === '2026-07-28') expect(r.text).toContain('"resultType":"complete"');
      expect(await sessionsEnded()).toBe(0);
      const podLines = auditLines(pod.plugin).filter((l) => l.method === 'tools/call');
      expect(podLines.at(-1)).toMatchObject({ service: 'conformance', tool: 'test_simple_text', status: 'success' });
    },
  );

  it('holds the body too where a headers Stop holds only the headers (allow_on_headers_stop_iteration)', async () => {
    const pod = await podProxy({ allowStop: true });
    const gw = await gatewayTo(pod);
    const r = await call(gw, '2025-11-25');
    expect(r.status).toBe(200);
    expect(r.text).toContain('This is a simple text response for testing.');
    expect(await sessionsEnded()).toBe(0);
  });

  // The pod answers as Envoy's router does for a server that is down (503, plain text), so the gateway turns it into
  // the same isError result: one server failing reads as its tools failing.
  it('answers a call as failed, naming the server and why, when the server does not open a session', async () => {
    const pod = await podProxy({ path: '/elsewhere' });
    const gw = await gatewayTo(pod, '/elsewhere');
    const r = await call(gw, '2025-11-25');
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.id).toBe(7);
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0].text).toContain(
      'conformance did not open a session: initialize answered HTTP 404 without Mcp-Session-Id; HTTP 503 at the gateway',
    );
    const podLine = auditLines(pod.plugin).at(-1);
    expect(podLine).toMatchObject({ service: 'conformance', status: 'unavailable' });
  });

  it('names the missing cluster when the pod has none', async () => {
    const pod = await podProxy({ cluster: false });
    const gw = await gatewayTo(pod);
    const r = await call(gw, '2025-11-25');
    expect(JSON.parse(r.text).result.content[0].text).toContain(
      'conformance did not open a session: no route to the server (cluster meshmcp-upstream)',
    );
  });

  it('opens nothing for a request the gateway did not mark: the server judges it', async () => {
    const pod = await podProxy();
    const r = await call(pod, '2025-11-25');
    expect(r.status).toBe(400);
    expect(r.text).toContain('initialize first');
    expect(server.openSessions()).toBe(0);
  });
});

/**
 * A slow MCP server (a mock, named as one: it answers only what opening and ending a session needs): it records each
 * request and holds back its answer to `slow` (initialize or notifications/initialized) until `release()`.
 */
async function slowServer(slow: 'initialize' | 'notifications/initialized') {
  const seen: Array<{ method: string; rpc?: string; session?: string }> = [];
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rpc = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString()) as { method?: string }).method
        : undefined;
      const session = req.headers['mcp-session-id'] as string | undefined;
      seen.push({ method: req.method ?? '', ...(rpc ? { rpc } : {}), ...(session ? { session } : {}) });
      if (rpc === slow) await released;
      if (rpc === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's-1' });
        res.end(
          '{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"slow","version":"1"}}}',
        );
      } else if (rpc === 'notifications/initialized') {
        res.writeHead(202).end();
      } else {
        res.writeHead(200).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, seen, release, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('a stream that ends while its session is being opened', () => {
  it.each(['initialize', 'notifications/initialized'] as const)(
    'ends the session it got (the client left during %s), and sends the call nowhere',
    async (slow) => {
      const mock = await slowServer(slow);
      const config = example('sidecar');
      config.services = [upstreamEntry(mock.port)];
      const target = { host: '127.0.0.1', port: mock.port };
      const pod = await startFront({
        wasm: filterWasm(),
        configuration: JSON.stringify(config),
        defaultUpstream: target,
        clusters: { 'meshmcp-upstream': target },
        streamProperties: () => ({ connection: { uri_san_peer_certificate: GATEWAY_SAN } }),
      });
      try {
        const abort = new AbortController();
        const sent = fetch(`${pod.url}/mcp`, {
          method: 'POST',
          signal: abort.signal,
          headers: {
            'content-type': 'application/json',
            'x-meshmcp-upstream-session': 'call',
            'x-meshmcp-principal': 'sam',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_simple_text' } }),
        }).catch(() => undefined);
        // The client goes away while the server still holds its answer.
        while (!mock.seen.some((r) => r.rpc === slow)) await new Promise((r) => setTimeout(r, 5));
        abort.abort();
        await sent;
        await new Promise((r) => setTimeout(r, 50));
        mock.release();
        while (!mock.seen.some((r) => r.method === 'DELETE')) await new Promise((r) => setTimeout(r, 5));
        expect(mock.seen.find((r) => r.method === 'DELETE')).toEqual({ method: 'DELETE', session: 's-1' });
        expect(mock.seen.some((r) => r.rpc === 'tools/call')).toBe(false);
      } finally {
        await pod.close();
        await mock.close();
      }
    },
  );
});
