// One client request through the front: the phased filter stream, routing, the upstream call and the client reply.

import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  header,
  requestHasNoBody,
  requestPairs,
  responseHasNoBody,
  responsePairs,
  routeNotFound,
  streamTimeout,
  upstreamReset,
  upstreamTimeout,
  wirePairs,
} from './frontHeaders.js';
import { connectionProperties, type Upstream, type UpstreamAgents, upstreamRequest } from './frontTls.js';

export type { Upstream } from './frontTls.js';

import type { HttpResponse, HttpStream, Step } from './httpStream.js';
import type { Plugin } from './index.js';
import type { HeaderPairs } from './memory.js';
import { mergeProperties, type PropertyMap } from './properties.js';
import { inVirtualHost } from './virtualHost.js';

export interface ExchangeSettings {
  plugin: Plugin;
  /** Read when a request is routed: replacing them re-routes later requests, not those already on their way. */
  upstreams: Record<string, Upstream>;
  defaultUpstream: Upstream | undefined;
  /** The request header the route is chosen on (the filter sets it; a VirtualService matches it in the mesh). */
  routeHeader: string;
  /** The virtual host's domains: a request for another host meets no route. Undefined: every host. */
  routeHosts: readonly string[] | undefined;
  agents: UpstreamAgents;
  /** `https` when the listener is TLS: `:scheme` and x-forwarded-proto follow it. */
  scheme: 'http' | 'https';
  timeoutMs: number;
  streamProperties: ((req: IncomingMessage) => PropertyMap) | undefined;
}

const empty = new Uint8Array();
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// OpenSSL alerts, e.g. an upstream that refuses our client certificate: with TLS 1.3 they arrive after the client
// considers its handshake done.
const TLS_ALERT = /^ERR_SSL_/;

export class Exchange {
  private readonly stream: HttpStream;
  private upstream: ClientRequest | undefined;
  private upstreamRes: IncomingMessage | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private routed = false;
  /** A new TLS connection to the upstream whose handshake has not completed (a failure then is a connect failure). */
  private handshaking = false;
  private aborted = false;
  private done = false;

  constructor(
    private readonly settings: ExchangeSettings,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    // As Envoy's attributes: what the connection says, then what the caller adds (tests name peers by hand).
    const connection = connectionProperties(req.socket);
    const given = settings.streamProperties?.(req);
    this.stream = settings.plugin.openStream({
      headers: requestPairs(req, settings.scheme),
      properties: given ? mergeProperties(connection, given) : connection,
    });
    // The filter may continue (or answer) the request later, from an http call's answer.
    this.stream.onAsync = (dir, step) => (dir === 'request' ? this.onRequest(step) : this.onResponse(step));
  }

  start(): void {
    const { req, res, stream } = this;
    // 'close' comes once: after the response finished, or when the client went away first.
    res.on('close', () => this.close());
    if (this.settings.timeoutMs > 0) this.timer = setTimeout(() => this.timeout(), this.settings.timeoutMs);
    const noBody = requestHasNoBody(req);
    this.onRequest(stream.requestHeaders(noBody));
    if (noBody) {
      req.resume();
      return;
    }
    req.on('data', (chunk: Buffer) => this.onRequest(stream.requestData(chunk, false)));
    // As Envoy's HTTP/1 codec, the end of the body arrives as an empty chunk carrying end_of_stream.
    req.on('end', () => this.onRequest(stream.requestData(empty, true)));
  }

  private onRequest(step: Step): void {
    if (this.done) return;
    if (step.kind === 'localReply') {
      this.reply(step.response);
      return;
    }
    if (step.kind === 'reset') {
      this.reset();
      return;
    }
    if (step.kind !== 'forward') return;
    if (step.headers && !this.route(step.headers)) return;
    const upstream = this.upstream;
    if (!upstream || upstream.destroyed) return;
    if (step.data.length > 0 && !upstream.write(step.data)) {
      this.req.pause();
      upstream.once('drain', () => this.req.resume());
    }
    if (step.endOfStream) upstream.end();
  }

