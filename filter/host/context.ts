// What host functions may ask of the context a call runs in; root contexts answer the plugin-wide parts.

import { BufferType, type MapType, type StreamType, WasmResult } from './abi.js';
import type { HeaderMap } from './headerMap.js';
import type { HeaderPairs } from './memory.js';
import { lookup, type PropertyMap, type PropertyValue } from './properties.js';

export interface LocalReply {
  status: number;
  body: Uint8Array;
  headers: HeaderPairs;
  details: string;
  grpcStatus: number;
}

/** A buffer the module can read and splice, as cpp-host's BufferInterface. */
export class HostBuffer {
  constructor(public data: Uint8Array = new Uint8Array()) {}

  /**
   * set_buffer_bytes as Envoy implements it: start 0 drains `length` bytes and prepends, start at or past the end
   * appends, anything in between is BadArgument.
   */
  splice(start: number, length: number, data: Uint8Array): WasmResult {
    if (start === 0) {
      const rest = this.data.subarray(Math.min(length, this.data.length));
      const next = new Uint8Array(data.length + rest.length);
      next.set(data, 0);
      next.set(rest, data.length);
      this.data = next;
      return WasmResult.Ok;
    }
    if (start >= this.data.length) {
      const next = new Uint8Array(this.data.length + data.length);
      next.set(this.data, 0);
      next.set(data, this.data.length);
      this.data = next;
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }
}

export abstract class Context {
  /** Values written by proxy_set_property, readable back by the same path (Envoy keeps them in filter state). */
  readonly setProperties = new Map<string, Uint8Array>();

  /** A stream whose module acted on it outside its own callbacks (e.g. continued it from an http call's answer). */
  wake: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly rootId: number,
  ) {}

  get isRoot(): boolean {
    return this.rootId === 0;
  }

  getBuffer(_type: BufferType): HostBuffer | undefined {
    return undefined;
  }

  /** undefined: the map does not exist in this phase (Envoy answers BadArgument). */
  getMap(_type: MapType): HeaderMap | undefined {
    return undefined;
  }

  /** Attributes visible to proxy_get_property from this context. */
  abstract properties(): PropertyMap;

  /** One attribute by its path; subclasses may answer without building the whole map. */
  property(segments: string[]): PropertyValue | undefined {
    return lookup(this.properties(), segments);
  }

  sendLocalResponse(_reply: LocalReply): WasmResult {
    return WasmResult.BadArgument;
  }

  continueStream(_type: StreamType): WasmResult {
    return WasmResult.BadArgument;
  }

  closeStream(_type: StreamType): WasmResult {
    return WasmResult.BadArgument;
  }
}

/** The per-plugin root context: configuration buffers, ticks, queues; no HTTP state. */
export class RootContext extends Context {
  private readonly pluginConfig: HostBuffer;
  private readonly vmConfig: HostBuffer;

  constructor(
    id: number,
    pluginConfiguration: Uint8Array,
    vmConfiguration: Uint8Array,
    private readonly attributes: () => PropertyMap,
  ) {
    super(id, 0);
    this.pluginConfig = new HostBuffer(pluginConfiguration);
    this.vmConfig = new HostBuffer(vmConfiguration);
  }

  override getBuffer(type: BufferType): HostBuffer | undefined {
    if (type === BufferType.PluginConfiguration) return this.pluginConfig;
    if (type === BufferType.VmConfiguration) return this.vmConfig;
    return undefined;
  }

  override properties(): PropertyMap {
    return this.attributes();
  }
}
