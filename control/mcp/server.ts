// The aggregated MCP server: one SDK v2 handler serving both eras statelessly (2026-07-28 per request, 2025-11-25 by
// the SDK's stateless fallback), answering initialize / server/discover / tools/list from the caller's tool view.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createMcpHandler,
  type McpHttpHandler,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerEvent,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { Identity } from './authorize.js';
import type { ListFreshness } from './listFreshness.js';
import { KINDS, LIST_KINDS } from './listKinds.js';
import { CursorError, type ListViews } from './listViews.js';
import type { ResourceInterest } from './resourceInterest.js';

export const SERVER_NAME = 'meshmcp';

export interface CatalogServerOptions {
  views: ListViews;
  freshness: ListFreshness;
  version: string;
  /** Largest POST body the handler reads (413 above it). */
  maxBodyBytes: number;
  /** Reporting only: errors the SDK hands to onerror. */
  onError?: (err: Error) => void;
  /**
   * Resource subscriptions on 2026-07-28 listen streams: the URIs asked for that this caller may hear about (a
   * server of its own's resource the policy lets it read) are counted in `interest` while the stream is open; the
   * others are taken out of the request, so the acknowledgement names only what will be delivered.
   */
  resources?: { interest: ResourceInterest; mayHear: (id: Identity, uri: string) => boolean };
  /**
   * The protocol extensions of the catalog's servers that the gateway carries (the tasks extension): the aggregated
   * endpoint advertises them in 2026-07-28, since the gateway routes their requests to the server concerned.
   */
  extensions?: () => readonly string[];
  /**
   * Whether a server of the catalog runs tools/call as a 2025-11-25 task that the gateway carries on the aggregated
   * endpoint (in a session its pod's proxy keeps): then 2025-11-25 initialize advertises `tasks` (no tasks/list,
   * which would need every server's sessions).
   */
  sessionTasks?: () => boolean;
}

const INSTRUCTIONS =
  'Diagnostic tools of every MCP-enabled service in this mesh, named <service>__<tool>, with their prompts ' +
  '(<service>__<prompt>) and resources (meshmcp://<service>/<uri>). ' +
  'Each call is authorized, rate-limited and audited by the gateway.';

/**
 * A bus that remembers, for each open subscriptions/listen stream, who opened it (the request's identity, carried
 * in AsyncLocalStorage while the SDK registers the listener), and tells a stream only when that caller's own view of
 * the tools changed. Tools another caller cannot see never wake its stream.
 */
class IdentityBus implements ServerEventBus {
  readonly requestIdentity = new AsyncLocalStorage<Identity>();
  /** The server whose own endpoint the request came to, if it did. */
  readonly requestService = new AsyncLocalStorage<string | undefined>();
  private readonly listeners = new Set<{ fn: (e: ServerEvent) => void; id?: Identity; seen?: string }>();

  constructor(private readonly views: ListViews) {}

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
  /**
   * Serves one web-standard request for the caller the gateway named; with `service`, the lists of that one server
   * under its own names (the gateway sends /mcp/<service>'s lists here).
   */
  fetch(request: Request, id: Identity, service?: string): Promise<Response>;
  /** Tell open 2026-07-28 listen streams whose callers' views changed. */
  toolsChanged(): void;
  /** Tell open 2026-07-28 listen streams that the catalog's prompts or resources changed. */
  offeringsChanged(kind: 'prompts' | 'resources'): void;
  /** Tell open 2026-07-28 listen streams that asked for this (wrapped) resource URI that it changed. */
  resourceUpdated(uri: string): void;
  /** Open subscriptions/listen streams. */
  listeners(): number;
  close(): Promise<void>;
}

/** A list handler over a paged view; a bad cursor is -32602 as the spec asks. */
function listed<T>(page: () => T): T {
  try {
    return page();
  } catch (e) {
    if (e instanceof CursorError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, e.message);
    throw e;
  }
}

/** `capabilities.extensions` for these extension ids; nothing when there are none. */
function advertised(ids: readonly string[]): { extensions?: Record<string, Record<string, never>> } {
  return ids.length > 0 ? { extensions: Object.fromEntries(ids.map((e) => [e, {}])) } : {};
}

