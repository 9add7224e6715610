// The catalog runner hears an MCP server of its own announce a list change and collects it again at once, rather
// than at the next CACHE_TTL: the real conformance test server (2025-11-25 sessions), its list_changed triggered by
// another client's tool call, and the runner's session ended when it stops.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogRunner } from '../../control/catalog/runner.js';
import type { DiscoveredService } from '../../control/types.js';
import { type RunningConformanceServer, startConformanceServer } from '../../demo/conformanceServer.js';

let server: RunningConformanceServer | undefined;
let runner: CatalogRunner | undefined;
afterEach(async () => {
  await runner?.stop();
  await server?.close();
  runner = undefined;
  server = undefined;
});

function upstream(url: string, watch = true): DiscoveredService {
  return {
    name: 'conformance',
    namespace: 'tools',
    host: '127.0.0.1',
    port: Number(new URL(url).port),
    url,
    ready: true,
    selector: { app: 'conformance' },
    ...(watch ? { upstream: { path: '/mcp', protocols: ['2025-11-25', '2026-07-28'] } } : {}),
  };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Another client of the server calls one of its hooks (a tools list change, a resource update). */
async function trigger(url: string, tool: string, args: Record<string, string> = {}): Promise<void> {
  const client = new Client({ name: 'trigger', version: '1' }, { versionNegotiation: { mode: 'legacy' } });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  await client.callTool({ name: tool, arguments: args });
  await transport.terminateSession();
  await client.close();
}

const announce = (url: string) => trigger(url, 'test_trigger_tool_change');

describe('list watching', () => {
  it('collects a server of its own again as soon as it announces a list change', async () => {
    server = await startConformanceServer({ port: 0 });
    const rounds: string[] = [];
    const logs: string[] = [];
    runner = new CatalogRunner({
      cacheTtlMs: 3_600_000,
      limits: { timeoutMs: 5_000 },
      onRefresh: () => rounds.push('round'),
      log: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m) },
    });
    await runner.update([upstream(server.url)]);
    expect(runner.current()?.services[0]?.tools.length).toBeGreaterThan(0);
    await until('the watch session', () => logs.includes('watching the server for list changes'));
    const before = rounds.length;
    await announce(server.url);
    await until('a collection after the announcement', () => rounds.length > before);
    expect(logs).toContain('list changed: collecting the server again');
  });

  it('holds the resource subscriptions it is given on that session, hears their updates, and ends them', async () => {
    server = await startConformanceServer({ port: 0 });
    const logs: string[] = [];
    runner = new CatalogRunner({
      cacheTtlMs: 3_600_000,
      limits: { timeoutMs: 5_000 },
      log: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m) },
    });
    const heard: Array<[string, string]> = [];
    runner.onResourceUpdated((key, uri) => heard.push([key, uri]));
    // Asked for before the session exists: taken up once it opens.
    runner.watchResources('tools/conformance', new Set(['test://watched-resource']));
    await runner.update([upstream(server.url)]);
    await until('the subscription on the watch session', () => server!.subscriptions() === 1);
    await trigger(server.url, 'test_trigger_resource_update', { uri: 'test://watched-resource' });
    await until('the update', () => heard.length > 0);
    expect(heard).toEqual([['tools/conformance', 'test://watched-resource']]);
    runner.watchResources('tools/conformance', new Set());
    await until('the subscription ended', () => server!.subscriptions() === 0);
  });

  it('watches no sidecar, and nothing when told not to', async () => {
    server = await startConformanceServer({ port: 0 });
    const logs: string[] = [];
    const log = { info: (_o: object, m: string) => logs.push(m), warn: (_o: object, m: string) => logs.push(m) };
    runner = new CatalogRunner({ cacheTtlMs: 3_600_000, log });
    await runner.update([upstream(server.url, false)]);
    await runner.stop();
    runner = new CatalogRunner({ cacheTtlMs: 3_600_000, log, watchLists: false });
    await runner.update([upstream(server.url)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(logs).not.toContain('watching the server for list changes');
  });
});
