// http executor against a stand-in app (a real node:http server on 127.0.0.1): paths, traversal, hosts, auth,
// expected_status, caps and the response cache.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { buildTools, parseToolsConfig } from '../../../sidecar/toolsConfig/index.js';
import type { Tool } from '../../../sidecar/types.js';
import { closedUrl } from '../../support/ports.js';
import { callTool, testContext } from '../../support/toolContext.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The stand-in app: a few admin endpoints like the payment-service demo's, recording every request. */
function standInApp(seen: Seen[]): http.Server {
  return http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const send = (status: number, payload: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      const url = new URL(req.url!, 'http://app');
      const tx = /^\/admin\/transaction\/([^/]+)$/.exec(url.pathname);
      if (tx && req.method === 'GET') {
        if (req.headers['x-admin-token'] !== 'tok-1234567') return send(401, { error: 'bad token' });
        return send(200, {
          id: decodeURIComponent(tx[1]!),
          status: 'settled',
          verbose: url.searchParams.get('verbose'),
          echoed: `token was ${req.headers['x-admin-token']}`,
        });
      }
      const retry = /^\/admin\/retry\/([^/]+)$/.exec(url.pathname);
      if (retry && req.method === 'POST') return send(202, { retried: retry[1], got: JSON.parse(body || 'null') });
      if (url.pathname === '/fail') return send(500, 'boom: the database is on fire', 'text/plain');
      if (url.pathname === '/big') return send(200, 'x'.repeat(300 * 1024), 'text/plain');
      if (url.pathname === '/count') return send(200, { n: seen.length, q: url.searchParams.get('q') });
      send(404, { error: 'no route' });
    });
  });
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const seen: Seen[] = [];
const app = standInApp(seen);
const other = standInApp([]);
let appUrl: string;
let otherUrl: string;
let tools: Map<string, Tool>;
const env = { ADMIN_TOKEN_SECRET: 'tok-1234567' };

beforeAll(async () => {
  appUrl = await listen(app);
  otherUrl = await listen(other);
  const otherHost = new URL(otherUrl).host;
  const yaml = `
tools:
  - name: check_transaction_status
    description: Query the status of a payment transaction
    type: http
    params:
      verbose: {type: boolean, required: false}
    config:
      method: GET
      url: http://localhost:${new URL(appUrl).port}/admin/transaction/{transaction_id}
      query: {verbose: "{verbose}"}
      auth: {type: header, header: X-Admin-Token, value_from: ADMIN_TOKEN_SECRET}
  - name: retry_failed_payment
    description: Retry a failed payment transaction
    endpoint: /admin/retry/{id}
    method: POST
    read_only: false
    params: {id: string, attempts: {type: integer, default: 1}}
    body: {attempts: "{attempts}", note: "retry of {id}", by: mcp}
    expected_status: 202
  - {name: failing, description: d, endpoint: /fail}
  - {name: strict, description: d, endpoint: /count, expected_status: 201}
  - {name: big, description: d, endpoint: /big}
  - {name: cached, description: d, endpoint: /count, query: {q: "{q}"}, cache: {ttl: 1m}}
  - name: external
    description: d
    type: http
    config: {url: "${otherUrl}/count", allowed_hosts: ["${otherHost}"]}
  - {name: missing_secret, description: d, endpoint: /count, headers: {X-Api-Token: {value_from: NOT_SET_ANYWHERE}}}
`;
  tools = new Map(
    buildTools(parseToolsConfig(yaml, 'tools.yaml', { serviceName: 'payment-service', appUrl })).map((t) => [
      t.name,
      t,
    ]),
  );
});

afterAll(async () => {
  await new Promise((r) => app.close(r));
  await new Promise((r) => other.close(r));
});

const ctx = (over: Parameters<typeof testContext>[0] = {}) => testContext({ settings: { appUrl }, env, ...over });
const run = (name: string, args: Record<string, unknown>, c = ctx()) => callTool(tools.get(name)!, args, c);
const last = () => seen.at(-1)!;

