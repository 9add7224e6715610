// The env.proxy_* host functions of ABI 0.2.1, with cpp-host's argument checks and result codes.

import { BUFFER_TYPE_MAX, BufferType, LogLevel, MAP_TYPE_MAX, MapType, WasmResult } from './abi.js';
import type { Context, HostBuffer } from './context.js';
import type { HeaderMap } from './headerMap.js';
import type { CallResponseView, HttpCallRequest } from './httpCalls.js';
import { AbiError, deserializePairs, type ModuleMemory, serializePairs, toBytes } from './memory.js';
import type { VmMetrics } from './metrics.js';
import { PROFILE_MODULE, type Profile } from './profile.js';
import { encodeProperty, splitPath } from './properties.js';
import type { QueueOwner, SharedData, SharedQueues } from './sharedData.js';
import { wasiFunctions } from './wasi.js';
import type { WasmImports } from './wasmApi.js';

/** What the host functions need from the VM that runs them. */
export interface ImportHost {
  readonly memory: ModuleMemory;
  readonly vmId: string;
  /** Which worker this VM simulates. */
  readonly index: number;
  readonly envs: Record<string, string>;
  readonly logLevel: LogLevel;
  readonly shared: SharedData;
  readonly queues: SharedQueues;
  readonly metrics: VmMetrics;
  /** The context of the running call, or the one proxy_set_effective_context chose. */
  context(): Context;
  setEffectiveContext(id: number): WasmResult;
  log(level: LogLevel, message: string): void;
  now(): bigint;
  setTickPeriod(ms: number): void;
  /** send_local_response forces the running callback's answer to Stop. */
  stopNextIteration(): void;
  /** proxy_done: the root context finished its pending work. */
  done(): WasmResult;
  /** Envoy posts on_queue_ready to the registering root context's thread; the plugin runs it after this call. */
  queueReady(owner: QueueOwner, token: number): void;
  /** proxy_http_call, made for the root context of the current (or effective) one. */
  httpCall(cluster: string, request: HttpCallRequest): { result: WasmResult; token?: number };
  /** The answer being delivered, during proxy_on_http_call_response only. */
  readonly callResponse: CallResponseView | undefined;
  /** When set, every host function call is counted here by name (a profile of what the module asks of Envoy). */
  readonly hostCalls: Map<string, number> | undefined;
  /** When set, host calls are timed on this timeline and the profile build's marks reach it (profile.ts). */
  readonly profile: Profile | undefined;
}

type HostFunction = (...args: never[]) => unknown;

const unimplemented = () => WasmResult.Unimplemented;

