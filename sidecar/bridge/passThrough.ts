// A request in a revision the upstream speaks itself goes on unchanged, and its answer (JSON or an SSE stream)
// comes back as it is produced; only the headers MCP and the gateway define cross.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BridgeCode } from './context.js';
import type { Upstream } from './upstream.js';
import { rpcError } from './wire.js';

const REQUEST_HEADERS =
  /^(content-type|accept|last-event-id|mcp-[a-z0-9-]+|x-meshmcp-(principal|groups|request-id)|traceparent|tracestate)$/;
const ANSWER_HEADERS = /^(content-type|cache-control|mcp-session-id|allow|retry-after|www-authenticate)$/;

export async function passThrough(
  upstream: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | undefined,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(req.headers)) {
    if (v !== undefined && REQUEST_HEADERS.test(name)) headers[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  let answer: Awaited<ReturnType<Upstream['request']>>;
  try {
    answer = await upstream.request(req.method ?? 'POST', headers, body);
  } catch (err) {
    const text = JSON.stringify(
      rpcError(null, BridgeCode.Upstream, `the upstream MCP server failed the request: ${(err as Error).message}`),
    );
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(text);
    return;
  }
  const back: Record<string, string> = {};
  for (const [name, v] of Object.entries(answer.headers)) {
    if (typeof v === 'string' && ANSWER_HEADERS.test(name)) back[name] = v;
  }
  res.writeHead(answer.status, back);
  res.flushHeaders();
  res.once('close', () => answer.close());
  answer.body.once('error', () => res.destroy());
  answer.body.pipe(res);
}
