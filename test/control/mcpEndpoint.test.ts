// The aggregated MCP endpoint through the real SDK v2 client over loopback HTTP, in both protocol eras:
// initialize / server/discover, tools/list over the whole catalog, pagination, identity, and refusals.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayPolicy } from '../../control/types.js';
import { catalogOf, connectAs, type Era, type RunningControl, service, startControl } from './support/controlApp.js';

const ALLOW_ALL: GatewayPolicy['policy'] = { default: 'allow', rules: [] };
const ALICE = { principal: 'alice', groups: [], scopes: [] };
const ERAS: Era[] = ['2025-11-25', '2026-07-28'];

let control: RunningControl | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
});

describe.each(ERAS)('control MCP endpoint (%s)', (era) => {
  it('negotiates, advertises tools.listChanged and lists the whole catalog in catalog order', async () => {
    control = await startControl(ALLOW_ALL);
    control.endpoint.setCatalog(
      catalogOf(service('payment-service', ['get_health', 'list_payments']), service('user-service', ['get_user'])),
    );
    const client = await connectAs(control.url, era, 'spiffe://cluster.local/ns/dev/sa/alice');
    expect(client.getServerVersion()?.name).toBe('meshmcp');
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    expect(client.getNegotiatedProtocolVersion()).toBe(era);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'payment-service__get_health',
      'payment-service__list_payments',
      'user-service__get_user',
    ]);
    expect(tools[0]?.description).toBe('get_health of payment-service');
    await client.close();
  });

  it('pages a large catalog with cursors and refuses a cursor it did not issue', async () => {
    control = await startControl(ALLOW_ALL, { pageSize: 7 });
    const names = Array.from({ length: 40 }, (_, i) => `tool_${String(i).padStart(2, '0')}`);
    control.endpoint.setCatalog(catalogOf(service('big', names)));
    const client = await connectAs(control.url, era, 'alice');
    const posts = async () => (await control!.metrics.requests.get()).values.reduce((n, v) => n + v.value, 0);
    const before = await posts();
    // The SDK client walks every page itself: six tools/list requests of at most seven tools.
    const { tools } = await client.listTools();
    expect(await posts()).toBe(before + 6);
    expect(tools.map((t) => t.name)).toEqual(names.map((n) => `big__${n}`));
    // One explicit page from a cursor the server issued.
    const cursor = control.endpoint.views.page('tools', ALICE, undefined).result['nextCursor'] as string;
    const page = await client.listTools({ cursor });
    expect(page.tools.map((t) => t.name)).toEqual(names.slice(7, 14).map((n) => `big__${n}`));
    await expect(client.listTools({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/Invalid cursor/);
    await client.close();
  });

  it('refuses a stale cursor once the list changed under it', async () => {
    control = await startControl(ALLOW_ALL, { pageSize: 2 });
    control.endpoint.setCatalog(catalogOf(service('svc', ['a', 'b', 'c'])));
    const client = await connectAs(control.url, era, 'alice');
    const first = control.endpoint.views.page('tools', ALICE, undefined).result['nextCursor'] as string;
    expect((await client.listTools({ cursor: first })).tools.map((t) => t.name)).toEqual(['svc__c']);
    control.endpoint.setCatalog(catalogOf(service('svc', ['a', 'b', 'c', 'd'])));
    await expect(client.listTools({ cursor: first })).rejects.toThrow(/Stale cursor/);
    await client.close();
  });

  it('answers a tools/call that reached it as an unknown tool', async () => {
    control = await startControl(ALLOW_ALL);
    control.endpoint.setCatalog(catalogOf(service('svc', ['a'])));
    const client = await connectAs(control.url, era, 'alice');
    await expect(client.callTool({ name: 'svc__a', arguments: {} })).rejects.toThrow(/Unknown tool: svc__a/);
    await client.close();
  });

  it('refuses a caller without the gateway identity header with 403', async () => {
    control = await startControl(ALLOW_ALL);
    control.endpoint.setCatalog(catalogOf(service('svc', ['a'])));
    await expect(connectAs(control.url, era, undefined)).rejects.toThrow(/403|x-meshmcp-principal/);
  });
});

describe('control MCP endpoint over raw HTTP', () => {
  const init = (headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-meshmcp-principal': 'alice',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });

  it('names the missing header in the 403 body', async () => {
    control = await startControl(ALLOW_ALL);
    const res = await fetch(control.url, { ...init(), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(-32003);
    expect(body.error.message).toMatch(/no x-meshmcp-principal header/);
  });

  it('refuses a body over the limit with 413 and a browser Origin it was not given with 403', async () => {
    control = await startControl(ALLOW_ALL, { maxBodyBytes: 1024, allowedOrigins: ['https://mcp.example.com'] });
    const big = await fetch(control.url, { ...init(), body: JSON.stringify({ pad: 'x'.repeat(2000) }) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/larger than 1024 bytes/);
    const evil = await fetch(control.url, init({ origin: 'https://evil.example' }));
    expect(evil.status).toBe(403);
    const good = await fetch(control.url, init({ origin: 'https://mcp.example.com' }));
    expect(good.status).toBe(200);
  });

  it('allows any port of a host listed as <scheme>://<host>:*, and nothing else by it', async () => {
    control = await startControl(ALLOW_ALL, { allowedOrigins: ['http://localhost:*'] });
    for (const origin of ['http://localhost:3000', 'http://localhost:41234']) {
      expect((await fetch(control.url, init({ origin }))).status, origin).toBe(200);
    }
    for (const origin of ['https://localhost:3000', 'http://localhost.evil.example:80', 'http://evil.example']) {
      expect((await fetch(control.url, init({ origin }))).status, origin).toBe(403);
    }
  });

  it('serves RFC 9728 protected resource metadata at both well-known paths', async () => {
    control = await startControl(ALLOW_ALL, {
      oauth: {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://auth.example.com'],
        scopesSupported: ['mcp:tools'],
      },
    });
    const base = control.url.replace(/\/mcp$/, '');
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        resource: 'https://mcp.example.com/mcp',
        authorization_servers: ['https://auth.example.com'],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
      });
    }
  });
});

/** One raw HTTP/1.1 exchange, for what fetch will not send: a bad Host, an absolute-form target. */
function raw(url: string, head: string, body: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.end(
        `${head}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      ),
    );
    let text = '';
    socket.setEncoding('utf8').on('data', (c: string) => {
      text += c;
    });
    socket.on('error', reject);
    socket.on('close', () =>
      resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }),
    );
  });
}

describe('control MCP endpoint, hostile request lines', () => {
  it('answers a Host that is no authority, or an absolute-form target, with 400 and a JSON-RPC error', async () => {
    control = await startControl(ALLOW_ALL);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const who = 'x-meshmcp-principal: alice\r\naccept: application/json, text/event-stream';
    for (const [head, why] of [
      [`POST /mcp HTTP/1.1\r\nhost: a b\r\n${who}`, /Host "a b" is not a host\[:port\] authority/],
      [`POST /mcp HTTP/1.1\r\nhost: evil@x\r\n${who}`, /is not a host\[:port\] authority/],
      [`POST http://127.0.0.1/mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n${who}`, /is not a path: send the origin form/],
    ] as const) {
      const r = await raw(control.url, head, ping);
      expect(r.status, head).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: expect.stringMatching(why) },
      });
    }
    const ok = await raw(control.url, `POST /mcp HTTP/1.1\r\nhost: LOCALHOST:80\r\n${who}`, ping);
    expect(ok.status).toBe(200);
  });
});
