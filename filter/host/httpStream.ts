// The phased HTTP stream: one call per event Envoy's filter manager delivers, each saying what reaches the next hop.

import { FilterDataStatus, FilterHeadersStatus } from './abi.js';
import { HostBuffer, type LocalReply } from './context.js';
import { HeaderMap } from './headerMap.js';
import { failStreamReply, overflowReply, replyMessage } from './localReply.js';
import { type HeaderPairs, toBytes } from './memory.js';
import { mergeProperties, type PropertyMap } from './properties.js';
import { StreamContext } from './streamContext.js';
import type { WorkerVm } from './vm.js';

export interface StreamOptions {
  failOpen: boolean;
  allowOnHeadersStopIteration: boolean;
  /** Envoy's buffer limit: a body buffered past it ends in 413 (request) or 500 (response). */
  bufferLimitBytes: number;
}

export interface StreamOpen {
  /** Request headers with pseudo-headers (:method, :path, :authority, :scheme). */
  headers: HeaderPairs | Record<string, string>;
  /** Per-stream attributes (e.g. connection.uri_san_peer_certificate), merged over the plugin's. */
  properties?: PropertyMap;
}

export interface HttpResponse {
  status: number;
  headers: HeaderPairs;
  body: Uint8Array;
}

/** What the caller does next after feeding the stream one event. */
export type Step =
  /** Pass this on to the next hop (the router for requests, the client for responses). */
  | {
      kind: 'forward';
      /** The headers, once per direction, as they were when released: the request is routed on these. */
      headers?: HeaderPairs;
      /** Body released by this call, possibly empty. */
      data: Uint8Array;
      /** This direction is complete. */
      endOfStream: boolean;
    }
  /** The filter holds what it has; more input may release it. Also the answer to input after a direction ended. */
  | { kind: 'hold' }
  /** The direction ended and the filter still holds it: nothing will move (Envoy would wait for a timeout). */
  | { kind: 'stalled' }
  /** Send this to the client instead; the stream is over. */
  | { kind: 'localReply'; reply: LocalReply; response: HttpResponse }
  /** Reset the stream (close_stream, or a local reply after response headers were already sent). */
  | { kind: 'reset' }
  /** The stream is already over; the input is ignored. */
  | { kind: 'ended' };

type Direction = 'request' | 'response';

interface DirectionState {
  headersStatus?: FilterHeadersStatus;
  bodyStatuses: FilterDataStatus[];
  released: boolean;
  /** StopAll* keeps this filter's body callbacks back too, until something continues the stream. */
  stopAll: boolean;
  /** end_of_stream went to the next hop (or headers answered ContinueAndEndStream): later data is dropped. */
  complete: boolean;
  /** end_of_stream arrived while the filter held this direction. */
  ended: boolean;
  buffered: Uint8Array;
}

const empty = new Uint8Array();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Envoy's conversions: out-of-range and post-local-reply answers become the strongest stop. */
function headersStatus(value: number | undefined, stopped: boolean, allowStopIteration: boolean): FilterHeadersStatus {
  const v = value ?? 0;
  if (stopped || v > FilterHeadersStatus.StopAllIterationAndWatermark || v < 0) {
    return FilterHeadersStatus.StopAllIterationAndWatermark;
  }
  if (v === FilterHeadersStatus.StopIteration && !allowStopIteration) {
    return FilterHeadersStatus.StopAllIterationAndWatermark;
  }
  return v;
}

function dataStatus(value: number | undefined, stopped: boolean): FilterDataStatus {
  const v = value ?? 0;
  if (stopped || v > FilterDataStatus.StopIterationNoBuffer || v < 0) return FilterDataStatus.StopIterationNoBuffer;
  return v;
}

const newDirection = (): DirectionState => ({
  bodyStatuses: [],
  released: false,
  stopAll: false,
  complete: false,
  ended: false,
  buffered: empty,
});

