// MCP servers for the bridge's tests and its benchmark (bench/bridge.ts), written with the official SDK v2, each
// speaking one revision only: a 2025-11-25 server with sessions that asks its client for input in the 2025 way
// (server-to-client requests on the SSE answer, or on the session's standalone stream), and a 2026-07-28 stateless
// server that returns input_required.
// Both serve the same tools: ask_name (elicitation), ask_sampling (sampling), ask_twice (two rounds), ask_both
// (elicitation and sampling at once), ask_roots, progress_then_ask (a progress notification first), echo.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CallToolResult,
  createMcpHandler,
  createRequestStateCodec,
  fromJsonSchema,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  isInitializeRequest,
  McpServer,
  type ServerContext,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { readBody } from '../shared/readBody.js';
import { pipeWebBody } from '../shared/webBody.js';

export interface TestUpstream {
  url: string;
  port: number;
  /** 2025-11-25 sessions open now (initialized, not yet ended by DELETE) */
  openSessions(): number;
  /** every request's method and headers, in order */
  seen: { method: string; headers: Record<string, string>; body: unknown }[];
  close(): Promise<void>;
}

const NAME_SCHEMA = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const } },
  required: ['name'],
};
const COLOUR_SCHEMA = {
  type: 'object' as const,
  properties: { colour: { type: 'string' as const } },
  required: ['colour'],
};
const MSG = fromJsonSchema<{ msg: string }>({
  type: 'object',
  properties: { msg: { type: 'string' } },
  required: ['msg'],
});
const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const sampled = (r: { content: unknown }): string => {
  const c = Array.isArray(r.content) ? r.content[0] : r.content;
  return (c as { text?: string })?.text ?? JSON.stringify(c);
};

/** The 2025 way: the server sends requests and waits for the answers inside the tool call. */
function sessionServer(): McpServer {
  const s = new McpServer({ name: 'session-upstream', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
  // Unrelated to the call: the SDK sends it on the session's standalone (GET) stream.
  s.registerTool('ask_name', { description: 'asks for a name' }, async (ctx: ServerContext) => {
    const r = await ctx.mcpReq.elicitInput({ message: 'What is your name?', requestedSchema: NAME_SCHEMA });
    return text(r.action === 'accept' ? `Hello, ${String(r.content?.['name'])}!` : `no name (${r.action})`);
  });
  // Related to the call: on the SSE answer of its POST.
  const related = (ctx: ServerContext) => ({ relatedRequestId: ctx.mcpReq.id });
  s.registerTool('ask_sampling', { description: 'asks for a completion' }, async (ctx: ServerContext) => {
    const r = await ctx.mcpReq.requestSampling(
      { messages: [{ role: 'user', content: { type: 'text', text: 'Capital of France?' } }], maxTokens: 20 },
      related(ctx),
    );
    return text(`Sampling said: ${sampled(r)}`);
  });
  s.registerTool('ask_twice', { description: 'asks for a name, then a colour' }, async (ctx: ServerContext) => {
    const name = await ctx.mcpReq.elicitInput({ message: 'Step 1: name?', requestedSchema: NAME_SCHEMA }, related(ctx));
    const colour = await ctx.mcpReq.elicitInput(
      { message: 'Step 2: colour?', requestedSchema: COLOUR_SCHEMA },
      related(ctx),
    );
    return text(`${String(name.content?.['name'])} likes ${String(colour.content?.['colour'])}`);
  });
  s.registerTool(
    'ask_both',
    { description: 'asks for a name and a completion at once' },
    async (ctx: ServerContext) => {
      const [name, r] = await Promise.all([
        ctx.mcpReq.elicitInput({ message: 'Name?', requestedSchema: NAME_SCHEMA }, related(ctx)),
        ctx.mcpReq.requestSampling(
          { messages: [{ role: 'user', content: { type: 'text', text: 'Greet' } }], maxTokens: 20 },
          related(ctx),
        ),
      ]);
      return text(`${String(name.content?.['name'])}: ${sampled(r)}`);
    },
  );
  s.registerTool('ask_roots', { description: 'asks for the roots' }, async (ctx: ServerContext) => {
    const r = await ctx.mcpReq.send({ method: 'roots/list' });
    return text(`Roots: ${r.roots.map((x) => x.uri).join(', ')}`);
  });
  s.registerTool('progress_then_ask', { description: 'reports progress, then asks' }, async (ctx: ServerContext) => {
    const token = ctx.mcpReq._meta?.progressToken;
    if (token !== undefined) {
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    }
    await ctx.mcpReq.log('info', 'about to ask');
    const r = await ctx.mcpReq.elicitInput({ message: 'Name?', requestedSchema: NAME_SCHEMA }, related(ctx));
    if (token !== undefined) {
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 2 } });
    }
    return text(`Hi ${String(r.content?.['name'])}`);
  });
  s.registerTool('echo', { description: 'echoes', inputSchema: MSG }, async ({ msg }) => text(msg));
  return s;
}

