// A 2026-07-28 client in front of a 2025-11-25 server: a session is opened on the server for the request (initialize
// declaring the client capabilities the envelope declared, then notifications/initialized), the request goes in
// without its envelope, and its SSE answer is read. The final response goes back as a 2026-07-28 result and the
// session ends (DELETE). A server request for input ends the client's request at once with `input_required`,
// whose requestState is a bridge handle; the session and its open answer are held until the client's retry brings
// the input, which is POSTed to the session as the responses to the server's requests, and reading goes on.
import { isHandshakeVersion, META } from '../mcp/versions.js';
import type { ClientReply } from './clientReply.js';
import { BridgeCode, type BridgeContext, type Caller } from './context.js';
import type { Exchange } from './exchanges.js';
import { type Answer, Inbox } from './upstream.js';
import {
  discoverResult,
  INPUT_METHODS,
  inputRequestOf,
  inputRequiredResult,
  isObject,
  type Json,
  kindOf,
  modernResult,
  progressTokenOf,
  type RpcId,
  rpcError,
  rpcResult,
  SESSION_VERSION,
  sessionCapabilities,
  targetOf,
  withoutEnvelope,
  withProgressToken,
} from './wire.js';

/** One 2026-07-28 request as the bridge serves it: the first of an exchange, or a retry. */
export interface ModernCall {
  id: RpcId;
  method: string;
  params: Json;
  caller: Caller;
  reply: ClientReply;
}

const LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
const INIT_ID = 1;
const LEVEL_ID = 2;
const CALL_ID = 3;
/** How long the requests of one round may trail the first (gather()). */
const GATHER_QUIET_MS = 20;

const DROPPED =
  'the upstream MCP server ended the session this exchange held (it restarted or dropped it); send the request again without requestState';

export class SessionExchange implements Exchange {
  readonly principal: string | undefined;
  readonly affinity: string;
  private readonly method: string;
  private readonly target: string | undefined;
  private readonly forward: Record<string, string>;
  private readonly inbox = new Inbox();
  private readonly answers: Answer[] = [];
  /** the server's requests waiting for the client: key → the server's request id */
  private readonly pending = new Map<string, RpcId>();
  private readonly asked = new Map<string, Json>();
  private keys = 0;
  private sessionId: string | undefined;
  private version = SESSION_VERSION;
  private serverInfo: Json | undefined;
  private logs = false;
  /** the request waiting for an answer now; undefined while the exchange waits for the client's retry */
  private call: ModernCall | undefined;
  private done = false;

  constructor(
    private readonly ctx: BridgeContext,
    first: ModernCall,
  ) {
    this.principal = first.caller.principal;
    this.affinity = first.caller.affinity;
    this.method = first.method;
    this.target = targetOf(first.method, first.params);
    this.forward = first.caller.forward;
    this.call = first;
  }

  /** Opens the session and sends the first request (the table admitted this exchange). */
  async start(): Promise<void> {
    const call = this.attach(this.call!);
    try {
      const init = await this.open(call);
      if (this.done) return;
      if (call.method === 'server/discover') {
        call.reply.finish(rpcResult(call.id, discoverResult(init)));
        return this.close();
      }
      const answer = await this.post({
        jsonrpc: '2.0',
        id: CALL_ID,
        method: call.method,
        params: withoutEnvelope(call.params),
      });
      this.answers.push(answer);
      if (this.done) return answer.close();
      if (!/^(application\/json|text\/event-stream)/i.test(String(answer.headers['content-type'] ?? ''))) {
        return this.fail(`the upstream MCP server answered the request with HTTP ${answer.status} and no MCP message`);
      }
      answer.read(this.inbox.sink(true));
      await this.pump();
    } catch (err) {
      this.fail(`the upstream MCP server failed the request: ${(err as Error).message}`);
    }
  }

