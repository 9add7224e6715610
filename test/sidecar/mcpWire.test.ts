// The sidecar's MCP endpoint at the HTTP level: what misbehaving clients get, per the MCP transport rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_META, post, startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { TEST_TOOLS } from '../support/testTools.js';

let sc: TestSidecar;
beforeAll(async () => {
  sc = await startTestSidecar(TEST_TOOLS, ['--max-body-bytes', '4096']);
});
afterAll(() => sc.close());

const modernHeaders = (method: string, name?: string) => ({
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': method,
  ...(name ? { 'mcp-name': name } : {}),
});
const modernCall = (name: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: { msg: 'x' }, _meta: MODERN_META },
});

describe('2026-07-28 header checks', () => {
  it('accepts matching Mcp-Method and Mcp-Name and marks the result complete', async () => {
    const r = await post(sc.mcpUrl, modernCall('echo'), modernHeaders('tools/call', 'echo'));
    expect(r.status).toBe(200);
    expect(r.json.result).toMatchObject({
      content: [{ type: 'text', text: 'x' }],
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'payment-service-mcp' } },
    });
  });

  it.each([
    ['Mcp-Method disagrees', modernHeaders('tools/list', 'echo'), 'Mcp-Method header names tools/list'],
    ['Mcp-Name disagrees', modernHeaders('tools/call', 'get_health'), 'Mcp-Name header names "get_health"'],
    ['Mcp-Name missing', modernHeaders('tools/call'), 'required Mcp-Name header is absent'],
    [
      'Mcp-Method missing',
      { 'mcp-protocol-version': '2026-07-28', 'mcp-name': 'echo' },
      'required Mcp-Method header is absent',
    ],
    [
      'MCP-Protocol-Version missing',
      { 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      'MCP-Protocol-Version header is absent',
    ],
    [
      'MCP-Protocol-Version disagrees',
      { ...modernHeaders('tools/call', 'echo'), 'mcp-protocol-version': '2025-11-25' },
      'header names 2025-11-25',
    ],
  ])('%s → 400, -32020 HeaderMismatch, nothing runs', async (_label, headers, message) => {
    const before = sc.metrics.toolExecutions.get({ tool: 'echo', status: 'success' });
    const r = await post(sc.mcpUrl, modernCall('echo', 7), headers);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32020 } });
    expect(r.json.error.message).toContain(message);
    expect(sc.metrics.toolExecutions.get({ tool: 'echo', status: 'success' })).toBe(before);
  });

  it('a header that disagrees with a 2025-era body is refused too', async () => {
    const r = await post(
      sc.mcpUrl,
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { msg: 'x' } } },
      { 'mcp-method': 'tools/list' },
    );
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32020);
  });

  it('decodes a Base64 sentinel Mcp-Name', async () => {
    const encoded = `=?base64?${Buffer.from('echo').toString('base64')}?=`;
    const r = await post(sc.mcpUrl, modernCall('echo'), modernHeaders('tools/call', encoded));
    expect(r.status).toBe(200);
  });

  it('an unsupported revision → 400, -32022 naming the supported ones', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: { _meta: { ...MODERN_META, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' } },
    };
    const r = await post(sc.mcpUrl, body, { 'mcp-protocol-version': '2027-01-01', 'mcp-method': 'tools/list' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: -32022, data: { supported: ['2026-07-28'], requested: '2027-01-01' } });
  });

  it('an envelope without clientCapabilities → 400, -32602 naming the key', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    };
    const r = await post(sc.mcpUrl, body, modernHeaders('tools/list'));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32602);
    expect(r.json.error.message).toContain('io.modelcontextprotocol/clientCapabilities: missing');
  });

  it('a modern header with no envelope → 400, -32602', async () => {
    const r = await post(sc.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, modernHeaders('tools/list'));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32602);
  });

  it.each(['initialize', 'ping', 'resources/list'])('%s is not a 2026-07-28 method → 404, -32601', async (method) => {
    const r = await post(
      sc.mcpUrl,
      { jsonrpc: '2.0', id: 1, method, params: { _meta: MODERN_META } },
      modernHeaders(method),
    );
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe(-32601);
  });

  it('server/discover lists the revision, capabilities and server info', async () => {
    const r = await post(
      sc.mcpUrl,
      { jsonrpc: '2.0', id: 'd', method: 'server/discover', params: { _meta: MODERN_META } },
      modernHeaders('server/discover'),
    );
    expect(r.json.result).toMatchObject({
      supportedVersions: ['2026-07-28'],
      capabilities: { tools: {} },
      resultType: 'complete',
    });
  });

  it('tools/list carries cache hints', async () => {
    const r = await post(
      sc.mcpUrl,
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: MODERN_META } },
      modernHeaders('tools/list'),
    );
    expect(r.json.result).toMatchObject({ ttlMs: 0, cacheScope: 'private', resultType: 'complete' });
  });
});

