// payment-service: health, transactions and their retry state machine, queue metrics, admin token, logs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DemoOptions, RunningDemo } from '../../demo/app.js';
import { BACKLOG_DEPTH, PaymentQueue, startPaymentService } from '../../demo/paymentService.js';
import { getJson, logLines, postJson, scrape, tempDir } from './helpers.js';

const running: RunningDemo[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const r of running.splice(0)) await r.close();
});

async function start(options: Partial<DemoOptions> = {}) {
  const logDir = tempDir();
  const demo = await startPaymentService({ port: 0, logDir, ...options });
  running.push(demo);
  return { url: demo.url, logDir };
}

describe('payment-service', () => {
  it('reports healthy dependencies with 200', async () => {
    const { url } = await start();
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'healthy',
      version: '1.4.2',
      dependencies: {
        database: { status: 'connected' },
        stripe: { status: 'reachable' },
        queue: { status: 'ok' },
      },
    });
    expect(Number.isInteger(body.uptime_s)).toBe(true);
    expect(Number.isInteger(body.dependencies.database.latency_ms)).toBe(true);
    expect(Number.isInteger(body.dependencies.queue.depth)).toBe(true);
  });

  it('starts unhealthy with --unhealthy, shows the database failure, and recovers through /chaos', async () => {
    const { url, logDir } = await start({ unhealthy: true });
    const down = await getJson(`${url}/health`);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unhealthy');
    expect(down.body.dependencies.database).toEqual({
      status: 'disconnected',
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    await postJson(`${url}/chaos`, { healthy: true });
    expect((await getJson(`${url}/health`)).body.dependencies.database.status).toBe('connected');
    await postJson(`${url}/chaos`, { healthy: false });
    const lost = logLines(logDir).find((l) => l.message === 'database connection lost');
    expect(lost).toMatchObject({ level: 'error', error: expect.stringMatching(/5432/) });
    expect(logLines(logDir).some((l) => l.message === 'database connection restored')).toBe(true);
  });

  it('looks transactions up by id: 200 known, 404 unknown, 400 malformed', async () => {
    const { url } = await start();
    const ok = await getJson(`${url}/admin/transaction/tx_12345`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: 'tx_12345', status: 'succeeded', amount: 49.99, currency: 'USD' });
    expect((await getJson(`${url}/admin/transaction/tx_failed_1`)).body).toMatchObject({
      status: 'failed',
      last_error: expect.any(String),
    });
    expect(await getJson(`${url}/admin/transaction/tx_nope`)).toMatchObject({
      status: 404,
      body: { error: 'transaction tx_nope not found' },
    });
    for (const bad of ['bad.id', 'a%20b', 'x'.repeat(65), '%3Cscript%3E']) {
      const res = await getJson(`${url}/admin/transaction/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error).toMatch(/transaction id must match/);
    }
  });

  it('retries only failed transactions: failed → succeeded, then 409; unknown 404; GET on retry 405', async () => {
    const { url, logDir } = await start();
    const before = await scrape(url);
    expect(before.get('payment_queue_depth{queue="retry"}')).toBe(2);

    const retried = await postJson(`${url}/admin/retry/tx_failed_1`, {});
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      id: 'tx_failed_1',
      status: 'succeeded',
      attempts: 2,
      previous_status: 'failed',
    });
    expect((await getJson(`${url}/admin/transaction/tx_failed_1`)).body.status).toBe('succeeded');

    const again = await postJson(`${url}/admin/retry/tx_failed_1`, {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/is succeeded; only failed/);
    expect((await postJson(`${url}/admin/retry/tx_12345`, {})).status).toBe(409);
    expect((await postJson(`${url}/admin/retry/tx_pending_1`, {})).status).toBe(409);
    expect((await postJson(`${url}/admin/retry/tx_nope`, {})).status).toBe(404);
    expect((await postJson(`${url}/admin/retry/bad.id`, {})).status).toBe(400);
    expect((await getJson(`${url}/admin/retry/tx_failed_2`)).status).toBe(405);

    const after = await scrape(url);
    expect(after.get('payment_queue_depth{queue="retry"}')).toBe(1);
    expect(after.get('payments_total{provider="stripe"}')).toBe(before.get('payments_total{provider="stripe"}')! + 1);
    expect(after.get('payments_successful_total{provider="stripe"}')).toBe(
      before.get('payments_successful_total{provider="stripe"}')! + 1,
    );
    expect(logLines(logDir).find((l) => l.message === 'payment retried')).toMatchObject({
      transaction_id: 'tx_failed_1',
      attempts: 2,
    });
  });

  it('answers 503 for transactions while the database is down, and leaves failed ones failed', async () => {
    const { url, logDir } = await start({ unhealthy: true });
    expect((await getJson(`${url}/admin/transaction/tx_12345`)).status).toBe(503);
    const retry = await postJson(`${url}/admin/retry/tx_failed_1`, {});
    expect(retry.status).toBe(503);
    expect(retry.body.error).toMatch(/database unavailable/);
    await postJson(`${url}/chaos`, { healthy: true });
    expect((await getJson(`${url}/admin/transaction/tx_failed_1`)).body.status).toBe('failed');
    const failures = logLines(logDir).filter((l) => l.message === 'request' && l.status === 503);
    expect(failures.length).toBe(2);
    expect(failures.every((l) => l.level === 'error')).toBe(true);
  });

  it('requires X-Admin-Token on /admin when a token is configured', async () => {
    const { url } = await start({ adminToken: 's3cret' });
    expect((await getJson(`${url}/admin/transaction/tx_12345`)).status).toBe(401);
    const wrong = { headers: { 'x-admin-token': 'guess' } };
    expect((await getJson(`${url}/admin/transaction/tx_12345`, wrong)).status).toBe(401);
    const right = { headers: { 'x-admin-token': 's3cret' } };
    expect((await getJson(`${url}/admin/transaction/tx_12345`, right)).status).toBe(200);
    expect((await postJson(`${url}/admin/retry/tx_failed_1`, {}, { 'x-admin-token': 's3cret' })).status).toBe(200);
    expect((await getJson(`${url}/health`)).status).toBe(200);
  });

  it('exposes request, latency, queue and payment metrics that move with traffic and time', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { url } = await start();
    const first = await scrape(url);
    expect(first.get('payment_queue_depth{queue="processing"}')).toBe(4);
    expect(first.get('payments_total{provider="stripe"}')).toBe(0);

    await getJson(`${url}/admin/transaction/tx_12345`);
    await getJson(`${url}/admin/transaction/tx_67890`);
    vi.advanceTimersByTime(1000);
    const second = await scrape(url);
    expect(second.get('http_requests_total{method="GET",path="/admin/transaction/{id}",status="200"}')).toBe(2);
    expect(second.get('http_requests_total{method="GET",path="/metrics",status="200"}')).toBe(1);
    expect(second.get('http_request_duration_seconds_count{method="GET",path="/admin/transaction/{id}"}')).toBe(2);
    // One tick: 4 waiting + 3 arriving, 6 settled by the workers.
    expect(second.get('payment_queue_depth{queue="processing"}')).toBe(1);
    expect(second.get('payments_total{provider="stripe"}')).toBe(6);
    expect(second.get('payments_successful_total{provider="stripe"}')).toBe(6);

    await postJson(`${url}/chaos`, { healthy: false });
    vi.advanceTimersByTime(3000);
    const third = await scrape(url);
    expect(third.get('payment_queue_depth{queue="processing"}')).toBe(1 + 6 + 4 + 7);
    expect(third.get('payments_total{provider="stripe"}')).toBe(6);
  });
});

describe('PaymentQueue', () => {
  it('is deterministic, grows while the database is down and drains when it is back', () => {
    const a = new PaymentQueue();
    const b = new PaymentQueue();
    const run = (q: PaymentQueue, up: (i: number) => boolean) =>
      Array.from({ length: 200 }, (_, i) => ({ ...q.tick(up(i)), depth: q.depth }));
    const outage = (i: number) => i < 40 || i >= 70;
    expect(run(a, outage)).toEqual(run(b, outage));

    const q = new PaymentQueue();
    for (let i = 0; i < 30; i++) q.tick(false);
    const backlog = q.depth;
    expect(backlog).toBeGreaterThan(BACKLOG_DEPTH);
    let ticks = 0;
    while (q.depth > 10 && ticks < 1000) {
      q.tick(true);
      ticks++;
    }
    expect(q.depth).toBeLessThanOrEqual(10);
    expect(ticks).toBeLessThan(1000);
  });

  it('declines one settled payment in 25', () => {
    const q = new PaymentQueue();
    let succeeded = 0;
    let declined = 0;
    for (let i = 0; i < 500; i++) {
      const r = q.tick(true);
      succeeded += r.succeeded;
      declined += r.declined;
    }
    expect(declined).toBe(Math.floor((succeeded + declined) / 25));
  });
});
