// Gateway mode's host gate through the compiled filter: a request for a host that is not an MCP host passes as if
// the filter were not there (the filter may share a listener with other sites); the MCP hosts are recognised however
// a client writes them (case, port, trailing dot), with Envoy's wildcards, `*`, and every host when `hosts` is absent.

import { describe, expect, it } from 'vitest';
import { FilterDataStatus, FilterHeadersStatus, type Plugin } from '../../filter/host/index.js';
import { auditLines, example, gateway, header, type Json, post, rpc, toolsCall, withKey } from './harness.js';

// The example configuration has no hosts (every host, as before the field existed); these tests add them.
const withHosts = (hosts: string[] | undefined): Json => {
  const config = example('gateway');
  if (hosts === undefined) delete config.hosts;
  else config.hosts = hosts;
  return config;
};

/** A gateway for one MCP host, mcp.example.com (the host harness.post sends). */
const mcpGateway = () => gateway(withHosts(['mcp.example.com']));

/** A POST without credentials: the MCP treatment is a 401, anything else means the filter stood aside. */
function treatedAsMcp(p: Plugin, authority: string | undefined, hostHeader?: string): boolean {
  const headers: Record<string, string> = { ':method': 'POST', ':path': '/mcp', ':scheme': 'https' };
  if (authority !== undefined) headers[':authority'] = authority;
  if (hostHeader !== undefined) headers['host'] = hostHeader;
  const r = p.runStream({ request: { headers, body: rpc('ping') } });
  if (r.localReply !== undefined) {
    expect(r.localReply.status).toBe(401);
    return true;
  }
  expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.Continue);
  return false;
}

describe('a request for another host', () => {
  it('passes untouched: headers as sent, body streamed, the upstream answer as is, no metric, no audit line', async () => {
    const p = await mcpGateway();
    const sent: Record<string, string> = {
      ':method': 'POST',
      ':path': '/mcp',
      ':authority': 'www.example.com',
      ':scheme': 'https',
      'content-type': 'application/json',
      'x-request-id': 'req-1',
      'x-meshmcp-service': 'payment-service',
      'x-meshmcp-principal': 'admin',
      'x-api-key': 'test',
      authorization: 'Bearer test',
    };
    const body = toolsCall('payment-service__get_health', { note: 'x'.repeat(3000) });
    const chunks = [body.slice(0, 10), body.slice(10, 2000), body.slice(2000)];
    const r = p.runStream({
      request: { headers: sent, body: chunks },
      // The router's own 503 to a tools/call, which the filter rewrites for an MCP request (unavailable.ts).
      upstream: () => ({ headers: { ':status': '503', 'content-type': 'text/plain' }, body: 'no healthy upstream' }),
    });
    expect(r.localReply).toBeUndefined();
    expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.Continue);
    expect(r.requestBodyStatuses.every((s) => s === FilterDataStatus.Continue)).toBe(true);
    expect(r.requestBodyStatuses).toHaveLength(3);
    expect(Object.fromEntries(r.forwarded!.headers)).toEqual(sent);
    expect(Buffer.from(r.forwarded!.body).toString()).toBe(body);
    expect(r.responseHeadersStatus).toBe(FilterHeadersStatus.Continue);
    expect(r.response?.status).toBe(503);
    expect(Buffer.from(r.response!.body).toString()).toBe('no healthy upstream');
    expect(auditLines(p)).toEqual([]);
    expect(p.metrics()).toEqual({});
  });

  it('is not answered 401 or -32700 whatever it carries, and its GETs are not sent to the control service', async () => {
    const p = await mcpGateway();
    const other = { ':authority': 'shop.example.org' };
    const bad = post(p, 'not json', { headers: other });
    expect(bad.localReply).toBeUndefined();
    expect(bad.response?.status).toBe(200);
    const get = p.runStream({
      request: { headers: { ':method': 'GET', ':path': '/.well-known/oauth-protected-resource', ...other } },
    });
    expect(get.localReply).toBeUndefined();
    expect(header(get, 'x-meshmcp-service')).toBeUndefined();
    expect(auditLines(p)).toEqual([]);
  });

  it('leaves the MCP requests on the same plugin as strict as before', async () => {
    const p = await mcpGateway();
    post(p, rpc('ping'), { headers: { ':authority': 'www.example.com' } });
    const mcp = post(p, rpc('ping'));
    expect(mcp.localReply?.status).toBe(401);
    const routed = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...withKey().headers, 'x-meshmcp-principal': 'admin' },
    });
    expect(header(routed, 'x-meshmcp-principal')).toBe('ci-bot');
    expect(auditLines(p)).toHaveLength(2);
  });
});

