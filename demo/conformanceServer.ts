// A target for the official MCP conformance suite: its test tools, prompts and resources at /mcp, in both eras.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMcpHandler,
  createRequestStateCodec,
  hostHeaderValidationResponse,
  isInitializeRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  McpServer,
  originValidationResponse,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { closeAfterAnswer, readBody } from '../shared/readBody.js';
import { pipeWebBody } from '../shared/webBody.js';
import { registerPrompts, registerResources } from './conformance/catalog.js';
import type { RoundState, ToolHooks } from './conformance/inputRequired.js';
import { TaskStore } from './conformance/taskStore.js';
import { registerTaskMethods, TASKS_EXTENSION, taskOnlyRejection } from './conformance/tasks.js';
import { registerTaskTools, TASK_ONLY_TOOLS } from './conformance/taskTools.js';
import { registerTools } from './conformance/tools.js';

export interface ConformanceServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port */
  port: number;
  /**
   * Hosts accepted in Host and Origin besides localhost, 127.0.0.1 and [::1] (for example a gateway in front that
   * forwards the client's Host). A port in an entry is ignored: the check is by host name, as the SDK's is.
   */
  allowedHosts?: string[];
  /**
   * The revisions served (default both). With one only, a request of the other is refused (HTTP 400) as a server
   * of that one revision would: the local mesh puts a 2025-11-25-only server behind a bridge this way.
   */
  revisions?: readonly Revision[];
}

export const REVISIONS = ['2025-11-25', '2026-07-28'] as const;
export type Revision = (typeof REVISIONS)[number];

export interface RunningConformanceServer {
  url: string;
  port: number;
  /** 2025-11-25 sessions open now (initialized and not yet ended by DELETE or close). */
  openSessions(): number;
  /** Resource subscriptions those sessions hold. */
  subscriptions(): number;
  /** Tasks of the 2026-07-28 tasks extension held now: running, waiting for input, or finished within their TTL. */
  tasks(): number;
  close(): Promise<void>;
}

const SERVER_INFO = { name: 'meshmcp-conformance-server', version: '1.0.0' };
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Era = 'legacy' | 'modern';

interface Session {
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  /** The resources this session subscribed to. */
  subscribed: Set<string>;
}

/** One server instance: a 2025-11-25 session's, or a single 2026-07-28 request's. */
function buildServer(era: Era, hooks: ToolHooks, subscribed = new Set<string>()): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      // resources/subscribe is gone in 2026-07-28 (listen streams replace it).
      resources: { listChanged: true, ...(era === 'legacy' ? { subscribe: true } : {}) },
      logging: {},
      completions: {},
      // The tasks extension (SEP-2663) is defined for 2026-07-28 only.
      ...(era === 'modern' ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
    },
    requestState: { verify: (state, ctx) => hooks.state.verify(state, ctx) },
  });
  registerTools(server, hooks);
  registerPrompts(server);
  registerResources(server);
  if (era === 'modern') {
    registerTaskTools(server, hooks.tasks);
    registerTaskMethods(server, hooks.tasks);
  }
  if (era === 'legacy') {
    // A subscription fires only when a client calls test_trigger_resource_update for its URI.
    server.server.setRequestHandler('resources/subscribe', (request) => {
      subscribed.add(request.params.uri);
      return {};
    });
    server.server.setRequestHandler('resources/unsubscribe', (request) => {
      subscribed.delete(request.params.uri);
      return {};
    });
  }
  return server;
}

const rpcError = (status: number, code: number, message: string): Response =>
  Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status });

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

