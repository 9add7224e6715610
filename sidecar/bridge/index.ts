// Bridge mode's entry: the sidecar's /mcp in front of one MCP server in the pod, translating the requests a server
// makes of its client between 2025-11-25 (heldSession.ts: a 2026-07-28 client, a server with sessions) and
// 2026-07-28 (heldStream.ts: a 2025 client, a stateless server). A request in a revision the server speaks itself
// passes through. A 2025 client of a stateless server gets a session id at initialize that carries the capabilities
// it declared (clientSessions.ts); nothing is stored for it. Loaded by main.ts only in bridge mode (--bridge), so an
// ordinary sidecar never pays for it.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { claimsClientSession, mintClientSession, parseClientSession } from '../../shared/clientSessions.js';
import { VERSION } from '../../shared/version.js';
import { RpcCode } from '../errors.js';
import { type Classified, classify, Rejection } from '../mcp/classify.js';
import {
  checkHostAndOrigin,
  mcpHeaders,
  readMcpPost,
  sendRpcError,
  type TransportOptions,
} from '../mcp/httpTransport.js';
import type { Logger, SidecarSettings } from '../types.js';
import { ClientReply } from './clientReply.js';
import { BridgeCode, type BridgeContext, type Caller, callerOf } from './context.js';
import { type Exchange, Exchanges } from './exchanges.js';
import { claimsHandle, mintHandle, parseAnswerId, parseHandle } from './handles.js';
import { type ModernCall, SessionExchange } from './heldSession.js';
import { initializeFromDiscover, type SessionCall, StreamExchange } from './heldStream.js';
import { passThrough } from './passThrough.js';
import { Upstream } from './upstream.js';
import {
  CAPABILITIES_HEADER,
  capabilitiesFromHeader,
  isObject,
  type Json,
  MODERN_VERSION,
  type RpcId,
  rpcError,
  rpcResult,
  SESSION_VERSION,
} from './wire.js';

export interface BridgeOptions {
  /** the MCP server in the pod, a loopback http URL (config.ts checks it) */
  upstreamUrl: string;
  /** the revisions it speaks: 2025-11-25, 2026-07-28 */
  protocols: readonly string[];
  maxHeld: number;
  holdMs: number;
  timeoutMs: number;
  transport: TransportOptions;
  log: Logger;
  version: string;
}

export interface Bridge {
  /** serves /mcp */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** readiness: whether the upstream answers HTTP */
  health(): Promise<{ ready: boolean } & Record<string, unknown>>;
  /** exchanges in flight or held now */
  held(): number;
  /** ends every exchange (a client still waiting is told why) and each held session */
  close(): Promise<void>;
}

/** The bridge of bridge mode's settings; the sidecar's body bound and Host/Origin checks apply to it too. */
export function bridgeFor(settings: SidecarSettings, log: Logger): Bridge {
  const b = settings.bridge;
  if (!b) throw new Error('bridgeFor needs the settings of bridge mode (--bridge)');
  return createBridge({
    upstreamUrl: b.upstreamUrl,
    protocols: b.protocols,
    maxHeld: b.maxHeld,
    holdMs: b.holdMs,
    timeoutMs: b.timeoutMs,
    transport: {
      maxBodyBytes: settings.maxBodyBytes,
      bindHost: settings.host,
      allowedHosts: settings.allowedHosts,
      allowedOrigins: settings.allowedOrigins,
    },
    log,
    version: VERSION,
  });
}

/** An upstream message may be larger than a client's request: a tool result, a page of a list. */
const MESSAGE_BYTES_PER_BODY_BYTE = 4;

