// A 2025-11-25 client in front of a 2026-07-28 server: the request goes to the server with the envelope added (the
// client capabilities its session id carries, clientSessions.ts, or without one those the gateway names in
// x-meshmcp-client-capabilities). An `input_required` result turns the
// client's answer into an SSE stream that carries each input request as a JSON-RPC request whose id is
// `<handle>.<key>`, and the stream is held. The client's answers arrive as POSTs of JSON-RPC responses; when every
// key of the round is answered, the request is retried on the server with inputResponses and requestState, and the
// held stream carries what comes next: more requests, or the final response, after which it ends.
import type { ClientReply } from './clientReply.js';
import { BridgeCode, type BridgeContext, type Caller, pause } from './context.js';
import type { Exchange } from './exchanges.js';
import { answerId } from './handles.js';
import { type Answer, Inbox } from './upstream.js';
import {
  initializeResult,
  isObject,
  type Json,
  kindOf,
  modernHeaders,
  type RpcId,
  rpcError,
  rpcResult,
  sessionRequestOf,
  sessionResult,
  withEnvelope,
} from './wire.js';

/** One 2025-era request as the bridge serves it. */
export interface SessionCall {
  id: RpcId;
  method: string;
  params: Json;
  caller: Caller;
  reply: ClientReply;
  /** what the client declared at initialize: as its session id carries it, or as the gateway names it */
  capabilities: Json;
}

/** Rounds of input one request may take (the SDK's client stops at 10, its server shim at 8). */
export const MAX_ROUNDS = 16;
/** The pause before a retry that carries no input (a server shedding load), as the SDK paces it. */
const STATE_ONLY_PAUSE_MS = 250;

export type AnswerOutcome = 'accepted' | 'not-asked';

export class StreamExchange implements Exchange {
  readonly principal: string | undefined;
  readonly affinity: string;
  private readonly params: Json;
  private answer: Answer | undefined;
  private readonly pending = new Set<string>();
  private responses: Json = {};
  private responseBytes = 0;
  private requestState: string | undefined;
  private rounds = 0;
  private done = false;

  constructor(
    private readonly ctx: BridgeContext,
    private readonly call: SessionCall,
  ) {
    this.principal = call.caller.principal;
    this.affinity = call.caller.affinity;
    this.params = withEnvelope(call.params, call.capabilities, ctx.identity);
    call.reply.onGone(() => this.close());
  }

  /** Sends the request (the table admitted this exchange). */
  start(): Promise<void> {
    return this.round({});
  }

  /** A client's answer to the input request `key` of this round. */
  answerWith(key: string, message: Json): AnswerOutcome {
    if (this.done || !this.pending.has(key)) return 'not-asked';
    const error = message['error'];
    if (isObject(error)) {
      this.fail(`the client answered the input request ${key} with an error: ${String(error['message'])}`);
      return 'accepted';
    }
    const result = message['result'] as Json;
    this.responseBytes += Buffer.byteLength(JSON.stringify(result));
    if (this.responseBytes > this.ctx.maxBodyBytes) {
      this.fail(`the answers to this round are larger than ${this.ctx.maxBodyBytes} bytes (--max-body-bytes)`);
      return 'accepted';
    }
    this.responses[key] = result;
    this.pending.delete(key);
    if (this.pending.size === 0) {
      this.ctx.exchanges.withdraw(this);
      const retry = {
        inputResponses: this.responses,
        ...(this.requestState ? { requestState: this.requestState } : {}),
      };
      this.responses = {};
      this.responseBytes = 0;
      void this.round(retry);
    }
    return 'accepted';
  }

  end(reason: string): void {
    this.fail(`the bridge ended this request: ${reason}`);
  }

  /** One request to the server: the first, or a retry with this round's input. */
  private async round(extra: Json): Promise<void> {
    if (++this.rounds > MAX_ROUNDS) {
      return this.fail(`the upstream MCP server still asked for input after ${MAX_ROUNDS} rounds`);
    }
    const { id, method } = this.call;
    const params = { ...this.params, ...extra };
    let answer: Answer;
    try {
      answer = await this.ctx.upstream.request(
        'POST',
        {
          ...this.call.caller.forward,
          accept: 'application/json, text/event-stream',
          ...modernHeaders(method, params),
        },
        { jsonrpc: '2.0', id, method, params },
      );
    } catch (err) {
      return this.fail(`the upstream MCP server failed the request: ${(err as Error).message}`);
    }
    if (this.done) return answer.close();
    this.answer = answer;
    if (!/^(application\/json|text\/event-stream)/i.test(String(answer.headers['content-type'] ?? ''))) {
      answer.close();
      return this.fail(`the upstream MCP server answered the request with HTTP ${answer.status} and no MCP message`);
    }
    const inbox = new Inbox();
    answer.read(inbox.sink(true));
    for (;;) {
      const next = await inbox.next(this.ctx.timeoutMs);
      if (this.done) return;
      if ('timeout' in next) {
        return this.fail(`the upstream MCP server sent nothing for ${this.ctx.timeoutMs} ms (--bridge-timeout-ms)`);
      }
      if ('end' in next) {
        return this.fail(
          `the upstream MCP server ended its answer without a result${next.end ? ` (${next.end.message})` : ''}`,
        );
      }
      const m = next.message as Json;
      const kind = kindOf(m);
      if (kind === 'notification') this.call.reply.send(m);
      else if (kind === 'response' && m['id'] === id) {
        answer.close();
        return this.settle(m);
      }
    }
  }

