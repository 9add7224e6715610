// query_envoy against a mock of the Envoy admin API (no Envoy binary exists here) that records every request,
// so the tests can show that nothing outside the read-only allow-list is ever asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { queryEnvoy } from '../../../sidecar/tools/queryEnvoy.js';
import {
  call,
  freePort,
  InvalidArgs,
  makeContext,
  makeSettings,
  startServer,
  structured,
  type TestServer,
  textOf,
} from './helpers.js';

const ALLOWED_PATHS = ['/stats', '/clusters', '/config_dump', '/listeners', '/server_info', '/certs', '/ready'];

let envoyAdminMock: TestServer;
let ready = true;

beforeAll(async () => {
  envoyAdminMock = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    switch (url.pathname) {
      case '/stats':
        if (url.searchParams.get('format') === 'json') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ stats: [{ name: 'cluster.outbound|8080||payment.upstream_rq_5xx', value: 3 }] }));
        } else {
          res.end(
            'cluster.outbound|8080||payment.default.svc.cluster.local.upstream_rq_5xx: 3\n' +
              'cluster.outbound|8080||payment.default.svc.cluster.local.upstream_cx_connect_fail: 1\n',
          );
        }
        return;
      case '/clusters':
        res.end('outbound|8080||payment.default.svc.cluster.local::10.0.0.5:8080::health_flags::healthy\n');
        return;
      case '/config_dump': {
        res.setHeader('content-type', 'application/json');
        if (url.searchParams.get('resource') === 'static_secrets') {
          res.statusCode = 400;
          res.end('unable to find resource');
          return;
        }
        if (url.searchParams.has('resource')) {
          res.end(JSON.stringify({ configs: [{ name: 'outbound|8080||payment', token: 'abc' }] }));
          return;
        }
        // A full dump of a big mesh: megabytes.
        const entry = JSON.stringify({ name: 'outbound|8080||svc', pad: 'x'.repeat(1000) });
        res.write('{"configs":[');
        for (let i = 0; i < 3000; i++) res.write(`${i ? ',' : ''}${entry}`);
        res.end(']}');
        return;
      }
      case '/listeners':
        res.end('virtualInbound::0.0.0.0:15006\n');
        return;
      case '/server_info':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ version: '1.35.0', state: 'LIVE', uptime_current_epoch: '3600s' }));
        return;
      case '/certs':
        res.end(JSON.stringify({ certificates: [{ cert_chain: [{ days_until_expiration: '0' }] }] }));
        return;
      case '/ready':
        res.statusCode = ready ? 200 : 503;
        res.end(ready ? 'LIVE\n' : 'PRE_INITIALIZING\n');
        return;
      default:
        res.statusCode = 404;
        res.end('invalid path. admin commands are: ...');
    }
  });
});
afterAll(() => envoyAdminMock.close());

const ctx = (toolTimeoutMs = 10_000) => makeContext(makeSettings({ envoyAdminUrl: envoyAdminMock.url, toolTimeoutMs }));

function expectOnlyAllowListedGets() {
  expect(envoyAdminMock.requests.length).toBeGreaterThan(0);
  for (const r of envoyAdminMock.requests) {
    expect(r.method).toBe('GET');
    expect(ALLOWED_PATHS).toContain(new URL(r.url, 'http://admin').pathname);
  }
}

