// Gateway mode routing through the compiled filter: catalog messages to control, tools/call to its service, the
// internal headers the VirtualService routes on, and client-supplied x-meshmcp-* headers never getting through.

import { describe, expect, it } from 'vitest';
import { FilterHeadersStatus } from '../../filter/host/index.js';
import { gateway, header, jwt, post, replyJson, rpc, toolsCall, withKey } from './harness.js';

const sre = { headers: { 'x-api-key': 'test' } };

describe('gateway routing', () => {
  it('routes tools/call <service>__<tool> to that service with the caller and request id', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), withKey());
    expect(r.localReply).toBeUndefined();
    expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.StopIteration);
    expect(header(r, 'x-meshmcp-service')).toBe('payment-service');
    expect(header(r, 'x-meshmcp-tool')).toBe('get_health');
    expect(header(r, 'x-meshmcp-principal')).toBe('ci-bot');
    expect(header(r, 'x-meshmcp-groups')).toBe('sre-readonly');
    expect(header(r, 'x-meshmcp-request-id')).toBe('req-1');
    expect(r.response?.status).toBe(200);
  });

  it('forwards the body as it came but for the trace it adds to _meta, even when it arrives in chunks', async () => {
    const p = await gateway();
    const body = toolsCall('user-service__get_health', { verbose: true, note: 'x'.repeat(3000) });
    const chunks = [body.slice(0, 10), body.slice(10, 2000), body.slice(2000)];
    const r = post(p, body, { ...withKey(), chunks });
    expect(header(r, 'x-meshmcp-service')).toBe('user-service');
    const trace = `"_meta":{"traceparent":"${header(r, 'traceparent')}"},`;
    expect(Buffer.from(r.forwarded!.body).toString()).toBe(body.replace('"params":{', `"params":{${trace}`));
  });

  it.each(['initialize', 'ping', 'tools/list', 'server/discover'])(
    'routes %s to the control service',
    async (method) => {
      const p = await gateway();
      const r = post(p, rpc(method, {}), withKey());
      expect(r.localReply).toBeUndefined();
      expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
      expect(header(r, 'x-meshmcp-tool')).toBeUndefined();
      expect(header(r, 'x-meshmcp-principal')).toBe('ci-bot');
    },
  );

  it('routes notifications (no id) to the control service', async () => {
    const p = await gateway();
    const r = post(p, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), withKey());
    expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
  });

  it('accepts the dotted alias where it is unambiguous', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service.get_health'), withKey());
    expect(header(r, 'x-meshmcp-service')).toBe('payment-service');
    expect(header(r, 'x-meshmcp-tool')).toBe('get_health');
  });

  it.each([
    ['a tool the service does not list', 'payment-service__drop_tables'],
    ['a service the table does not have', 'billing__get_health'],
    ['a name without a separator', 'get_health'],
    ['an ambiguous dotted name', 'a.b.c'],
  ])('answers %s as an unknown tool (-32602), forwarding nothing', async (_what, name) => {
    const p = await gateway();
    const r = post(p, toolsCall(name), withKey());
    expect(r.forwarded).toBeUndefined();
    expect(r.response?.status).toBe(200);
    const body = replyJson(r);
    expect(body.error.code).toBe(-32602);
    expect(body.error.message).toBe(`Unknown tool: ${name}`);
  });

  it('echoes the request id in error bodies', async () => {
    const p = await gateway();
    const r = post(p, rpc('tools/call', { name: 'nope__x' }, 'abc-7'), withKey());
    expect(replyJson(r).id).toBe('abc-7');
    const n = post(p, rpc('tools/call', { name: 'nope__x' }, 42), withKey());
    expect(replyJson(n).id).toBe(42);
  });

  it('refuses a tools/call whose params.name is not a string', async () => {
    const p = await gateway();
    const r = post(p, rpc('tools/call', { name: 7 }), withKey());
    expect(r.forwarded).toBeUndefined();
    expect(replyJson(r).error.code).toBe(-32602);
  });

  it('sends GET (the 2025-11-25 notification stream) to the control service once the caller is known', async () => {
    const p = await gateway();
    const r = p.runStream({ request: { headers: { ':method': 'GET', ':path': '/mcp', 'x-api-key': 'test' } } });
    expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
    expect(header(r, 'x-meshmcp-principal')).toBe('ci-bot');
    const anonymous = p.runStream({ request: { headers: { ':method': 'GET', ':path': '/mcp' } } });
    expect(anonymous.response?.status).toBe(401);
  });

  it('lets the protected resource metadata through without credentials (RFC 9728)', async () => {
    const p = await gateway();
    const r = p.runStream({
      request: { headers: { ':method': 'GET', ':path': '/.well-known/oauth-protected-resource/mcp' } },
    });
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
    expect(header(r, 'x-meshmcp-principal')).toBeUndefined();
  });
});

describe('internal headers (contract 3)', () => {
  const spoof = {
    'x-meshmcp-service': 'user-service',
    'x-meshmcp-principal': 'admin',
    'x-meshmcp-groups': 'sre',
    'X-MeshMCP-Tool': 'query_users',
    'x-meshmcp-anything': '1',
  };

  it('strips client-supplied x-meshmcp-* headers and sets its own', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), { headers: { ...sre.headers, ...spoof } });
    const names = r.forwarded!.headers.map(([k]) => k.toLowerCase()).filter((k) => k.startsWith('x-meshmcp-'));
    expect(names.sort()).toEqual([
      'x-meshmcp-groups',
      'x-meshmcp-principal',
      'x-meshmcp-request-id',
      'x-meshmcp-service',
      'x-meshmcp-tool',
    ]);
    expect(header(r, 'x-meshmcp-principal')).toBe('ci-bot');
    expect(header(r, 'x-meshmcp-groups')).toBe('sre-readonly');
    expect(header(r, 'x-meshmcp-service')).toBe('payment-service');
  });

  it('strips them on the unauthenticated path too, and routes nothing on them', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), { headers: spoof });
    expect(r.response?.status).toBe(401);
    expect(r.forwarded).toBeUndefined();
  });

  it('removes the API key before forwarding: upstreams never see the secret', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), withKey());
    expect(header(r, 'x-api-key')).toBeUndefined();
  });

  it('percent-encodes principals and groups that are not plain header text', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), {
      properties: jwt({ sub: 'ci bot%', groups: ['sre-readonly', 'a,b'] }),
    });
    expect(header(r, 'x-meshmcp-principal')).toBe('ci%20bot%25');
    expect(header(r, 'x-meshmcp-groups')).toBe('sre-readonly,a%2Cb');
  });
});