export async function startConformanceServer(options: ConformanceServerOptions): Promise<RunningConformanceServer> {
  const extra = (options.allowedHosts ?? []).map(hostnameOf).filter((h): h is string => h !== undefined);
  const allowedHostnames = [...localhostAllowedHostnames(), ...extra];
  const allowedOrigins = [...localhostAllowedOrigins(), ...extra];
  const served: readonly Revision[] = options.revisions ?? REVISIONS;

  const hooks: ToolHooks = {
    // One process serves every round of a flow, so a per-process key is enough.
    state: createRequestStateCodec<RoundState>({ key: randomBytes(32) }),
    // Outlives the per-request servers: a task started by one request is read, fed and cancelled by later ones.
    tasks: new TaskStore(),
    // Every client hears it: 2026-07-28 listen streams, and each 2025-11-25 session on its GET stream.
    toolsChanged: () => {
      modern.notify.toolsChanged();
      for (const s of sessions.values()) s.server.sendToolListChanged();
    },
    promptsChanged: () => {
      modern.notify.promptsChanged();
      for (const s of sessions.values()) s.server.sendPromptListChanged();
    },
    resourceUpdated: (uri) => {
      modern.notify.resourceUpdated(uri);
      for (const s of sessions.values()) {
        if (s.subscribed.has(uri)) void s.server.server.sendResourceUpdated({ uri }).catch(() => undefined);
      }
    },
  };
  // 2026-07-28: a fresh server per request; the era's validation (per-request _meta, headers) is the SDK's.
  const modern = createMcpHandler(() => buildServer('modern', hooks), { legacy: 'reject' });
  // 2025-11-25: a session per initialize, so server-to-client requests and the GET stream have somewhere to go.
  const sessions = new Map<string, Session>();

  async function legacy(request: Request, body: unknown): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id !== null) {
      const session = sessions.get(id);
      if (!session) return rpcError(404, -32001, 'Session not found');
      return session.transport.handleRequest(request, { parsedBody: body });
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) {
      return rpcError(400, -32000, 'Bad Request: no Mcp-Session-Id; initialize first');
    }
    const subscribed = new Set<string>();
    const server = buildServer('legacy', hooks, subscribed);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        sessions.set(sid, { server, transport, subscribed });
      },
      onsessionclosed: (sid) => {
        sessions.delete(sid);
      },
    });
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  }

  async function serve(request: Request, raw: Buffer | undefined): Promise<Response> {
    const rejected =
      hostHeaderValidationResponse(request, allowedHostnames) ?? originValidationResponse(request, allowedOrigins);
    if (rejected) return rejected;
    let body: unknown;
    if (raw !== undefined && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return rpcError(400, -32700, 'Parse error');
      }
    }
    const isLegacy = await isLegacyRequest(request, body);
    const wanted: Revision = isLegacy ? '2025-11-25' : '2026-07-28';
    if (!served.includes(wanted)) {
      return rpcError(400, -32000, `Bad Request: this server speaks only ${served.join(', ')}, not ${wanted}`);
    }
    if (isLegacy) return legacy(request, body);
    return (
      taskOnlyRejection(request, body, TASK_ONLY_TOOLS) ??
      modern.fetch(request, body === undefined ? {} : { parsedBody: body })
    );
  }

  const httpServer = http.createServer(async (req, res) => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const url = new URL(req.url ?? '/', 'http://conformance.invalid');
      if (url.pathname !== '/mcp') {
        await sendResponse(res, rpcError(404, -32601, `nothing at ${url.pathname}; MCP is served at /mcp`));
        return;
      }
      let raw: Buffer | undefined;
      if (req.method === 'POST') {
        raw = await readBody(req, MAX_BODY_BYTES);
        if (raw === undefined) {
          closeAfterAnswer(res);
          await sendResponse(res, rpcError(413, -32600, 'request body too large'));
          return;
        }
      }
      await sendResponse(res, await serve(toWebRequest(req, raw, abort.signal), raw));
    } catch (err) {
      if (!res.headersSent) await sendResponse(res, rpcError(500, -32603, (err as Error).message));
      else res.destroy();
    }
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}/mcp`,
    port,
    openSessions: () => sessions.size,
    subscriptions: () => [...sessions.values()].reduce((n, s) => n + s.subscribed.size, 0),
    tasks: () => hooks.tasks.size,
    async close() {
      hooks.tasks.close();
      await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => {})));
      sessions.clear();
      await modern.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}

function toWebRequest(req: http.IncomingMessage, body: Buffer | undefined, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const init: RequestInit = { method: req.method ?? 'GET', headers, signal };
  if (body !== undefined) init.body = new Uint8Array(body);
  return new Request(new URL(req.url ?? '/', 'http://conformance.invalid'), init);
}

/** Writes a web Response to Node, streaming its body (SSE included) until it ends or the client goes away. */
async function sendResponse(res: http.ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  // An event stream may say nothing for a while: its headers go out now, not with its first event.
  if (response.body) res.flushHeaders();
  await pipeWebBody(res, response.body);
}