/** One stream through one VM; on_context_create has run once this exists. Call finish() exactly when it ends. */
export class HttpStream {
  readonly ctx: StreamContext;
  /** The VM failed before or during this stream. */
  vmFailed = false;
  /** A local reply or reset ended the stream; later input is ignored. */
  over = false;
  private readonly state: Record<Direction, DirectionState> = { request: newDirection(), response: newDirection() };
  private streamFailed = false;
  // While a local reply travels through the encoder callbacks, it is not itself an interruption.
  private delivering = false;
  private finished = false;
  /**
   * Where steps go that happen outside the caller's own events: the module continued, answered or closed the stream
   * from another callback (an http call's answer). Without a listener those are not simulated.
   */
  onAsync: ((dir: Direction, step: Step) => void) | undefined;

  constructor(
    private readonly vm: WorkerVm,
    rootId: number,
    input: StreamOpen,
    private readonly opts: StreamOptions,
    attributes: () => PropertyMap,
    private readonly settle: () => void = () => {},
  ) {
    const id = vm.allocContextId();
    let merged: PropertyMap | undefined;
    this.ctx = new StreamContext(id, rootId, input.headers, () => {
      merged ??= mergeProperties(attributes(), input.properties ?? {});
      return merged;
    });
    vm.contexts.set(id, this.ctx);
    this.ctx.wake = () => this.resume();
    if (!vm.failure) vm.call(this.ctx, 'proxy_on_context_create', id, rootId);
    this.settle();
  }

  get contextId(): number {
    return this.ctx.id;
  }
  get requestHeadersStatus(): FilterHeadersStatus | undefined {
    return this.state.request.headersStatus;
  }
  get requestBodyStatuses(): FilterDataStatus[] {
    return this.state.request.bodyStatuses;
  }
  get responseHeadersStatus(): FilterHeadersStatus | undefined {
    return this.state.response.headersStatus;
  }
  get responseBodyStatuses(): FilterDataStatus[] {
    return this.state.response.bodyStatuses;
  }
  /** Whether response headers have gone downstream (a later local reply can only reset). */
  get responseStarted(): boolean {
    return this.state.response.released;
  }

  requestHeaders(endOfStream: boolean): Step {
    return this.settled(() => this.headers('request', this.ctx.requestHeaders, endOfStream));
  }

  requestData(chunk: string | Uint8Array, endOfStream: boolean): Step {
    return this.settled(() => this.data('request', toBytes(chunk), endOfStream));
  }

  responseHeaders(headers: HeaderPairs | Record<string, string>, endOfStream: boolean): Step {
    return this.settled(() => {
      if (this.ended) return { kind: 'ended' };
      this.ctx.responseHeaders = new HeaderMap(headers);
      return this.headers('response', this.ctx.responseHeaders, endOfStream);
    });
  }

  responseData(chunk: string | Uint8Array, endOfStream: boolean): Step {
    return this.settled(() => this.data('response', toBytes(chunk), endOfStream));
  }

  /**
   * A reply from outside the filter (the router's 404/503/504, a stream timeout). Envoy sends it through the
   * encoder callbacks if no response has started, replaces a response the filter still holds, and resets after
   * response headers went downstream.
   */
  localReply(reply: LocalReply): Step {
    return this.settled(() => {
      if (this.ended) return { kind: 'ended' };
      this.ctx.localReply ??= reply;
      return this.interruption(this.ctx.responseHeaders ? 'response' : 'request')!;
    });
  }

