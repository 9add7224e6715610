// One simulated HTTP stream through the filter, following Envoy's filter manager and wasm filter status rules.

import { BufferType, FilterDataStatus, FilterHeadersStatus, MapType, StreamType, WasmResult } from './abi.js';
import { Context, HostBuffer, type LocalReply } from './context.js';
import { HeaderMap } from './headerMap.js';
import { failStreamReply, overflowReply, replyMessage } from './localReply.js';
import { type HeaderPairs, toBytes } from './memory.js';
import { mergeProperties, type PropertyMap } from './properties.js';
import type { WorkerVm } from './vm.js';

export type Body = string | Uint8Array | Array<string | Uint8Array>;

export interface HttpMessage {
  headers: HeaderPairs | Record<string, string>;
  /** Chunks delivered one callback each; the last one carries end_of_stream. */
  body?: Body;
}

export interface StreamInput {
  request: HttpMessage;
  /** The upstream's answer to what the router forwarded; 200 with no body when absent. */
  upstream?: (request: ForwardedRequest) => HttpMessage;
  /** Per-stream attributes (e.g. connection.uri_san_peer_certificate), merged over the plugin's. */
  properties?: PropertyMap;
}

export interface ForwardedRequest {
  /** The headers as they were when the router chose the route. */
  headers: HeaderPairs;
  body: Uint8Array;
}

export interface StreamResult {
  vm: number;
  contextId: number;
  requestHeadersStatus?: FilterHeadersStatus;
  requestBodyStatuses: FilterDataStatus[];
  responseHeadersStatus?: FilterHeadersStatus;
  responseBodyStatuses: FilterDataStatus[];
  /** What reached the router; absent after a local reply, a reset or a stall. */
  forwarded?: ForwardedRequest;
  localReply?: LocalReply;
  /** What the client receives. */
  response?: { status: number; headers: HeaderPairs; body: Uint8Array };
  /** The filter stopped and nothing resumed it (Envoy would wait for a timeout). */
  stalled?: 'request' | 'response';
  reset?: boolean;
  /** The VM failed before or during this stream. */
  vmFailed: boolean;
}

export interface StreamOptions {
  failOpen: boolean;
  allowOnHeadersStopIteration: boolean;
  /** Envoy's buffer limit: a body buffered past it ends in 413 (request) or 500 (response). */
  bufferLimitBytes: number;
}