export function buildImports(host: ImportHost): WasmImports {
  const m = () => host.memory;
  const u = (n: number) => n >>> 0;
  const text = (ptr: number, len: number) => m().readText(u(ptr), u(len));
  const bytes = (ptr: number, len: number) => m().read(u(ptr), u(len));
  // An http call's answer is the root context's in Envoy, so any context reads it, during its callback only.
  const anyMap = (type: MapType): HeaderMap | undefined => {
    if (type === MapType.HttpCallResponseHeaders) return host.callResponse?.headers;
    if (type === MapType.HttpCallResponseTrailers) return host.callResponse?.trailers;
    return host.context().getMap(type);
  };
  const anyBuffer = (type: BufferType): HostBuffer | undefined =>
    type === BufferType.HttpCallResponseBody ? host.callResponse?.body : host.context().getBuffer(type);
  const mapOf = (type: number): HeaderMap => {
    if (u(type) > MAP_TYPE_MAX) throw new AbiError(WasmResult.BadArgument);
    const map = anyMap(u(type) as MapType);
    if (!map) throw new AbiError(WasmResult.BadArgument);
    return map;
  };
  const bufferOf = (type: number) => {
    if (u(type) > BUFFER_TYPE_MAX) throw new AbiError(WasmResult.BadArgument);
    const buffer = anyBuffer(u(type) as BufferType);
    if (!buffer) throw new AbiError(WasmResult.NotFound);
    return buffer;
  };

  const proxy: Record<string, HostFunction> = {
    proxy_log: (level: number, ptr: number, size: number) => {
      if (u(level) > LogLevel.Critical) return WasmResult.BadArgument;
      host.log(u(level), text(ptr, size));
      return WasmResult.Ok;
    },
    proxy_get_log_level: (ptr: number) => {
      m().writeU32(u(ptr), host.logLevel);
      return WasmResult.Ok;
    },
    proxy_get_status: unimplemented,
    proxy_set_tick_period_milliseconds: (ms: number) => {
      host.setTickPeriod(u(ms));
      return WasmResult.Ok;
    },
    proxy_get_current_time_nanoseconds: (ptr: number) => {
      m().writeU64(u(ptr), host.now());
      return WasmResult.Ok;
    },
    proxy_get_property: (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
      const raw = text(pathPtr, pathSize);
      const context = host.context();
      const stored = context.setProperties.get(raw);
      if (stored) {
        m().copyOut(stored, u(ptrPtr), u(sizePtr));
        return WasmResult.Ok;
      }
      const value = context.property(splitPath(raw));
      if (value === undefined) return WasmResult.NotFound;
      const encoded = encodeProperty(value);
      if (!encoded.bytes) return encoded.result;
      m().copyOut(encoded.bytes, u(ptrPtr), u(sizePtr));
      return WasmResult.Ok;
    },
    proxy_set_property: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
      const context = host.context();
      // Envoy keeps these in the stream's filter state; a root context has no stream to keep them in.
      if (context.isRoot) return WasmResult.NotFound;
      context.setProperties.set(text(keyPtr, keySize), bytes(valuePtr, valueSize));
      return WasmResult.Ok;
    },
    proxy_continue_stream: (type: number) => host.context().continueStream(u(type)),
    proxy_close_stream: (type: number) => host.context().closeStream(u(type)),
    proxy_send_local_response: (
      status: number,
      detailsPtr: number,
      detailsSize: number,
      bodyPtr: number,
      bodySize: number,
      pairsPtr: number,
      pairsSize: number,
      grpcStatus: number,
    ) => {
      const details = text(detailsPtr, detailsSize);
      const body = bytes(bodyPtr, bodySize);
      const headers = deserializePairs(bytes(pairsPtr, pairsSize));
      const result = host.context().sendLocalResponse({ status: u(status), body, headers, details, grpcStatus });
      host.stopNextIteration();
      return result;
    },
    proxy_get_shared_data: (keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
      const entry = host.shared.get(host.vmId, text(keyPtr, keySize));
      if (!entry) return WasmResult.NotFound;
      m().copyOut(entry.value, u(ptrPtr), u(sizePtr));
      m().writeU32(u(casPtr), entry.cas);
      return WasmResult.Ok;
    },
    proxy_set_shared_data: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) =>
      host.shared.set(host.vmId, text(keyPtr, keySize), bytes(valuePtr, valueSize), u(cas)),
    proxy_register_shared_queue: (namePtr: number, nameSize: number, tokenPtr: number) => {
      const context = host.context();
      const owner = { vm: host.index, context: context.isRoot ? context.id : context.rootId };
      const token = host.queues.register(host.vmId, text(namePtr, nameSize), owner);
      m().writeU32(u(tokenPtr), token);
      return WasmResult.Ok;
    },
    proxy_resolve_shared_queue: (
      vmPtr: number,
      vmSize: number,
      namePtr: number,
      nameSize: number,
      tokenPtr: number,
    ) => {
      const vmId = text(vmPtr, vmSize) || host.vmId;
      const token = host.queues.resolve(vmId, text(namePtr, nameSize));
      if (token === undefined) return WasmResult.NotFound;
      m().writeU32(u(tokenPtr), token);
      return WasmResult.Ok;
    },
    proxy_enqueue_shared_queue: (token: number, ptr: number, size: number) => {
      const { result, owner } = host.queues.enqueue(u(token), bytes(ptr, size));
      if (owner) host.queueReady(owner, u(token));
      return result;
    },
    proxy_dequeue_shared_queue: (token: number, ptrPtr: number, sizePtr: number) => {
      const { result, data } = host.queues.dequeue(u(token));
      if (data) m().copyOut(data, u(ptrPtr), u(sizePtr));
      return result;
    },
    proxy_get_header_map_value: (type: number, keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number) => {
      const value = mapOf(type).get(text(keyPtr, keySize));
      if (value === undefined) return WasmResult.NotFound;
      m().copyOut(toBytes(value), u(ptrPtr), u(sizePtr));
      return WasmResult.Ok;
    },
    proxy_add_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) => {
      mapOf(type).add(text(kp, ks), text(vp, vs));
      return WasmResult.Ok;
    },
    proxy_replace_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) => {
      mapOf(type).replace(text(kp, ks), text(vp, vs));
      return WasmResult.Ok;
    },
    proxy_remove_header_map_value: (type: number, kp: number, ks: number) => {
      mapOf(type).remove(text(kp, ks));
      return WasmResult.Ok;
    },
    proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
      if (u(type) > MAP_TYPE_MAX) return WasmResult.BadArgument;
      // Envoy answers a map that does not exist in this phase as an empty one here, unlike the other map calls.
      const pairs = anyMap(u(type) as MapType)?.pairs() ?? [];
      // cpp-host hands back an empty string, not a serialized zero count, for an empty map.
      m().copyOut(pairs.length ? serializePairs(pairs) : new Uint8Array(), u(ptrPtr), u(sizePtr));
      return WasmResult.Ok;
    },
    proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
      mapOf(type).setAll(deserializePairs(bytes(ptr, size)));
      return WasmResult.Ok;
    },
    proxy_get_header_map_size: (type: number, resultPtr: number) => {
      m().writeU32(u(resultPtr), mapOf(type).byteSize());
      return WasmResult.Ok;
    },
    proxy_get_buffer_status: (type: number, lengthPtr: number, flagsPtr: number) => {
      const buffer = bufferOf(type);
      m().writeU32(u(lengthPtr), buffer.data.length);
      m().writeU32(u(flagsPtr), 0);
      return WasmResult.Ok;
    },
    proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
      const buffer = bufferOf(type);
      const from = u(start);
      let len = u(length);
      if (from + len > 0xffffffff) return WasmResult.BadArgument;
      // Reads past the end are clipped, and an empty read leaves the out-params untouched.
      if (from + len > buffer.data.length) len = Math.max(0, buffer.data.length - from);
      if (len > 0) m().copyOut(buffer.data.subarray(from, from + len), u(ptrPtr), u(sizePtr));
      return WasmResult.Ok;
    },
    proxy_set_buffer_bytes: (type: number, start: number, length: number, ptr: number, size: number) =>
      bufferOf(type).splice(u(start), u(length), bytes(ptr, size)),
    proxy_define_metric: (type: number, namePtr: number, nameSize: number, idPtr: number) => {
      const { result, id } = host.metrics.define(u(type), text(namePtr, nameSize));
      if (id !== undefined) m().writeU32(u(idPtr), id);
      return result;
    },
    proxy_increment_metric: (id: number, offset: bigint) => host.metrics.increment(u(id), BigInt.asIntN(64, offset)),
    proxy_record_metric: (id: number, value: bigint) => host.metrics.record(u(id), BigInt.asUintN(64, value)),
    proxy_get_metric: (id: number, resultPtr: number) => {
      const { result, value } = host.metrics.get(u(id));
      if (value !== undefined) m().writeU64(u(resultPtr), value);
      return result;
    },
    proxy_http_call: (
      clusterPtr: number,
      clusterSize: number,
      headersPtr: number,
      headersSize: number,
      bodyPtr: number,
      bodySize: number,
      trailersPtr: number,
      trailersSize: number,
      timeoutMs: number,
      tokenPtr: number,
    ) => {
      const { result, token } = host.httpCall(text(clusterPtr, clusterSize), {
        headers: deserializePairs(bytes(headersPtr, headersSize)),
        body: bytes(bodyPtr, bodySize).slice(),
        trailers: deserializePairs(bytes(trailersPtr, trailersSize)),
        timeoutMs: u(timeoutMs),
      });
      if (token !== undefined) m().writeU32(u(tokenPtr), token);
      return result;
    },
    proxy_grpc_call: unimplemented,
    proxy_grpc_stream: unimplemented,
    proxy_grpc_cancel: unimplemented,
    proxy_grpc_close: unimplemented,
    proxy_grpc_send: unimplemented,
    proxy_set_effective_context: (id: number) => host.setEffectiveContext(u(id)),
    proxy_done: () => host.done(),
    // No foreign functions are registered, which cpp-host answers with NotFound.
    proxy_call_foreign_function: (namePtr: number, nameSize: number, argPtr: number, argSize: number) => {
      text(namePtr, nameSize);
      bytes(argPtr, argSize);
      return WasmResult.NotFound;
    },
  };

  const profile = host.profile;
  const timed = (name: string, fn: HostFunction): HostFunction => (profile ? profile.timed(fn, name) : fn);
  const env: Record<string, HostFunction> = {};
  for (const [name, fn] of Object.entries(proxy)) env[name] = counted(host.hostCalls, name, timed(name, guarded(fn)));
  env['pthread_equal'] = (a: number, b: number) => (a === b ? 1 : 0);
  env['emscripten_notify_memory_growth'] = () => undefined;

  const wasi = Object.fromEntries(
    Object.entries(wasiFunctions(host)).map(([name, fn]) => [
      name,
      counted(host.hostCalls, name, timed(name, fn as HostFunction)),
    ]),
  );
  const imports: WasmImports = { env, wasi_snapshot_preview1: wasi, wasi_unstable: wasi };
  // Not an Envoy function: only a plugin asked to profile offers it, so a release module could never link to it.
  if (profile) imports[PROFILE_MODULE] = { mark: (section: number) => profile.mark(section) };
  return imports;
}

function counted(counts: Map<string, number> | undefined, name: string, fn: HostFunction): HostFunction {
  if (!counts) return fn;
  return (...args: never[]) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return fn(...args);
  };
}

/** AbiError becomes its result code; anything else is a host bug and propagates, failing the VM. */
function guarded(fn: HostFunction): HostFunction {
  return (...args: never[]) => {
    try {
      return fn(...args);
    } catch (error) {
      if (error instanceof AbiError) return error.result;
      throw error;
    }
  };
}
