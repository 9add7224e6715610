// The sidecar's MCP endpoint driven by the real SDK v2 client in both protocol eras.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { manyTools, TEST_TOOLS } from '../support/testTools.js';

type Mode = 'legacy' | 'auto' | { pin: string };

async function connect(url: string, mode: Mode): Promise<Client> {
  const client = new Client({ name: 'vitest', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

let sidecar: TestSidecar;
beforeAll(async () => {
  sidecar = await startTestSidecar(TEST_TOOLS);
});
afterAll(() => sidecar.close());

describe.each([
  ['2025-11-25 (initialize handshake)', 'legacy' as Mode],
  ['2026-07-28 (stateless, pinned)', { pin: '2026-07-28' } as Mode],
])('SDK v2 client, %s', (_label, mode) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(sidecar.mcpUrl, mode);
  });
  afterAll(() => client.close());

  it('lists the tools with schemas and read-only annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'slow', 'fails', 'crashes']);
    const echo = tools[0]!;
    expect(echo.inputSchema).toMatchObject({ type: 'object', required: ['msg'] });
    expect(echo.annotations?.readOnlyHint).toBe(true);
  });

  it('calls a tool by its own name, the gateway prefix and the dotted alias', async () => {
    for (const name of ['echo', 'payment-service__echo', 'payment-service.echo']) {
      const r = await client.callTool({ name, arguments: { msg: 'hi', count: 2 } });
      expect(r.isError ?? false).toBe(false);
      expect(r.content).toEqual([{ type: 'text', text: 'hi hi' }]);
      expect(r.structuredContent).toEqual({ text: 'hi hi' });
    }
  });

  it('answers a tool of another service, or no tool at all, as unknown (-32602)', async () => {
    for (const name of ['user-service__echo', 'user-service.echo', 'nope']) {
      await expect(client.callTool({ name, arguments: {} })).rejects.toMatchObject({ code: -32602 });
    }
  });

  it('returns wrong argument types as a readable tool error, not a protocol error', async () => {
    const r = await client.callTool({ name: 'echo', arguments: { msg: 5, extra: true } });
    expect(r.isError).toBe(true);
    const text = (r.content as { text: string }[])[0]!.text;
    expect(text).toContain('arguments.msg must be a string, got integer');
    expect(text).toContain('arguments.extra is not a known argument');
  });

  it('turns upstream failures, crashes and timeouts into isError results', async () => {
    const fails = await client.callTool({ name: 'fails', arguments: {} });
    expect(fails).toMatchObject({ isError: true, content: [{ text: 'upstream is down: connection refused' }] });
    const crash = await client.callTool({ name: 'crashes', arguments: {} });
    expect(crash.isError).toBe(true);
    expect(JSON.stringify(crash)).not.toContain('secret internal detail');
    const slow = await client.callTool({ name: 'slow', arguments: {} });
    expect(slow).toMatchObject({ isError: true, content: [{ text: 'Tool slow timed out after 200 ms' }] });
  });
});

describe('version negotiation', () => {
  it('an auto-negotiating client lands on 2026-07-28 through server/discover', async () => {
    const client = await connect(sidecar.mcpUrl, 'auto');
    try {
      expect(client.getServerVersion()?.name).toBe('payment-service-mcp');
      const r = await client.callTool({ name: 'echo', arguments: { msg: 'auto' } });
      expect(r.content).toEqual([{ type: 'text', text: 'auto' }]);
    } finally {
      await client.close();
    }
  });

  it('a legacy client gets serverInfo and instructions from initialize', async () => {
    const client = await connect(sidecar.mcpUrl, 'legacy');
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'payment-service-mcp' });
      expect(client.getInstructions()).toContain('payment-service');
      await expect(client.ping()).resolves.toBeDefined();
    } finally {
      await client.close();
    }
  });
});

describe('pagination', () => {
  it.each([['legacy' as Mode], [{ pin: '2026-07-28' } as Mode]])(
    'the client receives all 250 tools (%o)',
    async (mode) => {
      const big = await startTestSidecar(manyTools(250));
      const client = await connect(big.mcpUrl, mode);
      try {
        const names: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : undefined);
          names.push(...page.tools.map((t) => t.name));
          cursor = page.nextCursor;
        } while (cursor);
        expect(names).toHaveLength(250);
        expect(new Set(names).size).toBe(250);
      } finally {
        await client.close();
        await big.close();
      }
    },
  );

  it('serves pages of 100 linked by opaque cursors, and rejects a forged cursor', async () => {
    const big = await startTestSidecar(manyTools(250));
    try {
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const r = await post(big.mcpUrl, {
          jsonrpc: '2.0',
          id: pages,
          method: 'tools/list',
          params: cursor ? { cursor } : {},
        });
        expect(r.status).toBe(200);
        names.push(...r.json.result.tools.map((t: { name: string }) => t.name));
        cursor = r.json.result.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(names).toEqual(manyTools(250).map((t) => t.name));
      const forged = await post(big.mcpUrl, {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/list',
        params: { cursor: 'bm9wZQ' },
      });
      expect(forged.json.error).toMatchObject({ code: -32602 });
    } finally {
      await big.close();
    }
  });
});
