// The release filter in the host's HTTP front, in front of a real sidecar, driven by the real MCP SDK v2 client in
// both protocol eras: authentication, routing by x-meshmcp-service, refusals and the audit trail over real HTTP.
// Until the control service exists, the sidecar also answers the catalog messages routed to `meshmcp-control`
// (a stand-in, named as one: it lists only its own tools).

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Front, startFront } from '../../filter/host/front.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { TEST_TOOLS } from '../support/testTools.js';
import { auditLines, example, filterWasm } from './harness.js';

let sidecar: TestSidecar;
let front: Front;

beforeAll(async () => {
  sidecar = await startTestSidecar(TEST_TOOLS);
  const config = example('gateway');
  config.services = [
    { name: 'payment-service', namespace: 'production', host: '127.0.0.1', port: 3000, tools: ['echo', 'fails'] },
  ];
  const upstream = { host: '127.0.0.1', port: Number(new URL(sidecar.url).port) };
  front = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(config),
    allowOnHeadersStopIteration: true,
    upstreams: { 'payment-service': upstream, 'meshmcp-control': upstream },
  });
});

afterAll(async () => {
  await front?.close();
  await sidecar?.close();
});

async function connect(mode: 'legacy' | { pin: string }, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'filter-e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${front.url}/mcp`), { requestInit: { headers } }));
  return client;
}

describe.each([
  ['2025-11-25', 'legacy' as const],
  ['2026-07-28', { pin: '2026-07-28' }],
])('SDK client (%s) through the filter', (_era, mode) => {
  it('passes catalog messages and answers a tool the policy denies as an unknown tool', async () => {
    const client = await connect(mode, {
      authorization: 'ignored',
      'x-api-key': 'test',
      'x-meshmcp-principal': 'root',
    });
    // The stand-in lists its own tools unprefixed; the control service will prefix them.
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('echo');
    // The example policy gives sre-readonly only get_health/get_logs/get_metrics, so echo is denied...
    const denied = await client.callTool({ name: 'payment-service__echo', arguments: { msg: 'hi' } }).catch((e) => e);
    expect(String(denied.message ?? denied)).toMatch(/Unknown tool: payment-service__echo/);
    await client.close();
  });

  it('lets a caller the policy allows reach the tool, and audits the call', async () => {
    const before = auditLines(front.plugin).length;
    // sre-all allows group sre; an API key for it is configured below through a reconfiguration.
    const config = example('gateway');
    config.services = [
      { name: 'payment-service', namespace: 'production', host: '127.0.0.1', port: 3000, tools: ['echo', 'fails'] },
    ];
    config.identity[2].apiKey.keys.push({
      sha256: 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3',
      principal: 'sam',
      groups: ['sre'],
    });
    expect(front.configure(JSON.stringify(config))).toBe(true);
    const client = await connect(mode, { 'x-api-key': '123' });
    const result = await client.callTool({ name: 'payment-service__echo', arguments: { msg: 'hi', count: 2 } });
    expect(result.structuredContent).toEqual({ text: 'hi hi' });
    await client.close();
    const calls = auditLines(front.plugin)
      .slice(before)
      .filter((l) => l.method === 'tools/call');
    expect(calls.at(-1)).toMatchObject({ client: 'sam', service: 'payment-service', tool: 'echo', status: 'success' });
  });

  it('refuses a client without credentials with 401 and the resource metadata challenge', async () => {
    const error = await connect(mode, {}).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    const res = await fetch(`${front.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="https:\/\/mcp\.example\.com\//);
  });
});
