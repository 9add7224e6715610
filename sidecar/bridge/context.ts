// What both directions of the bridge share: the upstream, the table of held exchanges, the caller of a request as
// the gateway names it, and the error codes the bridge answers with.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../types.js';
import type { Exchange, Exchanges } from './exchanges.js';
import { AFFINITY_HEADER, affinityOf, PRINCIPAL_HEADER } from './handles.js';
import type { Upstream } from './upstream.js';
import type { Json } from './wire.js';

export interface BridgeContext {
  upstream: Upstream;
  exchanges: Exchanges<Exchange>;
  log: Logger;
  /** how long the upstream has to start an answer, and between two messages a client waits for */
  timeoutMs: number;
  /** the largest input a client sends back in one round (the sidecar's request body bound) */
  maxBodyBytes: number;
  /** who the bridge is: its clientInfo where a client names none, the serverInfo where the upstream names none */
  identity: Json;
  /** a fresh random UUID (a URL elicitation's id for a 2025-11-25 client) */
  uuid(): string;
  /** work close() waits for (a session's DELETE) */
  track(p: Promise<unknown>): void;
}

/** Who sent a request, as the gateway names it, and what goes on to the upstream with it. */
export interface Caller {
  principal: string | undefined;
  affinity: string;
  /** the gateway's headers the upstream sees too (caller, request id, trace context) */
  forward: Record<string, string>;
}

const FORWARDED = ['x-meshmcp-principal', 'x-meshmcp-groups', 'x-meshmcp-request-id', 'traceparent', 'tracestate'];

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

export function callerOf(req: IncomingMessage): Caller {
  const forward: Record<string, string> = {};
  for (const name of FORWARDED) {
    const v = single(req.headers[name]);
    if (v !== undefined) forward[name] = v;
  }
  return {
    principal: single(req.headers[PRINCIPAL_HEADER]),
    affinity: affinityOf(req.headers[AFFINITY_HEADER]),
    forward,
  };
}

/** JSON-RPC codes of the bridge's own answers. */
export const BridgeCode = {
  /** a follow-up's handle is malformed, unknown, expired or another caller's */
  InvalidParams: -32602,
  /** the upstream failed the exchange (unreachable, too slow, dropped its session, answered nonsense) */
  Upstream: -32603,
  /** every slot is held */
  Busy: -32000,
} as const;

/** Resolves after ms (the pause before a retry that carries no input, as the SDK paces it). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