  private async settle(m: Json): Promise<void> {
    const { reply, id } = this.call;
    const result = m['result'];
    if (!isObject(result)) {
      reply.finish({
        jsonrpc: '2.0',
        id,
        error: isObject(m['error']) ? m['error'] : { code: -32603, message: 'no result' },
      });
      return this.close();
    }
    if (result['resultType'] !== 'input_required') {
      reply.finish(rpcResult(id, sessionResult(result)));
      return this.close();
    }
    const requests = isObject(result['inputRequests']) ? result['inputRequests'] : {};
    this.requestState = typeof result['requestState'] === 'string' ? result['requestState'] : undefined;
    const keys = Object.keys(requests);
    if (keys.length === 0) {
      if (this.requestState === undefined) {
        return this.fail('the upstream MCP server asked for input with neither inputRequests nor requestState');
      }
      await pause(STATE_ONLY_PAUSE_MS);
      if (this.done) return;
      return this.round({ requestState: this.requestState });
    }
    const handle = this.ctx.exchanges.handOut(this);
    if (handle === undefined) return this.fail('the bridge no longer holds this request');
    const relayed = new Map<string, Json>();
    for (const key of keys) {
      const request = sessionRequestOf(answerId(handle, key), requests[key], this.ctx.uuid);
      if (!request)
        return this.fail(`the upstream MCP server asked for input ${key} of a kind a 2025 client cannot answer`);
      relayed.set(key, request);
    }
    if (!reply.stream()) {
      const kinds = [...relayed.values()].map((r) => r['method']).join(', ');
      return this.fail(
        `this request needs input from the client (${kinds}), which reaches it only on an SSE answer: send Accept: application/json, text/event-stream`,
      );
    }
    for (const [key, request] of relayed) {
      this.pending.add(key);
      reply.send(request);
    }
  }

  private fail(message: string): void {
    if (this.done) return;
    this.call.reply.finish(rpcError(this.call.id, BridgeCode.Upstream, message));
    this.ctx.log.warn('bridge exchange failed', { method: this.call.method, error: message });
    this.close();
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.ctx.exchanges.forget(this);
    this.answer?.close();
  }
}

/**
 * A 2025-era initialize, answered from the server's server/discover: the client gets the server's capabilities,
 * identity and instructions, and `sessionId` (clientSessions.ts: it carries the capabilities the client declared; the
 * bridge stores nothing for it).
 */
export async function initializeFromDiscover(ctx: BridgeContext, call: SessionCall, sessionId: string): Promise<void> {
  const params = withEnvelope({}, call.capabilities, ctx.identity);
  try {
    const answer = await ctx.upstream.request(
      'POST',
      {
        ...call.caller.forward,
        accept: 'application/json, text/event-stream',
        ...modernHeaders('server/discover', params),
      },
      { jsonrpc: '2.0', id: call.id, method: 'server/discover', params },
    );
    const inbox = new Inbox();
    answer.read(inbox.sink(true));
    for (;;) {
      const next = await inbox.next(ctx.timeoutMs);
      if ('timeout' in next) throw new Error(`it did not answer server/discover within ${ctx.timeoutMs} ms`);
      if ('end' in next) throw new Error(`it answered server/discover with HTTP ${answer.status} and no response`);
      const m = next.message as Json;
      if (kindOf(m) !== 'response' || m['id'] !== call.id) continue;
      answer.close();
      if (!isObject(m['result'])) throw new Error(`it refused server/discover: ${JSON.stringify(m['error'])}`);
      call.reply.finish(
        rpcResult(call.id, initializeResult(m['result'], call.params['protocolVersion'], ctx.identity)),
        200,
        { 'mcp-session-id': sessionId },
      );
      return;
    }
  } catch (err) {
    call.reply.finish(
      rpcError(call.id, BridgeCode.Upstream, `the upstream MCP server failed initialize: ${(err as Error).message}`),
    );
  }
}