interface Round {
  tool: string;
  round: number;
  name?: string;
}

/** The 2026 way: the tool returns input_required, and is called again with the answers and its requestState. */
function statelessServer(codec: ReturnType<typeof createRequestStateCodec<Round>>): McpServer {
  const s = new McpServer(
    { name: 'stateless-upstream', version: '1.0.0' },
    { capabilities: { tools: {} }, requestState: { verify: (state, ctx) => codec.verify(state, ctx) } },
  );
  type R = CallToolResult | InputRequiredResult;
  const askName = (message: string) => inputRequired.elicit({ message, requestedSchema: NAME_SCHEMA });
  const askSampling = (prompt: string) =>
    inputRequired.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
      maxTokens: 20,
    });
  s.registerTool('ask_name', { description: 'asks for a name' }, async (ctx): Promise<R> => {
    const v = inputResponse(ctx.mcpReq.inputResponses, 'user_name');
    if (v.kind === 'missing') return inputRequired({ inputRequests: { user_name: askName('What is your name?') } });
    return text(v.kind === 'elicit' && v.action === 'accept' ? `Hello, ${String(v.content?.['name'])}!` : 'no name');
  });
  s.registerTool('ask_sampling', { description: 'asks for a completion' }, async (ctx): Promise<R> => {
    const v = inputResponse(ctx.mcpReq.inputResponses, 'capital');
    if (v.kind !== 'sampling') return inputRequired({ inputRequests: { capital: askSampling('Capital of France?') } });
    return text(`Sampling said: ${sampled(v.result)}`);
  });
  s.registerTool('ask_twice', { description: 'asks for a name, then a colour' }, async (ctx): Promise<R> => {
    const prior = ctx.mcpReq.requestState<Round>();
    const responses = ctx.mcpReq.inputResponses;
    if (prior?.tool === 'ask_twice' && prior.round === 2) {
      const colour = inputResponse(responses, 'step2');
      if (colour.kind === 'elicit') return text(`${prior.name} likes ${String(colour.content?.['colour'])}`);
    }
    if (prior?.tool === 'ask_twice' && prior.round === 1) {
      const name = inputResponse(responses, 'step1');
      if (name.kind === 'elicit') {
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({ message: 'Step 2: colour?', requestedSchema: COLOUR_SCHEMA }),
          },
          requestState: await codec.mint({ tool: 'ask_twice', round: 2, name: String(name.content?.['name']) }),
        });
      }
    }
    return inputRequired({
      inputRequests: { step1: askName('Step 1: name?') },
      requestState: await codec.mint({ tool: 'ask_twice', round: 1 }),
    });
  });
  s.registerTool('ask_both', { description: 'asks for a name and a completion at once' }, async (ctx): Promise<R> => {
    const name = inputResponse(ctx.mcpReq.inputResponses, 'name');
    const greeting = inputResponse(ctx.mcpReq.inputResponses, 'greeting');
    if (name.kind === 'elicit' && greeting.kind === 'sampling') {
      return text(`${String(name.content?.['name'])}: ${sampled(greeting.result)}`);
    }
    return inputRequired({ inputRequests: { name: askName('Name?'), greeting: askSampling('Greet') } });
  });
  s.registerTool('ask_roots', { description: 'asks for the roots' }, async (ctx): Promise<R> => {
    const v = inputResponse(ctx.mcpReq.inputResponses, 'roots');
    if (v.kind !== 'roots') return inputRequired({ inputRequests: { roots: inputRequired.listRoots() } });
    return text(`Roots: ${v.roots.map((r) => r.uri).join(', ')}`);
  });
  s.registerTool('progress_then_ask', { description: 'reports progress, then asks' }, async (ctx): Promise<R> => {
    const token = ctx.mcpReq._meta?.progressToken;
    if (token !== undefined) {
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    }
    const v = inputResponse(ctx.mcpReq.inputResponses, 'user_name');
    if (v.kind === 'missing') return inputRequired({ inputRequests: { user_name: askName('Name?') } });
    return text(`Hi ${v.kind === 'elicit' ? String(v.content?.['name']) : '?'}`);
  });
  s.registerTool('echo', { description: 'echoes', inputSchema: MSG }, async ({ msg }) => text(msg));
  return s;
}