  /** The router: the route is chosen on the headers as the filter released them. */
  private route(headers: HeaderPairs): boolean {
    this.routed = true;
    const { upstreams, defaultUpstream, routeHeader, routeHosts, agents } = this.settings;
    const service = header(headers, routeHeader);
    const inHost = routeHosts === undefined || inVirtualHost(header(headers, ':authority'), routeHosts);
    const target = !inHost
      ? undefined
      : // Envoy route semantics: header-matched routes first, then the catch-all route (the default), if any.
        service !== undefined && Object.hasOwn(upstreams, service)
        ? upstreams[service]
        : defaultUpstream;
    if (!target) {
      this.onResponse(this.stream.localReply(routeNotFound()));
      return false;
    }
    const upstream = upstreamRequest(target, agents, headers);
    if (target.tls) {
      upstream.once('socket', (socket: Socket) => {
        // A pooled connection was verified when it was made; a new one is not usable until its handshake is done.
        if (upstream.reusedSocket || !(socket instanceof TLSSocket)) return;
        this.handshaking = true;
        socket.once('secureConnect', () => {
          this.handshaking = false;
        });
      });
    }
    upstream.on('response', (res) => this.onUpstreamResponse(res));
    upstream.on('error', (error: NodeJS.ErrnoException) => this.onUpstreamError(error));
    this.upstream = upstream;
    return true;
  }

  private onUpstreamResponse(ures: IncomingMessage): void {
    if (this.done) {
      ures.resume();
      return;
    }
    this.upstreamRes = ures;
    const method = this.req.method ?? 'GET';
    const noBody = responseHasNoBody(method, ures);
    ures.on('close', () => {
      if (!ures.complete) this.upstreamBroken();
    });
    this.onResponse(this.stream.responseHeaders(responsePairs(ures), noBody));
    if (noBody) {
      ures.resume();
      return;
    }
    ures.on('data', (chunk: Buffer) => this.onResponse(this.stream.responseData(chunk, false)));
    ures.on('end', () => this.onResponse(this.stream.responseData(empty, true)));
  }

  private onResponse(step: Step): void {
    if (this.done) return;
    const { res } = this;
    if (step.kind === 'localReply') {
      this.reply(step.response);
      return;
    }
    if (step.kind === 'reset') {
      this.reset();
      return;
    }
    // Nothing can release a stalled body once its headers are out; Envoy would reset after its idle timeout.
    if (step.kind === 'stalled' && res.headersSent) {
      this.reset();
      return;
    }
    if (step.kind !== 'forward') return;
    if (step.headers) {
      res.writeHead(Number(header(step.headers, ':status') ?? 200), wirePairs(step.headers));
      // Event streams must reach the client now, not with the first body chunk.
      if (!step.endOfStream) res.flushHeaders();
    }
    if (step.data.length > 0 && !res.write(step.data)) {
      this.upstreamRes?.pause();
      res.once('drain', () => this.upstreamRes?.resume());
    }
    if (step.endOfStream) res.end();
  }

  /** A local reply: the client gets it whole; a call still in flight upstream is abandoned. */
  private reply(response: HttpResponse): void {
    this.clearTimer();
    this.abortUpstream();
    const { res } = this;
    if (res.headersSent) {
      this.reset();
      return;
    }
    // The filter may have rewritten the body in its response callbacks; the length sent is the length written.
    res.writeHead(response.status, [
      ...wirePairs(response.headers, ['content-length']),
      'content-length',
      String(response.body.length),
    ]);
    res.end(response.body);
  }

  private reset(): void {
    this.clearTimer();
    this.abortUpstream();
    this.res.destroy();
  }

  private onUpstreamError(error: NodeJS.ErrnoException): void {
    if (this.done || this.aborted || this.upstreamRes) return;
    const code = error.code ?? '';
    const failure = this.handshaking || CONNECT_FAILURES.has(code) || TLS_ALERT.test(code);
    const reason = failure ? 'connection failure' : 'connection termination';
    this.onResponse(this.stream.localReply(upstreamReset(reason)));
  }

  /** The upstream went away mid-response: replace what the client has not seen yet, or reset. */
  private upstreamBroken(): void {
    if (this.done || this.aborted) return;
    if (this.res.headersSent) {
      this.reset();
      return;
    }
    this.onResponse(this.stream.localReply(upstreamReset('connection termination')));
  }

  /**
   * One deadline for the exchange, until response headers reach the client: a request the filter still holds is a
   * stream timeout (408), a request the upstream has not answered is an upstream timeout (504). A response that
   * has started may stream on (server-sent events).
   */
  private timeout(): void {
    this.timer = undefined;
    if (this.done || this.res.headersSent) return;
    this.abortUpstream();
    this.onResponse(this.stream.localReply(this.routed ? upstreamTimeout() : streamTimeout()));
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private abortUpstream(): void {
    if (!this.upstream || this.upstream.destroyed) return;
    this.aborted = true;
    this.upstream.destroy();
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    if (!this.res.writableFinished || (this.upstreamRes && !this.upstreamRes.complete)) this.abortUpstream();
    this.stream.finish();
  }
}