describe('the MCP hosts', () => {
  it.each([
    'mcp.example.com',
    'MCP.Example.COM',
    'mcp.example.com:443',
    'mcp.example.com.',
    'Mcp.Example.Com.:8443',
    // Malformed, but Istio's `mcp.example.com:*` domain would still route them here.
    'mcp.example.com:',
    'mcp.example.com:443:1',
  ])('%s is processed (401 without credentials)', async (authority) => {
    const p = await mcpGateway();
    expect(treatedAsMcp(p, authority)).toBe(true);
  });

  it.each([
    'www.example.com',
    'example.com',
    'mcp.example.com.evil',
    'xmcp.example.com',
    'mcp.example.co',
    'mcp.example.com..',
    '[::1]:443',
    '[mcp.example.com]',
    '',
  ])('%j is not', async (authority) => {
    const p = await mcpGateway();
    expect(treatedAsMcp(p, authority)).toBe(false);
  });

  it('reads host when :authority is absent, and takes a request with neither for another site', async () => {
    const p = await mcpGateway();
    expect(treatedAsMcp(p, undefined, 'mcp.example.com:443')).toBe(true);
    expect(treatedAsMcp(p, undefined, 'www.example.com')).toBe(false);
    expect(treatedAsMcp(p, 'www.example.com', 'mcp.example.com')).toBe(false);
    expect(treatedAsMcp(p, undefined)).toBe(false);
  });

  it('*.example.com: any name under it (one character at least), not the domain itself', async () => {
    const p = await gateway(withHosts(['*.example.com']));
    for (const host of ['a.example.com', 'mcp.example.com', 'A.B.Example.com:80', 'x.example.com.', 'x.example.com.:1'])
      expect(treatedAsMcp(p, host), host).toBe(true);
    // Malformed, but Envoy would match them: as they are, or with the port stripped at the last colon, against Istio's
    // `*.example.com` or `*.example.com:443`.
    for (const host of ['a:b.example.com', 'a:b.example.com:443', 'a:b.example.com:443:1'])
      expect(treatedAsMcp(p, host), host).toBe(true);
    for (const host of ['example.com', '.example.com', 'aexample.com', 'a.example.com.evil', 'a.example.org'])
      expect(treatedAsMcp(p, host), host).toBe(false);
  });

  it('several hosts, exact and wildcard', async () => {
    const p = await gateway(withHosts(['mcp.example.com', '*.mcp.internal', '127.0.0.1', 'localhost']));
    for (const host of ['mcp.example.com', 'a.mcp.internal:8080', '127.0.0.1:3000', 'localhost'])
      expect(treatedAsMcp(p, host), host).toBe(true);
    for (const host of ['mcp.internal', 'www.example.com', '127.0.0.2', 'localhost.localdomain'])
      expect(treatedAsMcp(p, host), host).toBe(false);
  });

  it.each([
    ['*', ['*']],
    ['* among others', ['mcp.example.com', '*']],
    ['absent (configurations from before hosts)', undefined],
  ])('%s: every request is processed, whatever its host', async (_what, hosts) => {
    const p = await gateway(withHosts(hosts));
    for (const host of ['mcp.example.com', 'www.example.org:80', '[::1]:8080', ''])
      expect(treatedAsMcp(p, host), host).toBe(true);
    expect(treatedAsMcp(p, undefined)).toBe(true);
  });
});

/** The filter's own rejection lines (Envoy adds one of its own after each). */
const rejections = (p: Plugin): string[] =>
  p.logs.map((l) => l.message).filter((m) => m.startsWith('meshmcp: configuration rejected: '));

describe('hosts in on_configure', () => {
  it('rejects a bad entry naming its path, and keeps the last good configuration', async () => {
    const p = await mcpGateway();
    expect(p.configure(JSON.stringify(withHosts(['mcp.example.com', 'MCP.example.com'])))).toBe(false);
    expect(rejections(p).at(-1)).toBe(
      'meshmcp: configuration rejected: hosts[1]: not a host: use mcp.example.com, *.example.com or *',
    );
    expect(p.configure(JSON.stringify(withHosts(['mcp.example.com:443'])))).toBe(false);
    expect(rejections(p).at(-1)).toMatch(/rejected: hosts\[0\]: not a host/);
    expect(treatedAsMcp(p, 'mcp.example.com')).toBe(true);
    expect(treatedAsMcp(p, 'www.example.com')).toBe(false);
  });

  it('follows a new list at once', async () => {
    const p = await mcpGateway();
    expect(p.configure(JSON.stringify(withHosts(['www.example.com'])))).toBe(true);
    expect(treatedAsMcp(p, 'www.example.com')).toBe(true);
    expect(treatedAsMcp(p, 'mcp.example.com')).toBe(false);
  });

  it('refuses hosts in sidecar mode', async () => {
    const p = await mcpGateway();
    expect(p.configure(JSON.stringify({ ...example('sidecar'), hosts: ['mcp.example.com'] }))).toBe(false);
    expect(rejections(p).at(-1)).toBe('meshmcp: configuration rejected: hosts: not allowed in sidecar mode');
  });
});