const rpcError = (status: number, code: number, message: string): Response =>
  Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status });

/** A 2025-11-25 server with sessions (initialize first; everything else in a session). */
export function startSessionUpstream(port = 0): Promise<TestUpstream> {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const serve = async (request: Request, body: unknown): Promise<Response> => {
    const id = request.headers.get('mcp-session-id');
    if (id !== null) {
      const t = sessions.get(id);
      if (!t) return rpcError(404, -32001, 'Session not found');
      return t.handleRequest(request, { parsedBody: body });
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) {
      return rpcError(400, -32000, 'Bad Request: no Mcp-Session-Id; initialize first');
    }
    const server = sessionServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
      },
      onsessionclosed: (sid) => {
        sessions.delete(sid);
      },
    });
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  };
  return listen(
    port,
    serve,
    () => sessions.size,
    async () => {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => {})));
      sessions.clear();
    },
  );
}

/** A 2026-07-28 stateless server; 2025-era requests are refused. */
export function startStatelessUpstream(port = 0): Promise<TestUpstream> {
  const codec = createRequestStateCodec<Round>({ key: randomBytes(32) });
  const handler = createMcpHandler(() => statelessServer(codec), { legacy: 'reject' });
  return listen(
    port,
    (request, body) => handler.fetch(request, body === undefined ? {} : { parsedBody: body }),
    () => 0,
    () => handler.close(),
  );
}

async function listen(
  port: number,
  serve: (request: Request, body: unknown) => Promise<Response>,
  openSessions: () => number,
  onClose: () => Promise<void>,
): Promise<TestUpstream> {
  const seen: TestUpstream['seen'] = [];
  const server = http.createServer(async (req, res) => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const raw = req.method === 'POST' ? await readBody(req, 4 * 1024 * 1024) : undefined;
      const body = raw && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      seen.push({ method: req.method ?? '', headers, body });
      const h = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) h.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      const init: RequestInit = { method: req.method ?? 'GET', headers: h, signal: abort.signal };
      if (raw !== undefined) init.body = new Uint8Array(raw);
      const response = await serve(new Request(new URL(req.url ?? '/', 'http://upstream.invalid'), init), body);
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        out[name] = value;
      });
      res.writeHead(response.status, out);
      if (response.body) res.flushHeaders();
      await pipeWebBody(res, response.body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: String(err) } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    port: bound,
    openSessions,
    seen,
    async close() {
      await onClose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
