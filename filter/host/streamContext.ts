// The stream context a module's HTTP callbacks run in: header maps, bodies, properties, local reply capture.

import { BufferType, MapType, StreamType, WasmResult } from './abi.js';
import { Context, HostBuffer, type LocalReply } from './context.js';
import { HeaderMap } from './headerMap.js';
import type { HeaderPairs } from './memory.js';
import { lookup, mergeProperties, type PropertyMap, type PropertyValue } from './properties.js';

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

  /** request.* and response.* read the live header maps; everything else comes from the stream's fixed attributes. */
  override property(segments: string[]): PropertyValue | undefined {
    if (segments[0] === 'request' || segments[0] === 'response') return lookup(this.properties(), segments);
    return lookup(this.attributes(), segments);
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
