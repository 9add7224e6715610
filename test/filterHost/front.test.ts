// The HTTP front on loopback: routing by the filter's header, streaming both ways, Envoy's replies, admin, reload.

import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Front, type FrontOptions, startFront } from '../../filter/host/front.js';
import type { LogEntry } from '../../filter/host/index.js';
import { compileFixture } from './compileFixture.js';
import { call, closedPort, deferred, startUpstream, type Upstream } from './frontSupport.js';

let wasm: Uint8Array;
let alpha: Upstream;
let beta: Upstream;
const fronts: Front[] = [];
const extra: Upstream[] = [];

beforeAll(async () => {
  wasm = await compileFixture('frontRouter');
  alpha = await startUpstream('alpha');
  beta = await startUpstream('beta');
});
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
  await Promise.all(extra.splice(0).map((u) => u.close()));
  alpha.seen.length = 0;
  beta.seen.length = 0;
});
afterAll(async () => {
  await alpha.close();
  await beta.close();
});

async function front(options: Partial<FrontOptions> = {}): Promise<Front> {
  const f = await startFront({
    wasm,
    configuration: '{"tag":"one"}',
    upstreams: { alpha: { host: '127.0.0.1', port: alpha.port }, beta: { host: '127.0.0.1', port: beta.port } },
    ...options,
  });
  fronts.push(f);
  return f;
}

async function upstream(handler: Parameters<typeof startUpstream>[1]): Promise<Upstream> {
  const u = await startUpstream('custom', handler);
  extra.push(u);
  return u;
}

describe('routing', () => {
  it('forwards by the x-meshmcp-service header the filter set, with Envoy-added request headers', async () => {
    const f = await front();
    const a = await call(f.url, { headers: { 'x-route-to': 'alpha' }, body: 'hi' });
    const b = await call(f.url, { headers: { 'x-route-to': 'beta' }, body: 'there' });
    expect([a.status, a.body, b.status, b.body]).toEqual([200, 'alpha:hi', 200, 'beta:there']);
    expect(alpha.seen).toHaveLength(1);
    expect(beta.seen).toHaveLength(1);
    const seen = alpha.seen[0]!.headers;
    expect(seen['x-meshmcp-service']).toBe('alpha');
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen.host).toBe(new URL(f.url).host);
    // The upstream's answer went through on_response_headers.
    expect(a.headers['x-front-seen']).toBe('200');
    expect(a.headers['x-upstream']).toBe('alpha');
  });

  it('keeps a client x-request-id, and uses the default upstream when no route matches', async () => {
    const f = await front({ defaultUpstream: { host: '127.0.0.1', port: beta.port } });
    const r = await call(f.url, { headers: { 'x-request-id': 'given' }, body: 'x' });
    expect(r.body).toBe('beta:x');
    expect(beta.seen[0]?.headers['x-request-id']).toBe('given');
    // The default is the catch-all route: a route header naming no upstream lands there too, as in a pod's proxy.
    const other = await call(f.url, { headers: { 'x-route-to': 'gamma' }, body: 'y' });
    expect(other.body).toBe('beta:y');
  });

  it('answers an unknown service with the router 404, through the filter, without calling any upstream', async () => {
    const f = await front();
    const r = await call(f.url, { headers: { 'x-route-to': 'gamma' }, body: 'x' });
    expect(r.status).toBe(404);
    expect(r.body).toBe('');
    expect(r.headers['x-front-seen']).toBe('404');
    expect(alpha.seen.length + beta.seen.length).toBe(0);
    const none = await call(f.url, { body: 'x' });
    expect(none.status).toBe(404);
  });

  it("routes only requests for the virtual host's domains, as Envoy's virtual host choice does", async () => {
    const f = await front({ routeHosts: ['mcp.example.com', '*.mesh.example'] });
    const to = async (host: string) =>
      (await call(f.url, { headers: { 'x-route-to': 'alpha', host }, body: 'x' })).status;
    expect(await to('mcp.example.com')).toBe(200);
    expect(await to('MCP.example.com:3000')).toBe(200);
    expect(await to('a.mesh.example')).toBe(200);
    expect(alpha.seen).toHaveLength(3);
    // Another host meets no route, whatever route header it carries, and no upstream is called.
    expect(await to('shop.example.com')).toBe(404);
    expect(await to('mesh.example')).toBe(404);
    expect(alpha.seen).toHaveLength(3);
    // setUpstreams replaces the domains too; omitted, every host is served again.
    f.setUpstreams({ alpha: { host: '127.0.0.1', port: alpha.port } });
    expect(await to('shop.example.com')).toBe(200);
  });

  it('routes on a header set in the body callback when headers stopped with StopIteration', async () => {
    const f = await front({ allowOnHeadersStopIteration: true });
    const r = await call(f.url, { headers: { 'x-route-to': 'beta', 'x-front-mode': 'body-route' }, body: 'late' });
    expect(r.body).toBe('beta:late');
    expect(beta.seen[0]?.headers['x-meshmcp-service']).toBe('beta');
    expect(beta.seen[0]?.headers['x-front-body']).toBe('late');
  });

  it('gives the filter per-stream properties from the hook, over the plugin ones', async () => {
    const f = await front({
      streamProperties: (req) => ({
        connection: { uri_san_peer_certificate: `spiffe://test/${req.headers['x-who']}` },
      }),
    });
    await call(f.url, { headers: { 'x-route-to': 'alpha', 'x-front-mode': 'peer', 'x-who': 'ada' } });
    expect(alpha.seen[0]?.headers['x-front-peer']).toBe('spiffe://test/ada');
  });

  it('sends a local reply from the filter to the client, without calling the upstream', async () => {
    const f = await front();
    const r = await call(f.url, { headers: { 'x-route-to': 'alpha', 'x-front-mode': 'local' }, body: 'x' });
    expect([r.status, r.body, r.headers['x-front-seen']]).toEqual([418, 'denied by filter', '418']);
    expect(r.headers['content-type']).toBe('text/plain');
    expect(alpha.seen).toHaveLength(0);
  });
});

