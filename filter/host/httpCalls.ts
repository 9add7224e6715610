// proxy_http_call as Envoy runs it: the call belongs to the root context of whoever made it (cpp-host's http_call
// uses contextOrEffectiveContext()->root_context()), the answer comes back later as proxy_on_http_call_response on
// that root, and its headers, body and trailers are readable only during that callback. A module that wants a stream
// to go on sets the effective context to it and continues it; the host then moves that stream along.

import { WasmResult } from './abi.js';
import { HostBuffer } from './context.js';
import { HeaderMap } from './headerMap.js';
import type { HeaderPairs } from './memory.js';

export interface HttpCallRequest {
  /** With :method, :path and :authority (Envoy refuses a call without them). */
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
  /** 0: none. */
  timeoutMs: number;
}

export interface HttpCallResponse {
  /** With :status. */
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
}

/**
 * One Envoy cluster as a call target. Resolves with the answer, including the router's own (503 when nothing
 * accepts the connection, 504 at the call's timeout), as Envoy's async client delivers those as responses; rejects
 * only where Envoy reports a failure (a reset, or an answer past the response buffer limit).
 */
export type HttpCallCluster = (request: HttpCallRequest) => Promise<HttpCallResponse>;

/** What the answer's callback can read: the maps and body of the one call being delivered. */
export interface CallResponseView {
  headers: HeaderMap;
  trailers: HeaderMap;
  body: HostBuffer;
}

/** The part of a VM that delivering an answer needs. */
export interface CallingVm {
  readonly failure: string | undefined;
  deliverHttpCall(rootId: number, token: number, response: HttpCallResponse | undefined): void;
}

const header = (pairs: HeaderPairs, name: string) => pairs.some(([k]) => k.toLowerCase() === name);

/** The plugin's cluster table and the calls in flight, numbered per VM as Envoy numbers them per Wasm. */
export class HttpCalls {
  private nextToken = 1;

  constructor(private readonly clusters: Readonly<Record<string, HttpCallCluster>>) {}

  /** Envoy's Context::httpCall checks, then the call; the answer is delivered to rootId's context. */
  dispatch(
    vm: CallingVm,
    rootId: number,
    cluster: string,
    request: HttpCallRequest,
  ): { result: WasmResult; token?: number } {
    // The timeout arrives as a uint32 and Envoy reads it as an int: 2^31 and above are negative, refused.
    if (request.timeoutMs > 0x7fffffff) return { result: WasmResult.BadArgument };
    const target = Object.hasOwn(this.clusters, cluster) ? this.clusters[cluster] : undefined;
    if (!target) return { result: WasmResult.BadArgument };
    const { headers } = request;
    if (!header(headers, ':path') || !header(headers, ':method') || !header(headers, ':authority')) {
      return { result: WasmResult.BadArgument };
    }
    const token = this.nextToken++;
    const withLength: HeaderPairs =
      request.body.length > 0
        ? [
            ...headers.filter(([k]) => k.toLowerCase() !== 'content-length'),
            ['content-length', String(request.body.length)],
          ]
        : headers;
    // Never inside the call that made it: Envoy's answer comes from the event loop, after this callback returns.
    setImmediate(() => {
      target({ ...request, headers: withLength }).then(
        (response) => {
          if (!vm.failure) vm.deliverHttpCall(rootId, token, response);
        },
        () => {
          if (!vm.failure) vm.deliverHttpCall(rootId, token, undefined);
        },
      );
    });
    return { result: WasmResult.Ok, token };
  }
}

/** The view proxy_on_http_call_response reads; a failure reads as no headers, no body. */
export function responseView(response: HttpCallResponse | undefined): CallResponseView | undefined {
  if (!response) return undefined;
  return {
    headers: new HeaderMap(response.headers),
    trailers: new HeaderMap(response.trailers),
    body: new HostBuffer(response.body),
  };
}
