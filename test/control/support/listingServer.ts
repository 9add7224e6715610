// An MCP server of its own on loopback for the catalog's tests, made with the real SDK v2 server: its tools and
// prompts lists come in the pages a test gives, each page carrying the result fields the test puts on it (the
// caching hints). It speaks 2026-07-28 (createMcpHandler, modern only) or 2025-11-25 only (legacyStatelessFallback).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, legacyStatelessFallback, Server } from '@modelcontextprotocol/server';
import { pipeWebBody } from '../../../shared/webBody.js';

export interface ListPage {
  names: string[];
  /** Members the page's result carries besides the items, e.g. `{ ttlMs: 5000, cacheScope: 'public' }`. */
  fields?: Record<string, unknown>;
}

export interface ListingServerOptions {
  era: '2026-07-28' | '2025-11-25';
  tools: ListPage[];
  prompts?: ListPage[];
}

export interface ListingServer {
  url: string;
  /** Requests answered, by JSON-RPC method. */
  calls: Record<string, number>;
  close(): Promise<void>;
}

/** Page `cursor` (its index; the first page has none) of a list, in the list result's form. */
function pageOf(pages: ListPage[], cursor: string | undefined, item: (name: string) => Record<string, unknown>) {
  const i = cursor === undefined ? 0 : Number(cursor);
  const page = pages[i] ?? { names: [] };
  return {
    items: page.names.map(item),
    ...page.fields,
    ...(i + 1 < pages.length ? { nextCursor: String(i + 1) } : {}),
  };
}

export async function startListingServer(opts: ListingServerOptions): Promise<ListingServer> {
  const calls: Record<string, number> = {};
  const count = (method: string) => {
    calls[method] = (calls[method] ?? 0) + 1;
  };
  const build = () => {
    const server = new Server(
      { name: 'listing', version: '1.0.0' },
      { capabilities: { tools: {}, ...(opts.prompts ? { prompts: {} } : {}) } },
    );
    server.setRequestHandler('tools/list', (request) => {
      count('tools/list');
      const { items, ...rest } = pageOf(opts.tools, request.params?.cursor, (name) => ({
        name,
        inputSchema: { type: 'object' },
      }));
      return { tools: items, ...rest } as never;
    });
    if (opts.prompts) {
      const prompts = opts.prompts;
      server.setRequestHandler('prompts/list', (request) => {
        count('prompts/list');
        const { items, ...rest } = pageOf(prompts, request.params?.cursor, (name) => ({ name }));
        return { prompts: items, ...rest } as never;
      });
    }
    return server;
  };
  const modern = createMcpHandler(build, { legacy: 'reject' });
  const serve =
    opts.era === '2026-07-28' ? (request: Request) => modern.fetch(request) : legacyStatelessFallback(build);
  const httpServer = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
    const response = await serve(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    await pipeWebBody(res, response.body);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}