describe('streaming', () => {
  it('delivers server-sent events one by one, each through the response body callback', async () => {
    const firstArrived = deferred();
    const sse = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      // The second event exists only after the client has the first: a buffering front would never finish.
      void firstArrived.promise.then(() => res.end('data: two\n\n'));
    });
    const f = await front({ upstreams: { sse: { host: '127.0.0.1', port: sse.port } } });
    const chunks: string[] = [];
    const finished = deferred();
    const req = request(
      `${f.url}/events`,
      { method: 'GET', headers: { 'x-route-to': 'sse', 'x-front-mode': 'upper-response' }, agent: false },
      (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.on('data', (c: Buffer) => {
          chunks.push(c.toString());
          firstArrived.resolve();
        });
        res.on('end', () => finished.resolve());
      },
    );
    req.end();
    await finished.promise;
    expect(chunks).toEqual(['DATA: ONE\n\n', 'DATA: TWO\n\n']);
  });

  it('streams the request body to the upstream as the client sends it', async () => {
    const firstReceived = deferred<string>();
    const echo = await upstream((req, res) => {
      const parts: string[] = [];
      req.on('data', (c: Buffer) => {
        parts.push(c.toString());
        firstReceived.resolve(c.toString());
      });
      req.on('end', () => res.writeHead(200).end(parts.join('|')));
    });
    const f = await front({ upstreams: { echo: { host: '127.0.0.1', port: echo.port } } });
    const reply = deferred<string>();
    const req = request(
      `${f.url}/upload`,
      { method: 'POST', headers: { 'x-route-to': 'echo' }, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => reply.resolve(Buffer.concat(parts).toString()));
      },
    );
    req.flushHeaders();
    req.write('first');
    // The second chunk is written only once the upstream holds the first.
    expect(await firstReceived.promise).toBe('first');
    req.end('second');
    expect(await reply.promise).toBe('first|second');
  });
});