  /** Envoy logs the stream, then destroys the filter: on_log, on_done, on_delete; later calls do nothing. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.over = true;
    const { vm, ctx } = this;
    ctx.logPhase = true;
    if (!vm.failure) vm.call(ctx, 'proxy_on_log', ctx.id);
    if (!vm.failure) vm.call(ctx, 'proxy_on_done', ctx.id);
    if (!vm.failure) vm.call(ctx, 'proxy_on_delete', ctx.id);
    vm.contexts.delete(ctx.id);
    this.settle();
  }

  private settled(run: () => Step): Step {
    const step = run();
    this.settle();
    return step;
  }

  // CHECK_FAIL: on a failed VM a fail-closed stream gets one 503 local reply, and no callback runs.
  private fail(): boolean {
    if (!this.vm.failure) return false;
    this.vmFailed = true;
    if (!this.opts.failOpen && !this.streamFailed) {
      this.streamFailed = true;
      this.ctx.localReply ??= failStreamReply();
    }
    return true;
  }

  private get ended(): boolean {
    return this.finished || (this.over && !this.delivering);
  }

  private headers(dir: Direction, map: HeaderMap, endOfStream: boolean): Step {
    if (this.ended) return { kind: 'ended' };
    const d = this.state[dir];
    const { ctx, opts } = this;
    const failed = opts.failOpen ? FilterHeadersStatus.Continue : FilterHeadersStatus.StopAllIterationAndWatermark;
    let status: FilterHeadersStatus;
    if (this.fail()) {
      status = failed;
    } else {
      const onHeaders = dir === 'request' ? 'proxy_on_request_headers' : 'proxy_on_response_headers';
      const r = this.vm.call(ctx, onHeaders, ctx.id, map.size, endOfStream ? 1 : 0);
      status = this.fail() ? failed : headersStatus(r.value, r.stopped, opts.allowOnHeadersStopIteration);
    }
    d.headersStatus = status;
    const interrupted = this.interruption(dir);
    if (interrupted) return interrupted;
    const continued = ctx.continueRequested[dir];
    ctx.continueRequested[dir] = false;
    const end = status === FilterHeadersStatus.ContinueAndEndStream;
    if (status === FilterHeadersStatus.Continue || end || continued) {
      d.released = true;
      ctx.live[dir] = false;
      d.complete = endOfStream || end;
      return { kind: 'forward', headers: map.pairs(), data: empty, endOfStream: d.complete };
    }
    if (status !== FilterHeadersStatus.StopIteration) d.stopAll = true;
    d.ended = endOfStream;
    return endOfStream ? { kind: 'stalled' } : { kind: 'hold' };
  }

  private data(dir: Direction, chunk: Uint8Array, endOfStream: boolean): Step {
    if (this.ended) return { kind: 'ended' };
    const d = this.state[dir];
    if (d.complete) return { kind: 'hold' };
    if (d.stopAll && !d.released) {
      // StopAll*: Envoy keeps the body for this filter, which gets it once the stream is continued.
      d.buffered = concat(d.buffered, chunk);
      d.ended = endOfStream;
      return endOfStream ? { kind: 'stalled' } : { kind: 'hold' };
    }
    const { ctx, opts } = this;
    const data = concat(d.buffered, chunk);
    const buffer = new HostBuffer(data);
    this.setBody(dir, buffer);
    if (d.buffered.length > 0 && data.length > opts.bufferLimitBytes) {
      ctx.localReply ??= overflowReply(dir);
      return this.interruption(dir)!;
    }
    const failed = opts.failOpen ? FilterDataStatus.Continue : FilterDataStatus.StopIterationNoBuffer;
    let status: FilterDataStatus;
    if (this.fail()) {
      status = failed;
    } else {
      const onBody = dir === 'request' ? 'proxy_on_request_body' : 'proxy_on_response_body';
      const r = this.vm.call(ctx, onBody, ctx.id, data.length, endOfStream ? 1 : 0);
      status = this.fail() ? failed : dataStatus(r.value, r.stopped);
    }
    d.bodyStatuses.push(status);
    if (status === FilterDataStatus.StopIterationAndBuffer && buffer.data.length > opts.bufferLimitBytes) {
      ctx.localReply ??= overflowReply(dir);
    }
    const interrupted = this.interruption(dir);
    if (interrupted) return interrupted;
    if (status === FilterDataStatus.Continue || ctx.continueRequested[dir]) {
      if (ctx.continueRequested[dir]) ctx.live[dir] = false;
      ctx.continueRequested[dir] = false;
      // Headers held by StopIteration travel now, so changes made in this body callback reach the route choice.
      const headers = d.released ? undefined : this.headerMap(dir).pairs();
      d.released = true;
      d.buffered = empty;
      d.complete = endOfStream;
      this.setBody(dir, new HostBuffer());
      return headers
        ? { kind: 'forward', headers, data: buffer.data, endOfStream }
        : { kind: 'forward', data: buffer.data, endOfStream };
    }
    d.buffered = status === FilterDataStatus.StopIterationNoBuffer ? empty : buffer.data;
    d.ended = endOfStream;
    return endOfStream ? { kind: 'stalled' } : { kind: 'hold' };
  }

  /** The module acted on this stream from outside its callbacks: what that releases or ends goes to onAsync. */
  private resume(): void {
    const emit = this.onAsync;
    if (!emit || this.ended) return;
    const { ctx } = this;
    if (ctx.localReply || ctx.closed) {
      const dir: Direction = this.state.response.headersStatus === undefined ? 'request' : 'response';
      const step = this.interruption(dir);
      if (step) emit(dir, step);
    } else {
      for (const dir of ['request', 'response'] as const) {
        if (!ctx.continueRequested[dir]) continue;
        ctx.continueRequested[dir] = false;
        const step = this.continueHeld(dir);
        if (step) emit(dir, step);
        if (this.over) break;
      }
    }
    this.settle();
  }

