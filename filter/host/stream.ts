// One whole simulated HTTP stream in a single call, for tests: the phased stream fed a request and an upstream.

import type { FilterDataStatus, FilterHeadersStatus } from './abi.js';
import type { LocalReply } from './context.js';
import { HeaderMap } from './headerMap.js';
import { type HttpResponse, HttpStream, type Step, type StreamOptions } from './httpStream.js';
import { type HeaderPairs, toBytes } from './memory.js';
import type { PropertyMap } from './properties.js';
import type { WorkerVm } from './vm.js';

export type { StreamOptions } from './httpStream.js';
export { StreamContext } from './streamContext.js';

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
  /** The reply the module (or the host, for a failed VM or an overflow) sent; with `reset` when it came too late. */
  localReply?: LocalReply;
  /** What the client receives. */
  response?: HttpResponse;
  /** The filter stopped and nothing resumed it (Envoy would wait for a timeout). */
  stalled?: 'request' | 'response';
  reset?: boolean;
  /** The VM failed before or during this stream. */
  vmFailed: boolean;
}

function chunks(body: Body | undefined): Uint8Array[] {
  if (body === undefined) return [];
  const list = Array.isArray(body) ? body : [body];
  return list.map((c) => toBytes(c)).filter((c) => c.length > 0);
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds one direction's headers step and body chunks; returns the last step and what was forwarded. */
function feed(
  first: Step,
  body: Uint8Array[],
  next: (chunk: Uint8Array, endOfStream: boolean) => Step,
): { step: Step; headers?: HeaderPairs; data: Uint8Array[] } {
  const data: Uint8Array[] = [];
  let headers: HeaderPairs | undefined;
  let step = first;
  const take = (s: Step) => {
    if (s.kind !== 'forward') return;
    headers ??= s.headers;
    if (s.data.length) data.push(s.data);
  };
  take(step);
  for (let i = 0; i < body.length; i++) {
    const ended = step.kind === 'forward' && step.endOfStream;
    if (ended || step.kind === 'localReply' || step.kind === 'reset' || step.kind === 'ended') break;
    step = next(body[i]!, i === body.length - 1);
    take(step);
  }
  return headers ? { step, headers, data } : { step, data };
}

/** Runs a stream through one VM: create, request, upstream, response, log, done, delete. */
export function runStream(
  vm: WorkerVm,
  rootId: number,
  input: StreamInput,
  opts: StreamOptions,
  attributes: () => PropertyMap,
): StreamResult {
  const s = new HttpStream(
    vm,
    rootId,
    { headers: input.request.headers, properties: input.properties ?? {} },
    opts,
    attributes,
  );
  const result: StreamResult = {
    vm: vm.index,
    contextId: s.contextId,
    requestBodyStatuses: [],
    responseBodyStatuses: [],
    vmFailed: false,
  };
  const end = (step: Step, dir: 'request' | 'response'): boolean => {
    if (step.kind === 'localReply') {
      result.localReply = step.reply;
      result.response = step.response;
    } else if (step.kind === 'reset') {
      result.reset = true;
      if (s.ctx.localReply) result.localReply = s.ctx.localReply;
    } else if (step.kind === 'stalled' || step.kind === 'hold') {
      result.stalled = dir;
    } else {
      return false;
    }
    return true;
  };

  const body = chunks(input.request.body);
  const req = feed(s.requestHeaders(body.length === 0), body, (c, eos) => s.requestData(c, eos));
  if (!end(req.step, 'request')) {
    result.forwarded = { headers: req.headers ?? [], body: join(req.data) };
    const upstream: HttpMessage = input.upstream?.(result.forwarded) ?? { headers: { ':status': '200' } };
    const resBody = chunks(upstream.body);
    const res = feed(s.responseHeaders(upstream.headers, resBody.length === 0), resBody, (c, eos) =>
      s.responseData(c, eos),
    );
    if (!end(res.step, 'response')) {
      const headers = res.headers ?? [];
      result.response = {
        status: Number(new HeaderMap(headers).get(':status') ?? 0),
        headers,
        body: join(res.data),
      };
    }
  }
  result.requestHeadersStatus = s.requestHeadersStatus;
  result.requestBodyStatuses = s.requestBodyStatuses;
  result.responseHeadersStatus = s.responseHeadersStatus;
  result.responseBodyStatuses = s.responseBodyStatuses;
  s.finish();
  result.vmFailed = s.vmFailed;
  return result;
}