  /**
   * The client's retry, found by its requestState: the answers go to the session as responses to the server's
   * requests, then reading goes on. A retry that does not fit the held request is refused and the exchange stays.
   */
  async resume(call: ModernCall): Promise<void> {
    const refuse = (message: string) =>
      call.reply.finish(rpcError(call.id, BridgeCode.InvalidParams, message, { reason: 'invalid_request_state' }));
    if (call.method !== this.method || targetOf(call.method, call.params) !== this.target) {
      return refuse(
        `requestState belongs to a ${this.method}${this.target === undefined ? '' : ` of ${this.target}`} request, not this one; send the request again without it`,
      );
    }
    const responses = call.params['inputResponses'];
    const answered = isObject(responses) ? [...this.pending.keys()].filter((k) => k in responses) : [];
    if (!isObject(responses) || answered.length === 0) {
      return refuse(`inputResponses answers none of the inputRequests (${[...this.pending.keys()].join(', ')})`);
    }
    const bad = answered.find((k) => !isObject(responses[k]));
    if (bad !== undefined) return refuse(`inputResponses.${bad} must be an object (the result of the input request)`);
    this.ctx.exchanges.withdraw(this);
    this.attach(call);
    if (this.inbox.isEnded) return this.fail(DROPPED);
    try {
      for (const key of answered) {
        if (this.done) return;
        const answer = await this.post({ jsonrpc: '2.0', id: this.pending.get(key)!, result: responses[key] });
        answer.close();
        if (answer.status === 404) return this.fail(DROPPED);
        if (answer.status >= 300) {
          return this.fail(`the upstream MCP server refused the answer to ${key} with HTTP ${answer.status}`);
        }
        this.pending.delete(key);
        this.asked.delete(key);
      }
    } catch (err) {
      return this.fail(`${DROPPED}: ${(err as Error).message}`);
    }
    if (this.done) return;
    if (this.pending.size > 0) return this.ask();
    await this.pump();
  }

  end(reason: string): void {
    if (this.call)
      this.call.reply.finish(rpcError(this.call.id, BridgeCode.Upstream, `the bridge ended this request: ${reason}`));
    this.close();
  }

  private attach(call: ModernCall): ModernCall {
    this.call = call;
    call.reply.onGone(() => {
      if (this.call === call) this.close();
    });
    return call;
  }

  /** initialize (capabilities from the envelope), notifications/initialized, logging/setLevel when asked for. */
  private async open(call: ModernCall): Promise<Json> {
    const meta = isObject(call.params['_meta']) ? call.params['_meta'] : {};
    const init = await this.request(INIT_ID, 'initialize', {
      protocolVersion: SESSION_VERSION,
      capabilities: sessionCapabilities(meta[META.clientCapabilities]),
      clientInfo: isObject(meta[META.clientInfo]) ? meta[META.clientInfo] : this.ctx.identity,
    });
    const version = init['protocolVersion'];
    if (typeof version !== 'string' || !isHandshakeVersion(version)) {
      throw new Error(`it answered initialize with protocol version ${JSON.stringify(version)}, not a 2025 revision`);
    }
    this.version = version;
    if (isObject(init['serverInfo'])) this.serverInfo = init['serverInfo'];
    const initialized = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    initialized.close();
    if (initialized.status >= 300)
      throw new Error(`it refused notifications/initialized with HTTP ${initialized.status}`);
    const level = meta[LOG_LEVEL];
    if (typeof level === 'string' && isObject(init['capabilities']) && isObject(init['capabilities']['logging'])) {
      await this.request(LEVEL_ID, 'logging/setLevel', { level });
      this.logs = true;
    }
    this.listen();
    return init;
  }

  /**
   * The session's standalone stream, where a server may send its requests when it does not relate them to the
   * request they are for; each session serves one exchange, so whatever comes on it belongs to this one.
   */
  private listen(): void {
    if (this.sessionId === undefined) return;
    this.ctx.upstream.request('GET', { ...this.headers(), accept: 'text/event-stream' }).then(
      (answer) => {
        if (this.done || answer.status !== 200) return answer.close();
        this.answers.push(answer);
        answer.read(this.inbox.sink(false));
      },
      () => undefined,
    );
  }

  /** One request of the bridge's own whose answer is a single response. */
  private async request(id: number, method: string, params: Json): Promise<Json> {
    const answer = await this.post({ jsonrpc: '2.0', id, method, params });
    if (id === INIT_ID) {
      const sid = answer.headers['mcp-session-id'];
      if (typeof sid === 'string') this.sessionId = sid;
    }
    const inbox = new Inbox();
    answer.read(inbox.sink(true));
    try {
      for (;;) {
        const next = await inbox.next(this.ctx.timeoutMs);
        if ('timeout' in next) throw new Error(`it did not answer ${method} within ${this.ctx.timeoutMs} ms`);
        if ('end' in next) {
          throw new Error(
            `it answered ${method} with HTTP ${answer.status} and no response${next.end ? ` (${next.end.message})` : ''}`,
          );
        }
        const m = next.message;
        if (kindOf(m) !== 'response' || (m as Json)['id'] !== id) continue;
        const error = (m as Json)['error'];
        if (isObject(error)) throw new Error(`it refused ${method}: ${String(error['message'])}`);
        return (m as Json)['result'] as Json;
      }
    } finally {
      answer.close();
    }
  }