describe('2025-11-25 and JSON-RPC rules', () => {
  it('serves any request without a prior initialize (stateless)', async () => {
    const r = await post(sc.mcpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { msg: 'y' } },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json.result.content[0].text).toBe('y');
    expect(r.json.result.resultType).toBeUndefined();
  });

  it('negotiates initialize down to a version it serves', async () => {
    const init = (v: string) =>
      post(sc.mcpUrl, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: v, capabilities: {}, clientInfo: { name: 't', version: '1' } },
      });
    expect((await init('2025-06-18')).json.result.protocolVersion).toBe('2025-06-18');
    expect((await init('1999-01-01')).json.result.protocolVersion).toBe('2025-11-25');
  });

  it('an unknown MCP-Protocol-Version header → 400', async () => {
    const r = await post(
      sc.mcpUrl,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { 'mcp-protocol-version': '1999-01-01' },
    );
    expect(r.status).toBe(400);
  });

  it('notifications are accepted with 202 and no body', async () => {
    const r = await post(sc.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(r.status).toBe(202);
    expect(r.text).toBe('');
  });

  it('unknown methods are -32601 in-band', async () => {
    const r = await post(sc.mcpUrl, { jsonrpc: '2.0', id: 5, method: 'resources/list' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 5, error: { code: -32601 } });
  });

  it.each([
    ['a batch', [{ jsonrpc: '2.0', id: 1, method: 'ping' }], 400, -32600],
    ['invalid JSON', '{"jsonrpc":', 400, -32700],
    ['a number', '42', 400, -32600],
    ['no method', { jsonrpc: '2.0', id: 1 }, 400, -32600],
    ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 1, method: 'ping' }, 400, -32600],
    ['a null id', { jsonrpc: '2.0', id: null, method: 'ping' }, 400, -32600],
    ['array params', { jsonrpc: '2.0', id: 1, method: 'ping', params: [] }, 400, -32600],
  ])('%s is refused with the right status and code', async (_label, body, status, code) => {
    const r = await post(sc.mcpUrl, body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
  });

  it('tools/call without a name or with non-object arguments → -32602', async () => {
    const a = await post(sc.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: {} });
    expect(a.json.error.code).toBe(-32602);
    const b = await post(sc.mcpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: 'x' },
    });
    expect(b.json.error.code).toBe(-32602);
  });
});

describe('HTTP transport rules', () => {
  it('GET and DELETE → 405 with Allow: POST', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await fetch(sc.mcpUrl, { method });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('POST');
    }
  });

  it('an oversized body → 413', async () => {
    const r = await post(sc.mcpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { msg: 'x'.repeat(5000) } },
    });
    expect(r.status).toBe(413);
    expect(r.json.error.message).toContain('4096');
  });

  it('a non-JSON content type → 415; an Accept without JSON → 406', async () => {
    expect((await post(sc.mcpUrl, '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(sc.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'ping' }, { accept: 'text/html' })).status).toBe(
      406,
    );
  });

  it('refuses a foreign Host on a loopback bind (DNS rebinding) and a foreign Origin', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        sc.mcpUrl,
        { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    });
    expect(status).toBe(403);
    const foreign = await post(
      sc.mcpUrl,
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const local = await post(sc.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: 'http://localhost:6274' });
    expect(local.status).toBe(200);
  });

  it('accepts a configured Origin and Host', async () => {
    const open = await startTestSidecar(TEST_TOOLS, [
      '--allowed-origins',
      'https://console.example',
      '--allowed-hosts',
      'localhost,127.0.0.1',
    ]);
    try {
      const r = await post(
        open.mcpUrl,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { origin: 'https://console.example' },
      );
      expect(r.status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('stays up and keeps serving after all of the above', async () => {
    const r = await post(sc.mcpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { msg: 'still here' } },
    });
    expect(r.json.result.content[0].text).toBe('still here');
  });
});

describe('operational endpoints', () => {
  it('/healthz answers while the process is up', async () => {
    const r = await fetch(`${sc.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok', service: 'payment-service' });
  });

  it('/readyz is 503 while the app is unreachable', async () => {
    const r = await fetch(`${sc.url}/readyz`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { app: { reachable: boolean } }).app.reachable).toBe(false);
  });

  it('/metrics exposes the documented sidecar metrics with the calls made', async () => {
    await post(sc.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fails', arguments: {} } });
    await post(sc.mcpUrl, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: {} } });
    const text = await (await fetch(`${sc.url}/metrics`)).text();
    expect(text).toMatch(/^mcp_sidecar_tool_executions_total\{tool="echo",status="success"\} [1-9]\d*$/m);
    expect(text).toMatch(/^mcp_sidecar_tool_executions_total\{tool="fails",status="error"\} [1-9]\d*$/m);
    expect(text).toMatch(/^mcp_sidecar_tool_executions_total\{tool="slow",status="timeout"\} [1-9]\d*$/m);
    expect(text).toMatch(/^mcp_sidecar_tool_duration_seconds_bucket\{tool="echo",le="\+Inf"\} [1-9]\d*$/m);
    expect(text).toContain('# TYPE mcp_sidecar_localhost_requests_total counter');
  });

  it('unknown paths → 404 naming the endpoints', async () => {
    const r = await fetch(`${sc.url}/nope`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: string }).error).toContain('/mcp');
  });
});
