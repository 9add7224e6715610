// The aggregated MCP server: one SDK v2 handler serving both eras statelessly (2026-07-28 per request, 2025-11-25 by
// the SDK's stateless fallback), answering initialize / server/discover / tools/list from the caller's tool view.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createMcpHandler,
  type ListToolsResult,
  type McpHttpHandler,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerEvent,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { Identity } from './authorize.js';
import { CursorError, type ToolViews } from './toolViews.js';

export const SERVER_NAME = 'meshmcp';

export interface CatalogServerOptions {
  views: ToolViews;
  version: string;
  /** Largest POST body the handler reads (413 above it). */
  maxBodyBytes: number;
  /** Reporting only: errors the SDK hands to onerror. */
  onError?: (err: Error) => void;
}

const INSTRUCTIONS =
  'Diagnostic tools of every MCP-enabled service in this mesh, named <service>__<tool>. ' +
  'Each call is authorized, rate-limited and audited by the gateway.';

/**
 * A bus that remembers, for each open subscriptions/listen stream, who opened it (the request's identity, carried
 * in AsyncLocalStorage while the SDK registers the listener), and tells a stream only when that caller's own view of
 * the tools changed. Tools another caller cannot see never wake its stream.
 */
class IdentityBus implements ServerEventBus {
  readonly requestIdentity = new AsyncLocalStorage<Identity>();
  private readonly listeners = new Set<{ fn: (e: ServerEvent) => void; id?: Identity; seen?: string }>();

  constructor(private readonly views: ToolViews) {}

  subscribe(fn: (event: ServerEvent) => void): () => void {
    const id = this.requestIdentity.getStore();
    const entry = { fn, id, seen: id ? this.views.versionFor(id) : undefined };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  publish(event: ServerEvent): void {
    for (const l of [...this.listeners]) {
      if (event.kind === 'tools_list_changed' && l.id) {
        const now = this.views.versionFor(l.id);
        if (now === l.seen) continue;
        l.seen = now;
      }
      try {
        l.fn(event);
      } catch {
        // One broken stream must not stop the others.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}

export interface CatalogServer {
  handler: McpHttpHandler;
  /** Serves one web-standard request for the caller the gateway named (routes.ts reads it from x-meshmcp-*). */
  fetch(request: Request, id: Identity): Promise<Response>;
  /** Tell open 2026-07-28 listen streams whose callers' views changed. */
  toolsChanged(): void;
  /** Open subscriptions/listen streams. */
  listeners(): number;
  close(): Promise<void>;
}

function buildServer(views: ToolViews, id: Identity, version: string): Server {
  const server = new Server(
    { name: SERVER_NAME, version },
    { capabilities: { tools: { listChanged: true } }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler('tools/list', (request) => {
    try {
      // Tools come from sidecars through the collector, which checked each inputSchema is an object schema.
      return views.page(id, request.params?.cursor) as unknown as ListToolsResult;
    } catch (e) {
      if (e instanceof CursorError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, e.message);
      throw e;
    }
  });
  // The gateway routes every tools/call to the tool's sidecar, so one arriving here names no tool this caller can
  // reach through the control route (or bypassed the gateway's routing table).
  server.setRequestHandler('tools/call', (request) => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  });
  return server;
}

export function createCatalogServer(opts: CatalogServerOptions): CatalogServer {
  const bus = new IdentityBus(opts.views);
  const handler = createMcpHandler(
    () => {
      // The SDK builds the server inside fetch() below, where the caller's identity is the AsyncLocalStorage store.
      const id = bus.requestIdentity.getStore();
      if (!id) throw new Error('a catalog server was requested outside fetch(); serve requests through fetch()');
      return buildServer(opts.views, id, opts.version);
    },
    {
      legacy: 'stateless',
      bus,
      maxRequestBodySize: opts.maxBodyBytes,
      ...(opts.onError ? { onerror: opts.onError } : {}),
    },
  );
  return {
    handler,
    fetch(request, id) {
      return bus.requestIdentity.run(id, () => handler.fetch(request));
    },
    toolsChanged() {
      handler.notify.toolsChanged();
    },
    listeners() {
      return bus.size;
    },
    close() {
      return handler.close();
    },
  };
}

/** 403 with a JSON-RPC error body, as the gateway filter answers a refused method (-32003). */
export function forbidden(message: string): Response {
  return Response.json({ jsonrpc: '2.0', id: null, error: { code: -32003, message } }, { status: 403 });
}
