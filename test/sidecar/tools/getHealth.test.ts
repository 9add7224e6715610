// get_health against a real stand-in app on loopback: healthy, unhealthy, down, slow, and body handling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { getHealth } from '../../../sidecar/tools/getHealth.js';
import {
  call,
  freePort,
  makeContext,
  makeSettings,
  startServer,
  structured,
  type TestServer,
  textOf,
} from './helpers.js';

let app: TestServer;

beforeAll(async () => {
  app = await startServer((req, res) => {
    switch (req.url) {
      case '/health':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'UP', db: { url: 'postgres://app:hunter2@db:5432/app', password: 'pw' } }));
        return;
      case '/down':
        res.statusCode = 503;
        res.end('database unreachable');
        return;
      case '/big':
        res.end('x'.repeat(200_000));
        return;
      case '/empty':
        res.statusCode = 204;
        res.end();
        return;
      case '/slow':
        return; // never answers: the client's timeout must fire
      default:
        res.statusCode = 404;
        res.end('not found');
    }
  });
});
afterAll(() => app.close());

const ctxFor = (healthPath: string, toolTimeoutMs = 10_000) =>
  makeContext(makeSettings({ appUrl: app.url, healthPath, toolTimeoutMs }));

describe('get_health', () => {
  it('reports a healthy app with status, latency and the parsed, redacted body', async () => {
    const r = await call(getHealth, {}, ctxFor('/health'));
    const s = structured(r);
    expect(s).toMatchObject({ status: 200, healthy: true, body_truncated: false });
    expect(typeof s['latency_ms']).toBe('number');
    expect(s['body']).toEqual({ status: 'UP', db: { url: 'postgres://app:***@db:5432/app', password: '***' } });
    expect(textOf(r)).toMatch(/^HEALTHY: GET \/health answered 200 in [\d.]+ ms/);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('reports an unhealthy app as a result, not an error', async () => {
    const r = await call(getHealth, {}, ctxFor('/down'));
    expect(r.isError).toBeUndefined();
    expect(structured(r)).toMatchObject({ status: 503, healthy: false, body: 'database unreachable' });
    expect(textOf(r)).toContain('UNHEALTHY');
  });

  it('caps a large body and says so', async () => {
    const r = await call(getHealth, {}, ctxFor('/big'));
    const s = structured(r);
    expect(s['body_truncated']).toBe(true);
    expect((s['body'] as string).length).toBeLessThan(5000);
    expect(textOf(r).length).toBeLessThan(5000);
  });

  it('handles an empty body', async () => {
    const r = await call(getHealth, {}, ctxFor('/empty'));
    expect(structured(r)).toMatchObject({ status: 204, healthy: true });
    expect(textOf(r)).toContain('(empty body)');
  });

  it('names the app and the setting to check when nothing listens', async () => {
    const port = await freePort();
    const ctx = makeContext(makeSettings({ appUrl: `http://127.0.0.1:${port}` }));
    const err = await call(getHealth, {}, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toContain('connection refused');
    expect((err as Error).message).toContain('HEALTH_PATH');
  });

  it('reports a timeout as a timeout error within the tool budget', async () => {
    const err = await call(getHealth, {}, ctxFor('/slow', 400)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toMatch(/timed out after \d+ ms/);
  });

  it('takes no arguments', async () => {
    await expect(call(getHealth, { url: 'http://evil.example' }, ctxFor('/health'))).rejects.toThrow(/not a known/);
  });
});