function buildServer(
  {
    views,
    freshness,
    resources,
    extensions,
    sessionTasks,
  }: Pick<CatalogServerOptions, 'views' | 'freshness' | 'resources' | 'extensions' | 'sessionTasks'>,
  id: Identity,
  version: string,
  service: string | undefined,
  era: 'modern' | 'legacy',
): Server {
  const server = new Server(
    { name: SERVER_NAME, version },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        // 2026-07-28 listen streams may ask for resource updates, which the control service relays from the servers'
        // own subscriptions; a 2025-11-25 subscription belongs to one server's session (/mcp/<service>).
        resources: { listChanged: true, ...(era === 'modern' && resources && !service ? { subscribe: true } : {}) },
        logging: {},
        // The gateway routes each completion/complete to the server of the prompt or template it names.
        completions: {},
        ...(era === 'modern' && !service ? advertised(extensions?.() ?? []) : {}),
        ...(era === 'legacy' && !service && sessionTasks?.()
          ? { tasks: { cancel: {}, requests: { tools: { call: {} } } } }
          : {}),
      },
      instructions: INSTRUCTIONS,
    },
  );
  // The four lists from the caller's views (tools come from servers through the collector, which checked each
  // inputSchema is an object schema). A 2026-07-28 request (it carries the `_meta` envelope) gets the list's caching
  // hints; a 2025-11-25 answer has no such members.
  for (const kind of LIST_KINDS) {
    server.setRequestHandler(KINDS[kind].list as 'tools/list', (request, ctx) =>
      listed(() => {
        const { result, view } = views.page(kind, id, request.params?.cursor, service);
        return (ctx.mcpReq.envelope === undefined ? result : { ...result, ...freshness.hint(kind, view) }) as never;
      }),
    );
  }
  // Accepted for the aggregated session; a call's own log messages come from its server on the call's stream.
  server.setRequestHandler('logging/setLevel', () => ({}));
  // The gateway routes every tools/call, prompts/get and resources/read to its server, so one arriving here names
  // nothing this caller can reach through the control route (or bypassed the gateway's routing table).
  server.setRequestHandler('tools/call', (request) => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  });
  server.setRequestHandler('prompts/get', (request) => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
  });
  server.setRequestHandler('resources/read', (request) => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resource: ${request.params.uri}`);
  });
  server.setRequestHandler('completion/complete', (request) => {
    const ref = request.params.ref;
    const named = ref.type === 'ref/prompt' ? `prompt: ${ref.name}` : `resource: ${(ref as { uri: string }).uri}`;
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown ${named}`);
  });
  return server;
}

export function createCatalogServer(opts: CatalogServerOptions): CatalogServer {
  const bus = new IdentityBus(opts.views);
  const handler = createMcpHandler(
    (ctx) => {
      // The SDK builds the server inside fetch() below, where the caller's identity is the AsyncLocalStorage store.
      const id = bus.requestIdentity.getStore();
      if (!id) throw new Error('a catalog server was requested outside fetch(); serve requests through fetch()');
      return buildServer(opts, id, opts.version, bus.requestService.getStore(), ctx.era);
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
    async fetch(request, id, service) {
      const serve = (r: Request) =>
        bus.requestService.run(service, () => bus.requestIdentity.run(id, () => handler.fetch(r)));
      const resources = opts.resources;
      // 2026-07-28 names the method in a header; only a listen stream may ask for resource updates.
      if (
        !resources ||
        service ||
        request.method !== 'POST' ||
        request.headers.get('mcp-method') !== 'subscriptions/listen'
      )
        return serve(request);
      const listen = await listenWithResources(request, (uri) => resources.mayHear(id, uri));
      if (!listen) return serve(request);
      const release = resources.interest.add(listen.uris);
      try {
        return releaseOnEnd(await serve(listen.request), release);
      } catch (err) {
        release();
        throw err;
      }
    },
    resourceUpdated(uri) {
      handler.notify.resourceUpdated(uri);
    },
    toolsChanged() {
      handler.notify.toolsChanged();
    },
    offeringsChanged(kind) {
      if (kind === 'prompts') handler.notify.promptsChanged();
      else handler.notify.resourcesChanged();
    },
    listeners() {
      return bus.size;
    },
    close() {
      return handler.close();
    },
  };
}

/**
 * A listen request that asks for resource updates: the URIs this caller may hear about, and the request to serve
 * (the same, or with the others taken out). Undefined when it asks for none (or its body is not one the SDK will
 * accept, which the SDK then answers).
 */
async function listenWithResources(
  request: Request,
  mayHear: (uri: string) => boolean,
): Promise<{ uris: string[]; request: Request } | undefined> {
  let body: { params?: { notifications?: { resourceSubscriptions?: unknown } } };
  try {
    body = (await request.clone().json()) as typeof body;
  } catch {
    return undefined;
  }
  const asked = body?.params?.notifications?.resourceSubscriptions;
  if (!Array.isArray(asked) || asked.length === 0) return undefined;
  const uris = asked.filter((u): u is string => typeof u === 'string' && mayHear(u));
  if (uris.length === asked.length) return { uris, request };
  body.params!.notifications!.resourceSubscriptions = uris;
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  return { uris, request: new Request(request.url, { method: 'POST', headers, body: JSON.stringify(body) }) };
}

/** The response, with `release` called once its body has ended or been cancelled (the listen stream closed). */
function releaseOnEnd(response: Response, release: () => void): Response {
  if (!response.body) {
    release();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        release();
        controller.error(err);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** 403 with a JSON-RPC error body, as the gateway filter answers a refused method (-32003). */
export function forbidden(message: string): Response {
  return Response.json({ jsonrpc: '2.0', id: null, error: { code: -32003, message } }, { status: 403 });
}