  /**
   * continueDecoding/continueEncoding on a held direction: headers go on; a body this filter already saw goes with
   * them; a body kept back by StopAll* is handed to this filter first (Envoy iterates from the current filter).
   */
  private continueHeld(dir: Direction): Step | undefined {
    const d = this.state[dir];
    if (d.headersStatus === undefined || d.complete) return undefined;
    const takeBody = (): Uint8Array => {
      const data = d.buffered;
      d.buffered = empty;
      d.complete = d.ended;
      return data;
    };
    if (d.released) {
      if (d.buffered.length === 0 && !d.ended) return undefined;
      return { kind: 'forward', data: takeBody(), endOfStream: d.ended };
    }
    const headers = this.headerMap(dir).pairs();
    d.released = true;
    this.ctx.live[dir] = false;
    if (!d.stopAll) return { kind: 'forward', headers, data: takeBody(), endOfStream: d.ended };
    d.stopAll = false;
    if (d.buffered.length === 0 && !d.ended) return { kind: 'forward', headers, data: empty, endOfStream: false };
    const kept = d.buffered;
    d.buffered = empty;
    const step = this.data(dir, kept, d.ended);
    if (step.kind === 'forward') return { ...step, headers };
    if (step.kind === 'hold' || step.kind === 'stalled')
      return { kind: 'forward', headers, data: empty, endOfStream: false };
    return step;
  }

  private headerMap(dir: Direction): HeaderMap {
    return dir === 'request' ? this.ctx.requestHeaders : this.ctx.responseHeaders!;
  }

  private setBody(dir: Direction, buffer: HostBuffer): void {
    if (dir === 'request') this.ctx.requestBody = buffer;
    else this.ctx.responseBody = buffer;
  }

  /** undefined when the stream goes on; otherwise how the local reply or close the module asked for ends it. */
  private interruption(dir: Direction): Step | undefined {
    if (this.delivering) return undefined;
    const { ctx } = this;
    if (ctx.localReply) {
      this.over = true;
      if (dir === 'request') return this.deliver(ctx.localReply);
      // Envoy's filter manager: before response headers went downstream the reply replaces the response directly,
      // without the encoder callbacks; after, all it can do is reset the stream.
      if (this.state.response.released) return { kind: 'reset' };
      return { kind: 'localReply', reply: ctx.localReply, response: replyMessage(ctx.localReply) };
    }
    if (ctx.closed) {
      this.over = true;
      return { kind: 'reset' };
    }
    return undefined;
  }

  /** A local reply sent while decoding still passes through this filter's encoder callbacks, as in Envoy. */
  private deliver(reply: LocalReply): Step {
    const message = replyMessage(reply);
    this.ctx.responseHeaders = new HeaderMap(message.headers);
    this.delivering = true;
    let out: Uint8Array = empty;
    try {
      const h = this.headers('response', this.ctx.responseHeaders, reply.body.length === 0);
      if (h.kind === 'forward') out = concat(out, h.data);
      if (reply.body.length > 0 && (h.kind === 'forward' || h.kind === 'hold')) {
        const b = this.data('response', reply.body, true);
        if (b.kind === 'forward') out = concat(out, b.data);
      }
    } finally {
      this.delivering = false;
    }
    // A filter that holds the reply does not keep it from the client: the reply is sent as built.
    const body = out.length || !reply.body.length ? out : reply.body;
    const status = Number(this.ctx.responseHeaders.get(':status') ?? reply.status);
    return { kind: 'localReply', reply, response: { status, headers: this.ctx.responseHeaders.pairs(), body } };
  }
}