export function createBridge(o: BridgeOptions): Bridge {
  const maxBodyBytes = o.transport.maxBodyBytes;
  const upstream = new Upstream({
    url: o.upstreamUrl,
    timeoutMs: o.timeoutMs,
    maxMessageBytes: MESSAGE_BYTES_PER_BODY_BYTE * maxBodyBytes,
  });
  const exchanges = new Exchanges<Exchange>(o.maxHeld, o.holdMs, (affinity) => mintHandle(affinity, randomBytes(16)));
  const work = new Set<Promise<unknown>>();
  const ctx: BridgeContext = {
    upstream,
    exchanges,
    log: o.log,
    timeoutMs: o.timeoutMs,
    maxBodyBytes,
    identity: { name: 'meshmcp-bridge', version: o.version },
    uuid: randomUUID,
    track(p) {
      work.add(p);
      void p.finally(() => work.delete(p));
    },
  };
  const speaks = (v: string) => o.protocols.includes(v);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = checkHostAndOrigin(req, o.transport);
    if (refused) return sendRpcError(res, 403, -32000, `Forbidden: ${refused}`);
    // The bridge's own session ids exist only where it bridges 2025-era clients (a server without 2025-11-25);
    // elsewhere a session id is the server's, and passes through.
    const session = speaks(SESSION_VERSION) ? undefined : clientSession(req);
    if (req.method !== 'POST') {
      if ((req.method === 'GET' || req.method === 'DELETE') && speaks(SESSION_VERSION)) {
        return passThrough(upstream, req, res, undefined);
      }
      if (session === 'malformed') return unknownSession(req, res);
      // Nothing is held for the session: ending it is only the client's saying so.
      if (req.method === 'DELETE' && session !== undefined) {
        res.writeHead(200).end();
        return;
      }
      return sendRpcError(res, 405, -32000, 'Method not allowed: POST JSON-RPC messages', null, undefined, {
        allow: 'POST',
      });
    }
    const posted = await readMcpPost(req, res, maxBodyBytes);
    if (!posted) return;
    const { raw, body } = posted;
    const caller = callerOf(req);
    if (isObject(body) && body['method'] === undefined && ('result' in body || 'error' in body)) {
      if (session === 'malformed') return unknownSession(req, res);
      if (claimsHandle(body['id'])) return answer(body, caller, res);
      if (speaks(SESSION_VERSION)) return passThrough(upstream, req, res, raw);
      return sendRpcError(
        res,
        400,
        RpcCode.InvalidRequest,
        'Bad Request: a JSON-RPC response answers a request of the bridge, whose ids start with b1.; this one does not',
      );
    }
    let c: Classified;
    try {
      c = classify(body, mcpHeaders(req));
    } catch (err) {
      if (err instanceof Rejection) return sendRpcError(res, err.httpStatus, err.code, err.message, err.id, err.data);
      throw err;
    }
    if (c.era === 'stateless' ? speaks(MODERN_VERSION) : speaks(SESSION_VERSION)) {
      return passThrough(upstream, req, res, raw);
    }
    const { id, method, params } = c.message;
    // A new session starts at initialize, whatever id the request carries.
    if (c.era !== 'stateless' && session === 'malformed' && method !== 'initialize') return unknownSession(req, res);
    // Notifications have nowhere to go: neither side keeps a session with the other.
    if (id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const reply = new ClientReply(req, res);
    if (c.era === 'stateless') return toSessionServer({ id, method, params, caller, reply });
    const known = session === 'malformed' ? undefined : session;
    return toStatelessServer(req, { id, method, params, caller, reply, capabilities: {} }, known);
  }

  /**
   * The capabilities a request's bridge session id carries; 'malformed' for an id that claims to be the bridge's
   * (`c1.`) but is not one it writes; undefined without one (no session id, or one that is not the bridge's).
   */
  function clientSession(req: IncomingMessage): Json | 'malformed' | undefined {
    const v = req.headers['mcp-session-id'];
    if (!claimsClientSession(v)) return undefined;
    return parseClientSession(v) ?? 'malformed';
  }

  /** 2025-11-25's answer to a session the server does not know (worded as the gateway's): 404, initialize again. */
  function unknownSession(req: IncomingMessage, res: ServerResponse): void {
    const v = String(req.headers['mcp-session-id']).slice(0, 100);
    sendRpcError(
      res,
      404,
      RpcCode.InvalidRequest,
      `Not Found: no session ${JSON.stringify(v)}: it is not a session id the bridge writes; initialize again`,
    );
  }

  /** A 2026-07-28 request for a server that keeps sessions: a first one, or a retry naming a held exchange. */
  async function toSessionServer(call: ModernCall): Promise<void> {
    const state = call.params['requestState'];
    if (state === undefined) {
      const x = new SessionExchange(ctx, call);
      if (!admit(x, call.id, call.reply)) return;
      return x.start();
    }
    const refuse = (problem: string) =>
      call.reply.finish(
        rpcError(call.id, BridgeCode.InvalidParams, `${problem}; send the request again without it`, {
          reason: 'invalid_request_state',
        }),
      );
    if (!claimsHandle(state)) return refuse('requestState was not handed out by this bridge (it starts with b1.)');
    if (!parseHandle(state)) return refuse(`requestState ${JSON.stringify(state.slice(0, 100))} is malformed`);
    const found = exchanges.find(state, call.caller.principal);
    if ('problem' in found && found.problem === 'caller') {
      return refuse(`requestState ${state} was handed out to another caller`);
    }
    if (!('exchange' in found) || !(found.exchange instanceof SessionExchange)) {
      return refuse(
        `unknown or expired requestState ${state} (answered already, held too long, or the sidecar restarted)`,
      );
    }
    return found.exchange.resume(call);
  }

  /**
   * A 2025-era request for a stateless server. The client's capabilities are those it declares (initialize), else
   * those its session id carries, else those the gateway names (its aggregated endpoint keeps no session).
   */
  async function toStatelessServer(req: IncomingMessage, call: SessionCall, session: Json | undefined): Promise<void> {
    if (call.method === 'initialize') {
      const declared = call.params['capabilities'];
      const id = mintClientSession(declared, randomBytes(16));
      call.capabilities = parseClientSession(id)!;
      return initializeFromDiscover(ctx, call, id);
    }
    if (session !== undefined) call.capabilities = session;
    else {
      const capabilities = capabilitiesFromHeader(req.headers[CAPABILITIES_HEADER]);
      if (typeof capabilities === 'string') {
        return call.reply.finish(rpcError(call.id, RpcCode.InvalidRequest, `Bad Request: ${capabilities}`), 400);
      }
      call.capabilities = capabilities;
    }
    if (call.method === 'ping') return call.reply.finish(rpcResult(call.id, {}));
    const x = new StreamExchange(ctx, call);
    if (!admit(x, call.id, call.reply)) return;
    return x.start();
  }

  /** A 2025 client's answer to an input request relayed on its held stream. */
  function answer(message: Json, caller: Caller, res: ServerResponse) {
    const id = message['id'] as string;
    const refuse = (status: number, problem: string) =>
      sendRpcError(res, status, BridgeCode.InvalidParams, problem, null, { id });
    const parsed = parseAnswerId(id);
    if (!parsed) return refuse(400, `the response id ${JSON.stringify(id.slice(0, 100))} is not one the bridge writes`);
    if (!isObject(message['result']) && !isObject(message['error'])) {
      return refuse(400, 'a response to an input request carries a result object or an error object');
    }
    const found = exchanges.find(parsed.handle, caller.principal);
    if ('problem' in found && found.problem === 'caller') {
      return refuse(403, `the input request ${id} was sent to another caller; nothing was forwarded`);
    }
    const outcome =
      'exchange' in found && found.exchange instanceof StreamExchange
        ? found.exchange.answerWith(parsed.key, message)
        : 'not-asked';
    if (outcome === 'not-asked') {
      return refuse(
        404,
        `unknown or expired input request ${id} (answered already, held too long, or the sidecar restarted); call the tool again`,
      );
    }
    res.writeHead(202).end();
  }

  function admit(x: Exchange, id: RpcId, reply: ClientReply): boolean {
    if (exchanges.admit(x)) return true;
    reply.finish(
      rpcError(
        id,
        BridgeCode.Busy,
        `the bridge holds ${exchanges.max} exchanges already (--bridge-max-held); try again shortly`,
      ),
      503,
      { 'retry-after': '1' },
    );
    return false;
  }

  return {
    handle,
    held: () => exchanges.size,
    async health() {
      try {
        const a = await upstream.request('OPTIONS', {});
        a.close();
        return { ready: true, upstream: { reachable: true, status: a.status }, held: exchanges.size };
      } catch (err) {
        return { ready: false, upstream: { reachable: false, error: (err as Error).message } };
      }
    },
    async close() {
      exchanges.endAll('the sidecar is shutting down');
      const bounded = new Promise((resolve) => setTimeout(resolve, Math.min(o.timeoutMs, 2000)).unref());
      await Promise.race([Promise.allSettled([...work]), bounded]);
      upstream.close();
    },
  };
}
