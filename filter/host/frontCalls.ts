// The front's clusters for proxy_http_call: each a real HTTP request to an upstream on loopback, answered the way
// Envoy's async client answers: the router's own 503 or 504 arrive as responses, an answer past the buffer limit
// or a reset after the response started as a failure.

import type { IncomingMessage } from 'node:http';
import type { LocalReply } from './context.js';
import { responsePairs, upstreamReset, upstreamTimeout } from './frontHeaders.js';
import { type Upstream, type UpstreamAgents, upstreamRequest } from './frontTls.js';
import type { HttpCallCluster, HttpCallResponse } from './httpCalls.js';
import { replyMessage } from './localReply.js';

/** Envoy's async client buffers the whole answer; past this it fails the call. */
export const CALL_RESPONSE_LIMIT_BYTES = 1024 * 1024;

const asResponse = (reply: LocalReply): HttpCallResponse => {
  const { headers, body } = replyMessage(reply);
  return { headers, body, trailers: [] };
};

export function frontCluster(target: Upstream, agents: UpstreamAgents): HttpCallCluster {
  return (call) =>
    new Promise<HttpCallResponse>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        outcome();
      };
      const req = upstreamRequest(target, agents, call.headers);
      const timer =
        call.timeoutMs > 0
          ? setTimeout(() => {
              req.destroy();
              finish(() => resolve(asResponse(upstreamTimeout())));
            }, call.timeoutMs)
          : undefined;
      req.on('error', () => finish(() => resolve(asResponse(upstreamReset('connection failure')))));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > CALL_RESPONSE_LIMIT_BYTES) {
            res.destroy();
            finish(() => reject(new Error('response past the buffer limit')));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          finish(() => resolve({ headers: responsePairs(res), body: Buffer.concat(chunks), trailers: [] })),
        );
        res.on('close', () => {
          if (!res.complete) finish(() => reject(new Error('reset')));
        });
      });
      req.end(call.body);
    });
}
