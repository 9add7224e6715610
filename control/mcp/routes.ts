// The MCP endpoint's HTTP routes (a fastify plugin): POST /mcp for both eras through the SDK handler, GET /mcp for
// the 2025-11-25 list_changed stream, and the RFC 9728 protected resource metadata.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProtectedResource } from '../types.js';
import { initializeCapabilities, withClientSession } from './clientSession.js';
import type { McpEndpoint } from './endpoint.js';
import { identityFromHeaders } from './identity.js';
import type { ListAnswer } from './listAnswers.js';
import { metadataDocument, metadataPaths } from './prm.js';
import { forbidden } from './server.js';
import { sendWebResponse, toWebRequest } from './webBridge.js';

export interface McpRoutesOptions {
  endpoint: McpEndpoint;
  /** Served at /.well-known/oauth-protected-resource when set. */
  oauth?: ProtectedResource;
  /** Origins a browser-based client may call from; a request with another Origin gets 403 (DNS rebinding). */
  allowedOrigins: string[];
  /** Counts requests by method and status (the metrics hook). */
  onRequest?: (method: string, status: number) => void;
}

function jsonRpcError(reply: FastifyReply, status: number, code: number, message: string) {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/** A whole answer written at once (the reply is hijacked, as sendWebResponse does: fastify sends nothing itself). */
function sendAnswer(reply: FastifyReply, answer: ListAnswer): void {
  reply.hijack();
  reply.raw.writeHead(answer.status, answer.headers);
  // Node writes the parts in one go (the socket is corked until the end).
  const last = answer.body.length - 1;
  for (let i = 0; i < last; i++) reply.raw.write(answer.body[i]);
  reply.raw.end(answer.body[last]);
}

/**
 * Whether an Origin is listed: exactly, or by an entry `<scheme>://<host>:*` that allows any port of that host (as
 * the MCP SDK's localhost check does).
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  const colon = origin.lastIndexOf(':');
  return colon > origin.indexOf('://') + 2 && allowed.includes(`${origin.slice(0, colon)}:*`);
}

/**
 * Why the request's target cannot be served, or undefined: only origin-form targets (`/mcp`), and a Host that is an
 * authority (RFC 9112 3.2: `host[:port]`) when one is sent. The SDK's Request needs a URL made of both; a bad one
 * must be the client's 400, not the server's 500.
 */
export function requestTargetProblem(target: string, host: string | undefined): string | undefined {
  if (!target.startsWith('/'))
    return `request target ${JSON.stringify(target.slice(0, 100))} is not a path: send the origin form (POST /mcp) with a Host header`;
  if (host === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(`http://${host}/`);
  } catch {
    parsed = undefined;
  }
  // The URL parser also accepts what no authority is (a userinfo, a path): it must give back what it was given.
  if (!parsed || parsed.host !== host.toLowerCase().replace(/:80$/, ''))
    return `Host ${JSON.stringify(host.slice(0, 100))} is not a host[:port] authority`;
  return undefined;
}

export async function mcpRoutes(app: FastifyInstance, opts: McpRoutesOptions): Promise<void> {
  const { endpoint } = opts;
  // The body goes to the SDK unparsed; it parses and classifies it itself.
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: endpoint.maxBodyBytes }, (_r, b, done) =>
    done(null, b),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413)
      return jsonRpcError(reply, 413, -32600, `Request body larger than ${endpoint.maxBodyBytes} bytes`);
    if (status === 415) return jsonRpcError(reply, 415, -32700, 'Content-Type must be application/json');
    if (status >= 500) reply.log.error({ err }, 'MCP request failed');
    return jsonRpcError(reply, status, status >= 500 ? -32603 : -32600, status >= 500 ? 'Internal error' : err.message);
  });
  app.addHook('onRequest', async (req, reply) => {
    const target = requestTargetProblem(req.raw.url ?? '', req.headers.host);
    if (target) return jsonRpcError(reply, 400, -32600, target);
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, opts.allowedOrigins)) {
      return jsonRpcError(
        reply,
        403,
        -32600,
        `Origin ${origin} is not allowed; list it in the control allowed origins`,
      );
    }
  });
  if (opts.onRequest) {
    const count = opts.onRequest;
    // Also runs for hijacked replies, once the raw response has finished (a GET stream: when it closes).
    app.addHook('onResponse', async (req, reply) => count(req.method, reply.statusCode));
  }

  // Every MCP request needs the caller the gateway named; one without is refused before the SDK sees it. A plain list
  // request is answered from the page's JSON text (listAnswers.ts); every other request goes to the SDK.
  const viaSdk = async (req: FastifyRequest, reply: FastifyReply, service?: string) => {
    const found = identityFromHeaders(req.headers);
    if ('problem' in found) return sendWebResponse(reply, forbidden(found.problem), new AbortController());
    const body = req.body as Buffer | undefined;
    if (req.method === 'POST' && Buffer.isBuffer(body) && endpoint.lists) {
      const answer = endpoint.lists.answer(req.headers, body, found.identity, service);
      if (answer) return sendAnswer(reply, answer);
    }
    const abort = new AbortController();
    const request = toWebRequest(req, body, abort.signal);
    const response = await endpoint.server.fetch(request, found.identity, service);
    // A 2025-11-25 client of the aggregated endpoint gets a session id carrying what it may be asked (clientSession.ts).
    const declared =
      req.method === 'POST' && service === undefined && Buffer.isBuffer(body)
        ? initializeCapabilities(body)
        : undefined;
    await sendWebResponse(reply, declared === undefined ? response : withClientSession(response, declared), abort);
  };

  app.post('/mcp', (req, reply) => viaSdk(req, reply));
  // The gateway sends the lists of a server's own endpoint here: that server's part of the catalog, per caller.
  app.post<{ Params: { service: string } }>('/mcp/:service', (req, reply) => viaSdk(req, reply, req.params.service));
  app.delete('/mcp', (req, reply) => viaSdk(req, reply));
  app.get('/mcp', async (req, reply) => {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('text/event-stream')) return viaSdk(req, reply);
    const found = identityFromHeaders(req.headers);
    if ('problem' in found) return sendWebResponse(reply, forbidden(found.problem), new AbortController());
    if (!endpoint.getStreams.hasRoom()) {
      return jsonRpcError(reply, 503, -32603, 'Too many open list_changed streams on this replica; retry later');
    }
    reply.hijack();
    endpoint.getStreams.open(reply.raw, found.identity);
  });

  if (opts.oauth) {
    const doc = metadataDocument(opts.oauth);
    for (const path of metadataPaths(opts.oauth.resource)) {
      app.get(path, async (_req, reply) => reply.header('cache-control', 'max-age=3600').send(doc));
    }
  }
}
