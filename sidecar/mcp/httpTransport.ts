// Streamable HTTP for the sidecar's MCP endpoint: POST only, stateless, bounded body, Host/Origin checks, and the
// mapping of protocol outcomes to HTTP. Thin on purpose: classification and dispatch live in classify/dispatch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeAfterAnswer, readBody } from '../../shared/readBody.js';
import { RpcCode } from '../errors.js';
import type { Logger } from '../types.js';
import { requestInfo } from './caller.js';
import { classify, type McpHeaders, Rejection } from './classify.js';
import type { McpDispatcher } from './dispatch.js';

export interface TransportOptions {
  maxBodyBytes: number;
  /** the address the server is bound to: loopback binds get DNS-rebinding protection by default */
  bindHost: string;
  allowedHosts: string[];
  allowedOrigins: string[];
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.');
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
}

/** undefined when Host and Origin are acceptable, else the reason for a 403. */
export function checkHostAndOrigin(req: IncomingMessage, opts: TransportOptions): string | undefined {
  const host = req.headers.host ?? '';
  const name = hostnameOf(host).toLowerCase();
  if (opts.allowedHosts.length > 0) {
    if (!opts.allowedHosts.includes(host) && !opts.allowedHosts.includes(name)) {
      return `Host ${JSON.stringify(host)} is not allowed (add it to --allowed-hosts / MCP_ALLOWED_HOSTS)`;
    }
  } else if (isLoopback(opts.bindHost) && !LOOPBACK_NAMES.has(name)) {
    return `Host ${JSON.stringify(host)} is not allowed on a loopback-bound endpoint (DNS rebinding protection)`;
  }
  const origin = req.headers.origin;
  if (origin === undefined || opts.allowedOrigins.includes(origin)) return undefined;
  let originHost = '';
  try {
    originHost = new URL(origin).hostname;
  } catch {
    return `Origin ${JSON.stringify(origin)} is not a valid origin`;
  }
  if (isLoopback(opts.bindHost) && LOOPBACK_NAMES.has(originHost)) return undefined;
  return `Origin ${JSON.stringify(origin)} is not allowed (add it to --allowed-origins / MCP_ALLOWED_ORIGINS)`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export function sendRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  id: string | number | null = null,
  data?: unknown,
  extra: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } },
    extra,
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * A POSTed JSON-RPC message, as the transport rules take it: 415 for another Content-Type, 406 for a client that does
 * not accept JSON, 413 (the connection then closed) over maxBodyBytes, 400 for a body that is not JSON. undefined when
 * one of those has been answered; else the body's bytes and its value.
 */
export async function readMcpPost(
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<{ raw: Buffer; body: unknown } | undefined> {
  const ctype = header(req, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(ctype)) {
    sendRpcError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    return undefined;
  }
  const accept = header(req, 'accept');
  if (accept !== undefined && !/application\/json|\*\/\*|application\/\*/i.test(accept)) {
    sendRpcError(res, 406, -32000, 'Not Acceptable: the client must accept application/json');
    return undefined;
  }
  const raw = await readBody(req, maxBodyBytes);
  if (raw === undefined) {
    closeAfterAnswer(res);
    sendRpcError(res, 413, RpcCode.InvalidRequest, `Request body too large (limit ${maxBodyBytes} bytes)`);
    return undefined;
  }
  try {
    return { raw, body: JSON.parse(raw.toString('utf8')) };
  } catch {
    sendRpcError(res, 400, RpcCode.ParseError, 'Parse error: the body is not valid JSON');
    return undefined;
  }
}

/** The MCP headers classify() checks a message against (repeated headers joined with ", "). */
export function mcpHeaders(req: IncomingMessage): McpHeaders {
  return {
    protocolVersion: header(req, 'mcp-protocol-version'),
    method: header(req, 'mcp-method'),
    name: header(req, 'mcp-name'),
  };
}

export async function handleMcp(
  req: IncomingMessage,
  res: ServerResponse,
  dispatcher: McpDispatcher,
  opts: TransportOptions,
  log: Logger,
): Promise<void> {
  const refused = checkHostAndOrigin(req, opts);
  if (refused) return sendRpcError(res, 403, -32000, `Forbidden: ${refused}`);
  if (req.method !== 'POST') {
    // Stateless server: no GET stream, no sessions to DELETE.
    return sendRpcError(
      res,
      405,
      -32000,
      'Method not allowed: this endpoint is stateless; POST JSON-RPC messages',
      null,
      undefined,
      {
        allow: 'POST',
      },
    );
  }
  const posted = await readMcpPost(req, res, opts.maxBodyBytes);
  if (!posted) return;
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort(new Error('client went away'));
  });
  try {
    const outcome = await dispatcher.dispatch(
      classify(posted.body, mcpHeaders(req)),
      ac.signal,
      requestInfo(req.headers),
    );
    if (!outcome.body) {
      res.writeHead(outcome.status).end();
      return;
    }
    sendJson(res, outcome.status, outcome.body);
  } catch (err) {
    if (err instanceof Rejection) return sendRpcError(res, err.httpStatus, err.code, err.message, err.id, err.data);
    log.error('MCP request failed', { error: (err as Error)?.stack ?? String(err) });
    return sendRpcError(res, 500, RpcCode.InternalError, 'Internal error');
  }
}
