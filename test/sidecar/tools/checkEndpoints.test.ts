// check_endpoints against a stand-in app on loopback: ok and failing paths, timeouts, and the configured-only rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { checkEndpoints, type ProbeResult } from '../../../sidecar/tools/checkEndpoints.js';
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
const CONFIGURED = ['/health', '/api/orders', '/api/broken', '/slow', '/moved'];

beforeAll(async () => {
  app = await startServer((req, res) => {
    switch (req.url) {
      case '/health':
      case '/api/orders':
        res.end('ok');
        return;
      case '/api/broken':
        res.statusCode = 500;
        res.end('boom');
        return;
      case '/moved':
        res.statusCode = 302;
        res.setHeader('location', 'http://elsewhere.example/');
        res.end();
        return;
      case '/slow':
        return; // never answers
      default:
        res.statusCode = 404;
        res.end();
    }
  });
});
afterAll(() => app.close());

const ctx = (endpoints = CONFIGURED) => makeContext(makeSettings({ appUrl: app.url, endpoints }));
type Out = { ok: number; failing: number; total: number; results: ProbeResult[] };

describe('check_endpoints', () => {
  it('probes every configured path and summarizes ok versus failing', async () => {
    const r = await call(checkEndpoints, { timeout_ms: 300 }, ctx());
    const o = structured<Out>(r);
    expect(o).toMatchObject({ ok: 3, failing: 2, total: 5 });
    const byPath = Object.fromEntries(o.results.map((p) => [p.path, p]));
    expect(byPath['/health']).toMatchObject({ ok: true, status: 200 });
    expect(byPath['/api/broken']).toMatchObject({ ok: false, status: 500 });
    expect(byPath['/moved']).toMatchObject({ ok: true, status: 302 });
    expect(byPath['/slow']!.ok).toBe(false);
    expect(byPath['/slow']!.status).toBeUndefined();
    expect(byPath['/slow']!.error).toMatch(/^timed out after \d+ ms$/);
    expect(o.results.map((p) => p.path)).toEqual(CONFIGURED);
    expect(textOf(r)).toMatch(/^3 ok \/ 2 failing/);
    expect(textOf(r)).toContain('FAIL /api/broken 500');
    // Redirects are reported, not followed.
    expect(app.requests.some((q) => q.url.includes('elsewhere'))).toBe(false);
  });

  it('probes only the requested subset', async () => {
    const before = app.requests.length;
    const r = await call(checkEndpoints, { paths: ['/api/orders', '/api/orders'] }, ctx());
    expect(structured<Out>(r)).toMatchObject({ ok: 1, failing: 0, total: 1 });
    expect(app.requests.slice(before).map((q) => q.url)).toEqual(['/api/orders']);
  });

  it('refuses paths that are not configured, without probing anything', async () => {
    const before = app.requests.length;
    for (const p of ['/admin', 'http://169.254.169.254/latest/meta-data', '//evil.example/x', '/health/../admin']) {
      const err = await call(checkEndpoints, { paths: ['/health', p] }, ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect((err as Error).message).toContain('configured paths: /health, /api/orders');
    }
    expect(app.requests.length).toBe(before);
  });

  it('bounds its arguments', async () => {
    await expect(call(checkEndpoints, { timeout_ms: 60_000 }, ctx())).rejects.toThrow(/<= 10000/);
    await expect(call(checkEndpoints, { paths: Array(51).fill('/health') }, ctx())).rejects.toThrow(/too many/);
  });

  it('says when the app does not answer at all', async () => {
    const port = await freePort();
    const c = makeContext(makeSettings({ appUrl: `http://127.0.0.1:${port}`, endpoints: ['/health', '/ready'] }));
    const r = await call(checkEndpoints, {}, c);
    expect(structured<Out>(r)).toMatchObject({ ok: 0, failing: 2 });
    expect(structured<Out>(r).results[0]!.error).toContain('connection refused');
    expect(textOf(r)).toContain('no endpoint answered');
  });

  it('explains how to configure endpoints when there are none', async () => {
    await expect(call(checkEndpoints, {}, ctx([]))).rejects.toThrow(/CHECK_ENDPOINTS/);
  });
});