  private headers(): Record<string, string> {
    return {
      ...this.forward,
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': this.version,
      ...(this.sessionId === undefined ? {} : { 'mcp-session-id': this.sessionId }),
    };
  }

  private post(message: Json): Promise<Answer> {
    return this.ctx.upstream.request('POST', this.headers(), message);
  }

  /** Reads the session's messages until the client has its answer: the final one, or input_required. */
  private async pump(): Promise<void> {
    for (;;) {
      const next = await this.inbox.next(this.ctx.timeoutMs);
      if (this.done) return;
      if ('timeout' in next) {
        return this.fail(`the upstream MCP server sent nothing for ${this.ctx.timeoutMs} ms (--bridge-timeout-ms)`);
      }
      if ('end' in next) return this.fail(next.end ? `${DROPPED} (${next.end.message})` : DROPPED);
      if (this.absorb(next.message)) return;
      if (this.pending.size > 0) return this.gather();
    }
  }

  /**
   * A server asking for several inputs at once sends them one right after another: what follows the first within
   * a short quiet time goes in the same round, then the client is asked.
   */
  private async gather(): Promise<void> {
    for (;;) {
      const next = await this.inbox.next(GATHER_QUIET_MS);
      if (this.done) return;
      if ('message' in next) {
        if (this.absorb(next.message)) return;
        continue;
      }
      if ('end' in next) return this.fail(next.end ? `${DROPPED} (${next.end.message})` : DROPPED);
      return this.ask();
    }
  }

  /** Takes one message of the session in; true when it was the final response. */
  private absorb(m: unknown): boolean {
    const kind = kindOf(m);
    const msg = m as Json;
    if (kind === 'response' && msg['id'] === CALL_ID) {
      this.complete(msg);
      return true;
    }
    if (kind === 'request') {
      const method = msg['method'] as string;
      if (INPUT_METHODS.has(method)) {
        const key = `${method.split('/')[0]}-${++this.keys}`;
        this.pending.set(key, msg['id'] as RpcId);
        this.asked.set(key, inputRequestOf(msg));
      } else {
        // ping is answered here; nothing else a server may ask has a way to the client.
        const reply =
          method === 'ping'
            ? rpcResult(msg['id'] as RpcId, {})
            : rpcError(msg['id'] as RpcId, -32601, `Method not found: ${method} (not relayed by the bridge)`);
        this.post(reply).then(
          (a) => a.close(),
          () => undefined,
        );
      }
    } else if (kind === 'notification') this.relay(msg);
    return false;
  }

  /** Progress to the request waiting now (under its own token), log messages when its envelope asked for them. */
  private relay(n: Json): void {
    const call = this.call;
    if (!call) return;
    if (n['method'] === 'notifications/progress') {
      const token = progressTokenOf(call.params);
      if (token !== undefined) call.reply.send(withProgressToken(n, token));
    } else if (n['method'] === 'notifications/message' && this.logs) call.reply.send(n);
  }

  /** Ends the waiting request with input_required for every open server request; the exchange is then held. */
  private ask(): void {
    const call = this.call!;
    const handle = this.ctx.exchanges.handOut(this);
    if (handle === undefined) {
      this.fail('the bridge no longer holds this exchange');
      return;
    }
    this.call = undefined;
    call.reply.finish(rpcResult(call.id, inputRequiredResult(Object.fromEntries(this.asked), handle, this.serverInfo)));
  }

  private complete(m: Json): void {
    const call = this.call!;
    if (isObject(m['error'])) call.reply.finish({ jsonrpc: '2.0', id: call.id, error: m['error'] });
    else if (isObject(m['result'])) {
      call.reply.finish(rpcResult(call.id, modernResult(this.method, m['result'], this.serverInfo)));
    } else call.reply.finish(m);
    this.close();
  }

  private fail(message: string): void {
    const call = this.call;
    if (call) call.reply.finish(rpcError(call.id, BridgeCode.Upstream, message));
    this.ctx.log.warn('bridge exchange failed', { method: this.method, error: message });
    this.close();
  }

  /** Lets everything go: the slot, the session's open answers, and the session itself (DELETE). */
  private close(): void {
    if (this.done) return;
    this.done = true;
    this.call = undefined;
    this.ctx.exchanges.forget(this);
    this.inbox.finish();
    for (const a of this.answers) a.close();
    if (this.sessionId === undefined) return;
    this.ctx.track(
      this.ctx.upstream.request('DELETE', this.headers()).then(
        (a) => a.close(),
        () => undefined,
      ),
    );
  }
}
