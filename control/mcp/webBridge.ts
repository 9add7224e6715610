// Between fastify's Node request/response and the SDK's web-standard Request/Response: headers copied, the body
// streamed back as it is produced (SSE included), and a client that goes away cancels the response.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pipeWebBody } from '../../shared/webBody.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

export function webHeaders(source: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  return headers;
}

export function toWebRequest(req: FastifyRequest, body: Buffer | undefined, signal: AbortSignal): Request {
  const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url}`;
  const init: RequestInit = { method: req.method, headers: webHeaders(req.headers), signal };
  if (body !== undefined && req.method !== 'GET' && req.method !== 'HEAD') init.body = body;
  return new Request(url, init);
}

/** Writes a web Response to the raw Node response (the reply is hijacked: fastify sends nothing itself). */
export async function sendWebResponse(reply: FastifyReply, response: Response, abort: AbortController): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k === 'set-cookie') return;
    headers[k] = v;
  });
  res.writeHead(response.status, headers);
  await pipeWebBody(res, response.body, () => abort.abort());
}