function chunks(body: Body | undefined): Uint8Array[] {
  if (body === undefined) return [];
  const list = Array.isArray(body) ? body : [body];
  return list.map((c) => toBytes(c)).filter((c) => c.length > 0);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** An HTTP stream context: request/response maps and bodies, local reply capture, continue/close requests. */
export class StreamContext extends Context {
  readonly requestHeaders: HeaderMap;
  responseHeaders: HeaderMap | undefined;
  // Envoy lets go of a header map once its callback answers Continue (or the module continues the stream), and of
  // a body chunk once it is passed on; later calls see BadArgument for the map and an empty body. on_log sees all.
  readonly live = { request: true, response: true };
  requestBody = new HostBuffer();
  responseBody = new HostBuffer();
  logPhase = false;
  localReply: LocalReply | undefined;
  continueRequested: { request: boolean; response: boolean } = { request: false, response: false };
  closed = false;

  constructor(
    id: number,
    rootId: number,
    headers: HeaderPairs | Record<string, string>,
    private readonly attributes: () => PropertyMap,
  ) {
    super(id, rootId);
    this.requestHeaders = new HeaderMap(headers);
  }

  override getMap(type: MapType): HeaderMap | undefined {
    if (type === MapType.RequestHeaders) return this.live.request || this.logPhase ? this.requestHeaders : undefined;
    if (type === MapType.ResponseHeaders) return this.live.response || this.logPhase ? this.responseHeaders : undefined;
    return undefined;
  }

  override getBuffer(type: BufferType): HostBuffer | undefined {
    if (type === BufferType.HttpRequestBody) return this.requestBody;
    if (type === BufferType.HttpResponseBody) return this.responseBody;
    return undefined;
  }

  override properties(): PropertyMap {
    const h = this.requestHeaders;
    const path = h.get(':path') ?? '';
    const request: PropertyMap = {
      path,
      url_path: path.split('?')[0] ?? '',
      host: h.get(':authority') ?? '',
      method: h.get(':method') ?? '',
      scheme: h.get(':scheme') ?? 'http',
      headers: h.toRecord(),
    };
    const id = h.get('x-request-id');
    if (id !== undefined) request['id'] = id;
    const own: PropertyMap = { request };
    if (this.responseHeaders) {
      own['response'] = {
        code: Number(this.responseHeaders.get(':status') ?? 0),
        headers: this.responseHeaders.toRecord(),
      };
    }
    return mergeProperties(this.attributes(), own);
  }

  /** The first reply wins; Envoy sends it once the running callback returns. */
  override sendLocalResponse(reply: LocalReply): WasmResult {
    if (!this.localReply) this.localReply = { ...reply, details: reply.details.replace(/\s/g, '_') };
    return WasmResult.Ok;
  }

  override continueStream(type: StreamType): WasmResult {
    if (type === StreamType.Request) this.continueRequested.request = true;
    else if (type === StreamType.Response) this.continueRequested.response = true;
    else return WasmResult.BadArgument;
    return WasmResult.Ok;
  }

  override closeStream(type: StreamType): WasmResult {
    if (type > StreamType.Upstream) return WasmResult.BadArgument;
    this.closed = true;
    return WasmResult.Ok;
  }
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

/** Runs one direction (request or response): headers, then body chunks, with Envoy's iteration rules. */
function runDirection(
  vm: WorkerVm,
  ctx: StreamContext,
  opts: StreamOptions,
  dir: 'request' | 'response',
  headers: HeaderMap,
  body: Uint8Array[],
  fail: () => boolean,
): {
  headersStatus?: FilterHeadersStatus;
  bodyStatuses: FilterDataStatus[];
  released?: HeaderPairs;
  out: Uint8Array;
  stalled: boolean;
} {
  const bodyStatuses: FilterDataStatus[] = [];
  const onHeaders = dir === 'request' ? 'proxy_on_request_headers' : 'proxy_on_response_headers';
  const onBody = dir === 'request' ? 'proxy_on_request_body' : 'proxy_on_response_body';
  let out: Uint8Array = new Uint8Array();
  let released: HeaderPairs | undefined;
  const release = () => {
    released ??= headers.pairs();
  };
  const interrupted = () => ctx.localReply !== undefined || ctx.closed;

  let hStatus: FilterHeadersStatus;
  if (fail()) {
    hStatus = opts.failOpen ? FilterHeadersStatus.Continue : FilterHeadersStatus.StopAllIterationAndWatermark;
  } else {
    const r = vm.call(ctx, onHeaders, ctx.id, headers.size, body.length === 0 ? 1 : 0);
    hStatus = fail()
      ? opts.failOpen
        ? FilterHeadersStatus.Continue
        : FilterHeadersStatus.StopAllIterationAndWatermark
      : headersStatus(r.value, r.stopped, opts.allowOnHeadersStopIteration);
  }
  if (interrupted()) return { headersStatus: hStatus, bodyStatuses, out, stalled: false };
  const continued = ctx.continueRequested[dir];
  ctx.continueRequested[dir] = false;
  if (hStatus === FilterHeadersStatus.Continue || hStatus === FilterHeadersStatus.ContinueAndEndStream || continued) {
    release();
    ctx.live[dir] = false;
  } else if (hStatus !== FilterHeadersStatus.StopIteration) {
    // StopAll* keeps this filter's body callbacks back too, until something continues the stream.
    return { headersStatus: hStatus, bodyStatuses, out, stalled: true };
  }
  if (hStatus === FilterHeadersStatus.ContinueAndEndStream) {
    return { headersStatus: hStatus, bodyStatuses, released, out, stalled: false };
  }

  let buffered: Uint8Array = new Uint8Array();
  // Whether the filter is sitting on data it has not let through (a stop at end_of_stream stalls the stream).
  let holding = false;
  for (let i = 0; i < body.length; i++) {
    const eos = i === body.length - 1;
    const data = concat(buffered, body[i]!);
    const buffer = new HostBuffer(data);
    if (dir === 'request') ctx.requestBody = buffer;
    else ctx.responseBody = buffer;
    if (buffered.length > 0 && data.length > opts.bufferLimitBytes) {
      ctx.localReply ??= overflowReply(dir);
      return { headersStatus: hStatus, bodyStatuses, released, out, stalled: false };
    }
    let status: FilterDataStatus;
    if (fail()) {
      status = opts.failOpen ? FilterDataStatus.Continue : FilterDataStatus.StopIterationNoBuffer;
    } else {
      const r = vm.call(ctx, onBody, ctx.id, data.length, eos ? 1 : 0);
      status = fail()
        ? opts.failOpen
          ? FilterDataStatus.Continue
          : FilterDataStatus.StopIterationNoBuffer
        : dataStatus(r.value, r.stopped);
    }
    bodyStatuses.push(status);
    if (status === FilterDataStatus.StopIterationAndBuffer && buffer.data.length > opts.bufferLimitBytes) {
      ctx.localReply ??= overflowReply(dir);
    }
    if (interrupted()) return { headersStatus: hStatus, bodyStatuses, released, out, stalled: false };
    if (status === FilterDataStatus.Continue || ctx.continueRequested[dir]) {
      if (ctx.continueRequested[dir]) ctx.live[dir] = false;
      ctx.continueRequested[dir] = false;
      // Headers held by StopIteration travel now, so changes made in this body callback reach the route choice.
      release();
      out = concat(out, buffer.data);
      buffered = new Uint8Array();
      holding = false;
      if (dir === 'request') ctx.requestBody = new HostBuffer();
      else ctx.responseBody = new HostBuffer();
    } else {
      buffered = status === FilterDataStatus.StopIterationNoBuffer ? new Uint8Array() : buffer.data;
      holding = true;
    }
  }
  return { headersStatus: hStatus, bodyStatuses, released, out, stalled: !released || holding };
}

/** Runs a stream through one VM: create, request, upstream, response, log, done, delete. */
export function runStream(
  vm: WorkerVm,
  rootId: number,
  input: StreamInput,
  opts: StreamOptions,
  attributes: () => PropertyMap,
): StreamResult {
  const id = vm.allocContextId();
  const ctx = new StreamContext(id, rootId, input.request.headers, () =>
    mergeProperties(attributes(), input.properties ?? {}),
  );
  vm.contexts.set(id, ctx);
  const result: StreamResult = {
    vm: vm.index,
    contextId: id,
    requestBodyStatuses: [],
    responseBodyStatuses: [],
    vmFailed: false,
  };
  let streamFailed = false;
  // CHECK_FAIL: on a failed VM a fail-closed stream gets one 503 local reply, and no callback runs.
  const fail = () => {
    if (!vm.failure) return false;
    result.vmFailed = true;
    if (!opts.failOpen && !streamFailed) {
      streamFailed = true;
      ctx.localReply ??= failStreamReply();
    }
    return true;
  };

  if (!vm.failure) vm.call(ctx, 'proxy_on_context_create', id, rootId);
  const req = runDirection(vm, ctx, opts, 'request', ctx.requestHeaders, chunks(input.request.body), fail);
  result.requestHeadersStatus = req.headersStatus;
  result.requestBodyStatuses = req.bodyStatuses;

  if (ctx.localReply) {
    deliverLocalReply(vm, ctx, opts, result, fail);
  } else if (ctx.closed) {
    result.reset = true;
  } else if (req.stalled) {
    result.stalled = 'request';
  } else {
    result.forwarded = { headers: req.released ?? ctx.requestHeaders.pairs(), body: req.out };
    const upstream: HttpMessage = input.upstream?.(result.forwarded) ?? { headers: { ':status': '200' } };
    ctx.responseHeaders = new HeaderMap(upstream.headers);
    const res = runDirection(vm, ctx, opts, 'response', ctx.responseHeaders, chunks(upstream.body), fail);
    result.responseHeadersStatus = res.headersStatus;
    result.responseBodyStatuses = res.bodyStatuses;
    if (ctx.localReply) {
      // Response headers have not gone downstream yet, so the local reply replaces the upstream's answer.
      result.localReply = ctx.localReply;
      result.response = replyMessage(ctx.localReply);
    } else if (ctx.closed) {
      result.reset = true;
    } else if (res.stalled) {
      result.stalled = 'response';
    } else {
      const headers = res.released ?? ctx.responseHeaders.pairs();
      result.response = { status: Number(new HeaderMap(headers).get(':status') ?? 0), headers, body: res.out };
    }
  }
  finish(vm, ctx);
  return result;
}

/** A local reply sent while decoding still passes through this filter's encoder callbacks, as in Envoy. */
function deliverLocalReply(
  vm: WorkerVm,
  ctx: StreamContext,
  opts: StreamOptions,
  result: StreamResult,
  fail: () => boolean,
): void {
  const reply = ctx.localReply!;
  result.localReply = reply;
  const message = replyMessage(reply);
  ctx.responseHeaders = new HeaderMap(message.headers);
  const body = reply.body.length ? [reply.body] : [];
  const res = runDirection(vm, ctx, opts, 'response', ctx.responseHeaders, body, fail);
  result.responseHeadersStatus = res.headersStatus;
  result.responseBodyStatuses = res.bodyStatuses;
  const headers = ctx.responseHeaders.pairs();
  result.response = {
    status: Number(ctx.responseHeaders.get(':status') ?? reply.status),
    headers,
    body: res.out.length || !body.length ? res.out : reply.body,
  };
}

/** Envoy logs the stream, then destroys the filter: on_log, on_done, on_delete. */
function finish(vm: WorkerVm, ctx: StreamContext): void {
  ctx.logPhase = true;
  if (!vm.failure) vm.call(ctx, 'proxy_on_log', ctx.id);
  if (!vm.failure) vm.call(ctx, 'proxy_on_done', ctx.id);
  if (!vm.failure) vm.call(ctx, 'proxy_on_delete', ctx.id);
  vm.contexts.delete(ctx.id);
}