describe('failures', () => {
  it('answers 503 like Envoy when the upstream refuses connections', async () => {
    const f = await front({ upstreams: { down: { host: '127.0.0.1', port: await closedPort() } } });
    const r = await call(f.url, { headers: { 'x-route-to': 'down' }, body: 'x' });
    expect(r.status).toBe(503);
    expect(r.body).toBe('upstream connect error or disconnect/reset before headers. reset reason: connection failure');
    expect(r.headers['x-front-seen']).toBe('503');
  });

  it('answers 504 when the upstream does not answer in time, and abandons the upstream call', async () => {
    const abandoned = deferred();
    const silent = await upstream((req) => req.on('close', () => abandoned.resolve()));
    const f = await front({ timeoutMs: 50, upstreams: { silent: { host: '127.0.0.1', port: silent.port } } });
    const r = await call(f.url, { headers: { 'x-route-to': 'silent' }, body: 'x' });
    expect([r.status, r.body, r.headers['x-front-seen']]).toEqual([504, 'upstream request timeout', '504']);
    await abandoned.promise;
  });

  it('answers 408 when the filter holds the request past the timeout (StopIteration became StopAll)', async () => {
    const f = await front({ timeoutMs: 50 });
    const r = await call(f.url, { headers: { 'x-route-to': 'beta', 'x-front-mode': 'body-route' }, body: 'x' });
    expect([r.status, r.body, r.headers['x-front-seen']]).toEqual([408, 'stream timeout', '408']);
    expect(beta.seen).toHaveLength(0);
  });

  it('resets the client when the upstream breaks off after the response started', async () => {
    const broken = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n', () => res.socket?.destroy());
    });
    const f = await front({ upstreams: { broken: { host: '127.0.0.1', port: broken.port } } });
    const outcome = deferred<{ chunks: string[]; complete: boolean }>();
    const req = request(
      `${f.url}/events`,
      { method: 'GET', headers: { 'x-route-to': 'broken' }, agent: false },
      (res) => {
        const chunks: string[] = [];
        res.on('data', (c: Buffer) => chunks.push(c.toString()));
        res.on('error', () => {});
        res.on('close', () => outcome.resolve({ chunks, complete: res.complete }));
      },
    );
    req.on('error', () => {});
    req.end();
    expect(await outcome.promise).toEqual({ chunks: ['data: one\n\n'], complete: false });
  });

  it('runs on_log once when the client goes away mid-stream, and aborts the upstream call', async () => {
    const logged = deferred<LogEntry>();
    const abandoned = deferred();
    const sse = await upstream((req, res) => {
      req.on('close', () => abandoned.resolve());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    });
    const logs: LogEntry[] = [];
    const f = await front({
      upstreams: { sse: { host: '127.0.0.1', port: sse.port } },
      onLog: (entry) => {
        logs.push(entry);
        if (entry.message.startsWith('on_log')) logged.resolve(entry);
      },
    });
    const req = request(`${f.url}/events`, { method: 'GET', headers: { 'x-route-to': 'sse' }, agent: false }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => {});
    req.end();
    expect((await logged.promise).message).toMatch(/^on_log \d+ sse$/);
    await abandoned.promise;
    await f.close();
    expect(logs.filter((l) => l.message.startsWith('on_log'))).toHaveLength(1);
    expect(f.plugin.logs.filter((l) => l.message.startsWith('on_log'))).toHaveLength(1);
  });
});

describe('admin, workers and configuration', () => {
  it('serves Prometheus stats and readiness on the admin listener', async () => {
    const f = await front({ admin: {}, workers: 2 });
    for (const to of ['alpha', 'beta', 'alpha']) await call(f.url, { headers: { 'x-route-to': to } });
    const stats = await call(f.adminUrl!, { method: 'GET', path: '/stats/prometheus' });
    expect(stats.status).toBe(200);
    expect(stats.body).toContain('# TYPE front_requests_total counter\nfront_requests_total 3\n');
    expect(await call(f.adminUrl!, { method: 'GET', path: '/ready' })).toMatchObject({ status: 200, body: 'LIVE\n' });
    // Round-robin over the two worker VMs.
    const vms = f.plugin.logs.filter((l) => l.message.startsWith('on_log')).map((l) => l.vm);
    expect(vms).toEqual([0, 1, 0]);
    // The admin paths belong to the admin listener only; on the front they are ordinary (here unrouted) requests.
    expect((await call(f.url, { method: 'GET', path: '/stats/prometheus' })).status).toBe(404);
  });

  it('keeps the running configuration when a new one is rejected', async () => {
    const f = await front();
    expect((await call(f.url, { headers: { 'x-route-to': 'alpha' } })).headers['x-front-config']).toBe('{"tag":"one"}');
    expect(f.configure('{"reject":true}')).toBe(false);
    expect((await call(f.url, { headers: { 'x-route-to': 'alpha' } })).headers['x-front-config']).toBe('{"tag":"one"}');
    expect(f.configure('{"tag":"two"}')).toBe(true);
    expect((await call(f.url, { headers: { 'x-route-to': 'alpha' } })).headers['x-front-config']).toBe('{"tag":"two"}');
  });
});
