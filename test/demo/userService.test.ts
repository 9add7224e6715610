// user-service: health, user lookups and the active_sessions gauge, healthy and with the database down.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DemoOptions, RunningDemo } from '../../demo/app.js';
import { startUserService } from '../../demo/userService.js';
import { getJson, logLines, postJson, scrape, tempDir } from './helpers.js';

const running: RunningDemo[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const r of running.splice(0)) await r.close();
});

async function start(options: Partial<DemoOptions> = {}) {
  const logDir = tempDir();
  const demo = await startUserService({ port: 0, logDir, ...options });
  running.push(demo);
  return { url: demo.url, logDir };
}

describe('user-service', () => {
  it('reports its database in /health and flips to 503 through /chaos', async () => {
    const { url, logDir } = await start();
    const up = await getJson(`${url}/health`);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      status: 'healthy',
      version: '2.1.0',
      dependencies: { database: { status: 'connected' } },
    });
    await postJson(`${url}/chaos`, { healthy: false });
    const down = await getJson(`${url}/health`);
    expect(down.status).toBe(503);
    expect(down.body.dependencies.database).toMatchObject({ status: 'disconnected', error: expect.any(String) });
    expect(logLines(logDir).find((l) => l.message === 'database connection lost')?.level).toBe('error');
  });

  it('serves users: 200 known, 404 unknown, 400 malformed, 503 while the database is down', async () => {
    const { url } = await start();
    expect(await getJson(`${url}/users/u_1001`)).toMatchObject({
      status: 200,
      body: { id: 'u_1001', name: 'Ada Lovelace', status: 'active' },
    });
    expect((await getJson(`${url}/users/u_9999`)).status).toBe(404);
    expect((await getJson(`${url}/users/u.1001`)).status).toBe(400);
    expect((await getJson(`${url}/users/u_1001`, { method: 'POST' })).status).toBe(405);
    await postJson(`${url}/chaos`, { healthy: false });
    expect(await getJson(`${url}/users/u_1001`)).toMatchObject({
      status: 503,
      body: { error: expect.stringMatching(/database unavailable/) },
    });
  });

  it('exposes request metrics and an active_sessions gauge that moves with time and drops with the database', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { url } = await start();
    await getJson(`${url}/users/u_1002`);
    let m = await scrape(url);
    expect(m.get('http_requests_total{method="GET",path="/users/{id}",status="200"}')).toBe(1);
    expect(m.get('active_sessions')).toBe(42);
    vi.advanceTimersByTime(2000);
    m = await scrape(url);
    expect(m.get('active_sessions')).toBe(51);
    await postJson(`${url}/chaos`, { healthy: false });
    m = await scrape(url);
    expect(m.get('active_sessions')).toBe(0);
    expect(m.get('http_requests_total{method="POST",path="/chaos",status="200"}')).toBe(1);
  });
});
