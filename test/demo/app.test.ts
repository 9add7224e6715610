// The runtime shared by the demos: routing errors, body cap, /chaos, latency injection, logs and shutdown.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp, type DemoOptions, HttpError, json, MAX_BODY_BYTES, type RunningDemo } from '../../demo/app.js';
import { getJson, logLines, postJson, scrape, tempDir } from './helpers.js';

const running: RunningDemo[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function start(options: Partial<DemoOptions> = {}) {
  const logDir = options.logDir ?? tempDir();
  const app = createApp('test-service', '0.0.1', { port: 0, logDir, ...options });
  app.health(() => ({ database: { status: app.chaos.healthy ? 'connected' : 'disconnected' } }));
  app.route('GET', '/items/{id}', ({ params }) => json(200, { id: params['id'] }));
  app.route('PUT', '/items/{id}', () => json(204, null));
  app.route('GET', '/boom', () => {
    throw new Error('secret internal detail');
  });
  app.route('GET', '/teapot', () => {
    throw new HttpError(418, 'short and stout');
  });
  const demo = await app.listen();
  running.push(demo);
  return { app, demo, url: demo.url, logDir };
}

describe('demo app runtime', () => {
  it('answers unknown routes 404 and wrong methods 405 with JSON, labelling metrics by template', async () => {
    const { url } = await start();
    const missing = await getJson(`${url}/nope/${'x'.repeat(40)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no route/);
    const wrong = await getJson(`${url}/items/a1`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, PUT');
    expect((await getJson(`${url}/items/a1`)).body).toEqual({ id: 'a1' });
    await getJson(`${url}/items/b2`);

    const m = await scrape(url);
    expect(m.get('http_requests_total{method="GET",path="unmatched",status="404"}')).toBe(1);
    expect(m.get('http_requests_total{method="DELETE",path="/items/{id}",status="405"}')).toBe(1);
    // Two ids, one series: the path label is the route template, so cardinality stays bounded.
    expect(m.get('http_requests_total{method="GET",path="/items/{id}",status="200"}')).toBe(2);
    expect(m.get('http_request_duration_seconds_count{method="GET",path="/items/{id}"}')).toBe(2);
    expect(m.get('http_request_duration_seconds_bucket{method="GET",path="/items/{id}",le="+Inf"}')).toBe(2);
  });

  it('hides unexpected errors behind a 500 and passes HttpError statuses through', async () => {
    const { url, logDir } = await start();
    const boom = await getJson(`${url}/boom`);
    expect(boom).toMatchObject({ status: 500, body: { error: 'internal error' } });
    expect(JSON.stringify(boom.body)).not.toContain('secret');
    expect(await getJson(`${url}/teapot`)).toMatchObject({ status: 418, body: { error: 'short and stout' } });
    expect(logLines(logDir).find((l) => l.message === 'handler failed')).toMatchObject({
      level: 'error',
      error: 'secret internal detail',
    });
  });

  it('rejects malformed percent-encoding with 400', async () => {
    const { url } = await start();
    expect((await getJson(`${url}/items/%E0%A4%A`)).status).toBe(400);
  });

  it('caps request bodies at 64 KiB with 413 and leaves the state alone', async () => {
    const { url } = await start();
    const big = JSON.stringify({ healthy: false, pad: 'x'.repeat(MAX_BODY_BYTES) });
    const res = await postJson(`${url}/chaos`, big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than 65536/);
    expect((await getJson(`${url}/chaos`)).body).toEqual({ healthy: true, latencyMs: 0 });
  });

  it('flips /health between 200 and 503 through POST /chaos, with partial updates', async () => {
    const { url } = await start();
    expect(await getJson(`${url}/health`)).toMatchObject({
      status: 200,
      body: { status: 'healthy', version: '0.0.1', dependencies: { database: { status: 'connected' } } },
    });
    expect((await postJson(`${url}/chaos`, { healthy: false })).body).toEqual({ healthy: false, latencyMs: 0 });
    expect(await getJson(`${url}/health`)).toMatchObject({
      status: 503,
      body: { status: 'unhealthy', dependencies: { database: { status: 'disconnected' } } },
    });
    // Only latencyMs is given, so healthy keeps its value.
    expect((await postJson(`${url}/chaos`, { latencyMs: 5 })).body).toEqual({ healthy: false, latencyMs: 5 });
    expect((await postJson(`${url}/chaos`, { healthy: true, latencyMs: 0 })).body).toEqual({
      healthy: true,
      latencyMs: 0,
    });
    expect((await getJson(`${url}/health`)).status).toBe(200);
  });

  it.each([
    ['not JSON', 'healthy=false', /must be JSON/],
    ['an array', '[]', /JSON object/],
    ['an unknown field', '{"healthy":false,"errorRate":0.5}', /unknown field\(s\) errorRate/],
    ['a non-boolean healthy', '{"healthy":"no"}', /healthy must be a boolean/],
    ['a negative latency', '{"latencyMs":-1}', /integer from 0 to 60000/],
    ['a fractional latency', '{"latencyMs":1.5}', /integer from 0 to 60000/],
    ['a latency above the cap', '{"latencyMs":60001}', /integer from 0 to 60000/],
  ])('rejects a /chaos body with %s and keeps the state', async (_what, body, message) => {
    const { url } = await start();
    const res = await postJson(`${url}/chaos`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    expect((await getJson(`${url}/chaos`)).body).toEqual({ healthy: true, latencyMs: 0 });
  });

  it('delays every route but /chaos while latency is injected', async () => {
    const { url, logDir } = await start();
    await postJson(`${url}/chaos`, { latencyMs: 150 });
    expect((await getJson(`${url}/chaos`)).body).toEqual({ healthy: true, latencyMs: 150 });
    const health = await getJson(`${url}/health`);
    expect(health.status).toBe(200);
    const m = await scrape(url);
    expect(m.get('chaos_delays_injected_total{path="/health"}')).toBe(1);
    expect(m.get('chaos_delays_injected_total{path="/metrics"}')).toBe(1);
    expect([...m.keys()].some((k) => k.includes('path="/chaos"') && k.startsWith('chaos_delays'))).toBe(false);
    const line = logLines(logDir).find((l) => l.message === 'request' && l.path === '/health');
    expect(line).toMatchObject({ status: 200, injected_latency_ms: 150 });
    await postJson(`${url}/chaos`, { latencyMs: 0 });
    await getJson(`${url}/health`);
    expect((await scrape(url)).get('chaos_delays_injected_total{path="/health"}')).toBe(1);
  });

  it('writes one JSON line per request to DIR/app.log, creating DIR, with levels by status', async () => {
    const logDir = path.join(tempDir(), 'nested', 'logs');
    const { url, demo } = await start({ logDir });
    await getJson(`${url}/items/a1`, { headers: { 'x-request-id': 'req-42' } });
    await getJson(`${url}/nope`);
    await getJson(`${url}/boom`);
    expect(existsSync(path.join(logDir, 'app.log'))).toBe(true);
    const requests = logLines(logDir).filter((l) => l.message === 'request');
    expect(requests.map((l) => [l.path, l.status, l.level])).toEqual([
      ['/items/a1', 200, 'info'],
      ['/nope', 404, 'warn'],
      ['/boom', 500, 'error'],
    ]);
    for (const l of requests) {
      expect(typeof l.timestamp).toBe('string');
      expect(Number.isNaN(Date.parse(l.timestamp))).toBe(false);
      expect(l).toMatchObject({ component: 'test-service', method: 'GET' });
      expect(typeof l.duration_ms).toBe('number');
    }
    expect(requests[0]).toMatchObject({ route: '/items/{id}', request_id: 'req-42' });
    expect(requests[1]).toMatchObject({ route: 'unmatched', error: 'no route for /nope' });
    await demo.close();
    const all = logLines(logDir);
    expect(all[0]).toMatchObject({ message: 'service started', level: 'info', port: demo.port });
    expect(all.at(-1)).toMatchObject({ message: 'service stopped' });
  });

  it('applies the start options and validates them', async () => {
    const { url } = await start({ unhealthy: true, latencyMs: 1 });
    expect((await getJson(`${url}/chaos`)).body).toEqual({ healthy: false, latencyMs: 1 });
    expect((await getJson(`${url}/health`)).status).toBe(503);
    expect(() => createApp('x', '1', { port: 0, latencyMs: -3 })).toThrow(RangeError);
  });

  it('closes promptly while a request sleeps through injected latency, and that request still gets its answer', async () => {
    const { app, url, demo } = await start({ latencyMs: 60_000 });
    const pending = getJson(`${url}/health`);
    // The delay counter moves when the request has reached the server and started sleeping.
    await vi.waitFor(() => expect(app.registry.render()).toContain('chaos_delays_injected_total{path="/health"} 1'));
    await demo.close();
    expect((await pending).status).toBe(200);
    await demo.close(); // idempotent
  });
});