describe('query_envoy', () => {
  it.each(ALLOWED_PATHS.map((p) => p.slice(1)))('reads %s with a GET', async (endpoint) => {
    const before = envoyAdminMock.requests.length;
    const r = await call(queryEnvoy, { endpoint }, ctx());
    expect(envoyAdminMock.requests.slice(before)).toEqual([{ method: 'GET', url: `/${endpoint}` }]);
    expect(structured(r)).toMatchObject({ endpoint, path: `/${endpoint}`, status: 200 });
    expect(textOf(r)).toMatch(new RegExp(`^GET /${endpoint} → 200`));
  });

  it('passes a stats filter as an encoded query parameter, never as a path', async () => {
    const before = envoyAdminMock.requests.length;
    const filter = 'upstream_rq_5xx&x=/../quitquitquit?#';
    const r = await call(queryEnvoy, { endpoint: 'stats', filter, used_only: true, format: 'json' }, ctx());
    const [req] = envoyAdminMock.requests.slice(before);
    const url = new URL(req!.url, 'http://admin');
    expect(url.pathname).toBe('/stats');
    expect(url.searchParams.get('filter')).toBe(filter);
    expect(url.searchParams.get('format')).toBe('json');
    expect(url.searchParams.has('usedonly')).toBe(true);
    expect(textOf(r)).toContain('upstream_rq_5xx');
  });

  it('asks config_dump for one resource with a mask and a name filter, and redacts secrets', async () => {
    const before = envoyAdminMock.requests.length;
    const r = await call(
      queryEnvoy,
      { endpoint: 'config_dump', resource: 'dynamic_active_clusters', mask: 'name,cluster.name', filter: 'payment' },
      ctx(),
    );
    const url = new URL(envoyAdminMock.requests[before]!.url, 'http://admin');
    expect(url.pathname).toBe('/config_dump');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      resource: 'dynamic_active_clusters',
      mask: 'name,cluster.name',
      name_regex: 'payment',
    });
    expect(textOf(r)).toContain('"token":"***"');
  });

  it('truncates a full config_dump and says to use resource', async () => {
    const r = await call(queryEnvoy, { endpoint: 'config_dump' }, ctx());
    const s = structured(r);
    expect(s['truncated']).toBe(true);
    expect(textOf(r).length).toBeLessThan(60 * 1024);
    expect(textOf(r)).toMatch(/note: output truncated.*use resource/);
  });

  it('reports a not-ready Envoy as an answer', async () => {
    ready = false;
    try {
      const r = await call(queryEnvoy, { endpoint: 'ready' }, ctx());
      expect(structured(r)['status']).toBe(503);
      expect(textOf(r)).toContain('PRE_INITIALIZING');
    } finally {
      ready = true;
    }
  });

  it('refuses every mutating or unknown endpoint before any request is made', async () => {
    const before = envoyAdminMock.requests.length;
    for (const endpoint of [
      'quitquitquit',
      'logging',
      'reset_counters',
      'healthcheck/fail',
      'drain_listeners',
      'runtime_modify',
      'stats/../quitquitquit',
      '/quitquitquit',
      'constructor',
      '__proto__',
    ]) {
      await expect(call(queryEnvoy, { endpoint }, ctx())).rejects.toBeInstanceOf(InvalidArgs);
      // run() re-checks the allow-list even if called without schema validation.
      await expect(queryEnvoy.run({ endpoint }, ctx())).rejects.toBeInstanceOf(ToolError);
    }
    await expect(queryEnvoy.run({}, ctx())).rejects.toBeInstanceOf(ToolError);
    await expect(call(queryEnvoy, { endpoint: 'stats', method: 'POST' }, ctx())).rejects.toThrow(/not a known/);
    await expect(queryEnvoy.run({ endpoint: 'config_dump', resource: 'x&y' }, ctx())).rejects.toThrow(/resource/);
    await expect(queryEnvoy.run({ endpoint: 'config_dump', mask: 'a&b=c' }, ctx())).rejects.toThrow(/mask/);
    await expect(queryEnvoy.run({ endpoint: 'stats', filter: 'a\nb' }, ctx())).rejects.toThrow(/printable/);
    expect(envoyAdminMock.requests.length).toBe(before);
  });

  it('turns an admin error status into an error naming the path and what to check', async () => {
    const err = await call(queryEnvoy, { endpoint: 'config_dump', resource: 'static_secrets' }, ctx()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toBe(
      'Envoy admin answered 400 for /config_dump?resource=static_secrets: unable to find resource (check filter, resource and mask)',
    );
  });

  it('only ever sent GETs on allow-listed paths during this suite', () => {
    expectOnlyAllowListedGets();
  });

  it('names the istio-proxy and ENVOY_ADMIN_URL when the admin API is down', async () => {
    const port = await freePort();
    const c = makeContext(makeSettings({ envoyAdminUrl: `http://127.0.0.1:${port}` }));
    const err = await call(queryEnvoy, { endpoint: 'server_info' }, c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toContain('connection refused');
    expect((err as Error).message).toContain('ENVOY_ADMIN_URL');
  });
});