describe('http executor', () => {
  it('calls the app with the path value encoded and the auth header from the environment', async () => {
    const r = await run('check_transaction_status', { transaction_id: 'txn 42?x#y', verbose: true });
    expect(r.isError).toBeUndefined();
    expect(last().url).toBe('/admin/transaction/txn%2042%3Fx%23y?verbose=true');
    expect(last().headers['x-admin-token']).toBe('tok-1234567');
    expect(r.structuredContent).toMatchObject({ status: 200, ok: true, body: { id: 'txn 42?x#y', status: 'settled' } });
    expect(r.content[0]!.text).toContain('answered HTTP 200');
  });

  it('never echoes the secret, even when the app reflects it', async () => {
    const r = await run('check_transaction_status', { transaction_id: 't1' });
    expect(last().url).toBe('/admin/transaction/t1');
    expect(JSON.stringify(r)).not.toContain('tok-1234567');
    expect(JSON.stringify(r.structuredContent)).toContain('token was ***');
  });

  it.each(['..', '.', '../../etc/passwd', '..%2f..%2fadmin', '%2e%2e', 'a/b', ''])(
    'refuses the path value %j before any request',
    async (v) => {
      const before = seen.length;
      await expect(run('check_transaction_status', { transaction_id: v })).rejects.toThrow(
        /cannot be used in the URL path/,
      );
      expect(seen.length).toBe(before);
    },
  );

  it('sends a JSON body with typed values for a mutating tool and checks expected_status', async () => {
    const r = await run('retry_failed_payment', { id: 'p-9' });
    expect(last()).toMatchObject({ method: 'POST', url: '/admin/retry/p-9' });
    expect(last().headers['content-type']).toBe('application/json');
    expect(JSON.parse(last().body)).toEqual({ attempts: 1, note: 'retry of p-9', by: 'mcp' });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toMatchObject({ status: 202, body: { retried: 'p-9' } });
  });

  it('turns an unexpected status into an isError result with the status and a body excerpt', async () => {
    const r = await run('failing', {});
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('HTTP 500 (expected 2xx or 3xx)');
    expect(r.content[0]!.text).toContain('boom: the database is on fire');
    const s = await run('strict', {});
    expect(s.isError).toBe(true);
    expect(s.structuredContent).toMatchObject({ status: 200, ok: false, expected_status: [201] });
  });

  it('caps the body it reads', async () => {
    const r = await run('big', {});
    expect(r.structuredContent).toMatchObject({ status: 200, body_truncated: true });
    expect(r.content[0]!.text.length).toBeLessThan(10_000);
  });

  it('says which environment variable is missing', async () => {
    await expect(run('missing_secret', {})).rejects.toThrow(/NOT_SET_ANYWHERE .*X-Api-Token.* is not set/);
    const noToken = run('check_transaction_status', { transaction_id: 't' }, ctx({ env: {} }));
    await expect(noToken).rejects.toThrow(ToolError);
    await expect(noToken).rejects.toThrow(/ADMIN_TOKEN_SECRET/);
  });

  it('reaches an allowed host only through a client that allows it', async () => {
    const tool = tools.get('external')!;
    expect(tool.allowedHosts).toEqual([new URL(otherUrl).host]);
    expect(tool.annotations.openWorldHint).toBe(true);
    await expect(run('external', {})).rejects.toThrow(/not allowed/);
    const ok = await run('external', {}, ctx({ allowed: [new URL(appUrl).host, ...tool.allowedHosts!] }));
    expect(ok.structuredContent).toMatchObject({ status: 200, url: `${otherUrl}/count` });
  });

  it('reports an app that is down as a ToolError, not a crash', async () => {
    const down = testContext({ settings: { appUrl: await closedUrl() }, env });
    await expect(run('failing', {}, down)).rejects.toThrow(
      /did not complete: .*connection refused.*Check that the app is running/,
    );
  });

  it('caches successful results per canonical arguments', async () => {
    const a = await run('cached', { q: 'one' });
    const b = await run('cached', { q: 'one' });
    const c = await run('cached', { q: 'two' });
    expect(b.structuredContent).toEqual(a.structuredContent);
    expect(b.content.at(-1)!.text).toMatch(/cached result from \d+ s ago/);
    expect((c.structuredContent!['body'] as { n: number }).n).toBeGreaterThan(
      (a.structuredContent!['body'] as { n: number }).n,
    );
  });

  it('does not cache failures', async () => {
    const yaml = `- {name: flaky, description: d, endpoint: /fail, cache: 1m}`;
    const [flaky] = buildTools(parseToolsConfig(yaml, 'tools.yaml', { serviceName: 's', appUrl }));
    const before = seen.length;
    await callTool(flaky!, {}, ctx());
    await callTool(flaky!, {}, ctx());
    expect(seen.length).toBe(before + 2);
  });
});
