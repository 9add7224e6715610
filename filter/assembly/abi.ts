// The filter's own thin proxy-wasm ABI 0.2.1 layer: the host functions it imports (only those it uses, since Envoy
// refuses a module with an import it does not provide) and small wrappers that copy host memory in and out.

import { enter, HEADERS, leave } from './profile';

@external("env", "proxy_log")
declare function proxy_log(level: u32, ptr: usize, size: usize): u32;
@external("env", "proxy_get_current_time_nanoseconds")
declare function proxy_get_current_time_nanoseconds(resultPtr: usize): u32;
@external("env", "proxy_get_buffer_bytes")
declare function proxy_get_buffer_bytes(type: u32, start: u32, len: u32, ptrPtr: usize, sizePtr: usize): u32;
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(type: u32, start: u32, len: u32, ptr: usize, size: usize): u32;
@external("env", "proxy_get_header_map_value")
declare function proxy_get_header_map_value(type: u32, kp: usize, ks: usize, ptrPtr: usize, sizePtr: usize): u32;
@external("env", "proxy_get_header_map_pairs")
declare function proxy_get_header_map_pairs(type: u32, ptrPtr: usize, sizePtr: usize): u32;
@external("env", "proxy_replace_header_map_value")
declare function proxy_replace_header_map_value(type: u32, kp: usize, ks: usize, vp: usize, vs: usize): u32;
@external("env", "proxy_remove_header_map_value")
declare function proxy_remove_header_map_value(type: u32, kp: usize, ks: usize): u32;
@external("env", "proxy_get_property")
declare function proxy_get_property(pp: usize, ps: usize, ptrPtr: usize, sizePtr: usize): u32;
@external("env", "proxy_send_local_response")
declare function proxy_send_local_response(
  status: u32, dp: usize, ds: usize, bp: usize, bs: usize, hp: usize, hs: usize, grpc: i32,
): u32;
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(kp: usize, ks: usize, ptrPtr: usize, sizePtr: usize, casPtr: usize): u32;
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(kp: usize, ks: usize, vp: usize, vs: usize, cas: u32): u32;
@external("env", "proxy_define_metric")
declare function proxy_define_metric(type: u32, np: usize, ns: usize, idPtr: usize): u32;
@external("env", "proxy_increment_metric")
declare function proxy_increment_metric(id: u32, offset: i64): u32;
@external("env", "proxy_record_metric")
declare function proxy_record_metric(id: u32, value: u64): u32;
// Envoy gives a VM the environment variables its vm_config names (environment_variables), through WASI.
@external("env", "proxy_http_call")
declare function proxy_http_call(
  cp: usize, cs: usize, hp: usize, hs: usize, bp: usize, bs: usize, tp: usize, ts: usize, timeoutMs: u32, tokenPtr: usize,
): u32;
@external("env", "proxy_set_effective_context")
declare function proxy_set_effective_context(id: u32): u32;
@external("env", "proxy_continue_stream")
declare function proxy_continue_stream(type: u32): u32;
@external("env", "proxy_set_tick_period_milliseconds")
declare function proxy_set_tick_period_milliseconds(ms: u32): u32;
@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function environ_sizes_get(countPtr: usize, sizePtr: usize): u16;
@external("wasi_snapshot_preview1", "environ_get")
declare function environ_get(arrayPtr: usize, bufPtr: usize): u16;

export const RESULT_OK: u32 = 0;
export const RESULT_NOT_FOUND: u32 = 1;
export const RESULT_CAS_MISMATCH: u32 = 8;

export const REQUEST_HEADERS: u32 = 0;
export const RESPONSE_HEADERS: u32 = 2;
export const REQUEST_BODY: u32 = 0;
export const RESPONSE_BODY: u32 = 1;
export const PLUGIN_CONFIGURATION: u32 = 7;
export const CALL_RESPONSE_HEADERS: u32 = 6;
export const CALL_RESPONSE_BODY: u32 = 4;
const STREAM_REQUEST: u32 = 0;

export const HEADERS_CONTINUE: u32 = 0;
export const HEADERS_STOP: u32 = 1;
export const DATA_CONTINUE: u32 = 0;
export const DATA_STOP_BUFFER: u32 = 1;
export const DATA_STOP_NO_BUFFER: u32 = 3;

export const METRIC_COUNTER: u32 = 0;
export const METRIC_HISTOGRAM: u32 = 2;

export const LOG_INFO: u32 = 2;
export const LOG_ERROR: u32 = 4;

// Out-parameters the host writes; the wrappers read them right after each call, so one set serves the whole VM.
const outPtr = memory.data(8);
const outSize = memory.data(8);
const outCas = memory.data(8);

// The host copies every header, property and body it hands over into memory from our malloc, and the filter lets
// each copy go before its callback returns. So copies come from a bump arena reset at the start of every callback
// (a fraction of TLSF's cost per allocation); only what does not fit goes to the heap.
const ARENA_BYTES: usize = 32768;
const arena: usize = heap.alloc(ARENA_BYTES);
let arenaTop: usize = 0;

/** The module's malloc / proxy_on_memory_allocate. */
export function hostAlloc(size: usize): usize {
  const aligned = (size + 7) & ~(<usize>7);
  if (arenaTop + aligned <= ARENA_BYTES) {
    const p = arena + arenaTop;
    arenaTop += aligned;
    return p;
  }
  return heap.alloc(size);
}

/** Called first in every callback: nothing from the arena outlives the callback that asked for it. */
export function resetArena(): void {
  arenaTop = 0;
}

/** Host-owned copies are made with our malloc; whoever takes one frees it with release(). */
export class HostBytes {
  ptr: usize = 0;
  len: i32 = 0;
}

function take(into: HostBytes): void {
  into.ptr = load<usize>(outPtr);
  into.len = <i32>load<usize>(outSize);
}

function freeCopy(p: usize): void {
  if (p != 0 && (p < arena || p >= arena + ARENA_BYTES)) heap.free(p);
}

export function release(b: HostBytes): void {
  freeCopy(b.ptr);
  b.ptr = 0;
  b.len = 0;
}

function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

// Header names come from the code or the configuration, a small fixed set: each is encoded once, not per request.
const names = new Map<string, ArrayBuffer>();

function nameBytes(name: string): ArrayBuffer {
  if (names.has(name)) return names.get(name);
  const b = utf8(name);
  names.set(name, b);
  return b;
}

export function logBytes(level: u32, ptr: usize, len: usize): void {
  proxy_log(level, ptr, len);
}

export function log(level: u32, message: string): void {
  const b = utf8(message);
  proxy_log(level, changetype<usize>(b), b.byteLength);
}

/** proxy_on_tick every `ms` on this root context, in each worker (0: none). */
export function setTickPeriod(ms: u32): void {
  proxy_set_tick_period_milliseconds(ms);
}

export function nowNanos(): u64 {
  store<u64>(outPtr, 0);
  proxy_get_current_time_nanoseconds(outPtr);
  return load<u64>(outPtr);
}

/** Copies [0, len) of a buffer (request body, plugin configuration) into `into`; false when there is none. */
export function bufferBytes(type: u32, len: i32, into: HostBytes): bool {
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  if (proxy_get_buffer_bytes(type, 0, <u32>len, outPtr, outSize) != RESULT_OK) return false;
  take(into);
  return true;
}

/** Replaces [0, len) of a buffer (a response body) with data. */
export function replaceBuffer(type: u32, len: i32, data: ArrayBuffer): void {
  proxy_set_buffer_bytes(type, 0, <u32>len, changetype<usize>(data), data.byteLength);
}

export function getHeader(map: u32, name: string): string | null {
  enter(HEADERS);
  const k = nameBytes(name);
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  if (proxy_get_header_map_value(map, changetype<usize>(k), k.byteLength, outPtr, outSize) != RESULT_OK) {
    leave();
    return null;
  }
  const p = load<usize>(outPtr);
  const n = load<usize>(outSize);
  const s = String.UTF8.decodeUnsafe(p, n);
  freeCopy(p);
  leave();
  return s;
}

/** A header's value copied into `into`, undecoded; false when absent. key: the name's UTF-8, encoded once. */
export function headerValue(map: u32, key: ArrayBuffer, into: HostBytes): bool {
  enter(HEADERS);
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  if (proxy_get_header_map_value(map, changetype<usize>(key), key.byteLength, outPtr, outSize) != RESULT_OK) {
    leave();
    return false;
  }
  take(into);
  leave();
  return true;
}

export function setHeader(map: u32, name: string, value: string): void {
  enter(HEADERS);
  const k = nameBytes(name);
  const v = utf8(value);
  proxy_replace_header_map_value(map, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
  leave();
}

/** name must come from the code or the configuration (it is cached), not from a request. */
export function removeHeader(map: u32, name: string): void {
  enter(HEADERS);
  const k = name.length > 0 && names.has(name) ? names.get(name) : utf8(name);
  proxy_remove_header_map_value(map, changetype<usize>(k), k.byteLength);
  leave();
}

/** The serialized pairs of a header map (u32 count, then (u32 key_len, u32 value_len) per entry, then each key and
 * value followed by NUL) copied into `into`; false when the map is not available in this phase. */
export function headerPairs(map: u32, into: HostBytes): bool {
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  if (proxy_get_header_map_pairs(map, outPtr, outSize) != RESULT_OK) return false;
  take(into);
  return true;
}

/** A property path as the ABI wants it: the segments' UTF-8 joined by NUL. Built once, at configuration time. */
export function propertyPath(segments: string[]): ArrayBuffer {
  return String.UTF8.encode(segments.join('\0'));
}

/** A property by its encoded path; false on NotFound (a normal answer: the attribute is absent). */
export function getProperty(path: ArrayBuffer, into: HostBytes): bool {
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  if (proxy_get_property(changetype<usize>(path), path.byteLength, outPtr, outSize) != RESULT_OK) return false;
  take(into);
  return true;
}

/** Serialized header pairs for a local response, built from parallel name/value lists. */
function serializePairs(names: string[], values: string[]): ArrayBuffer {
  const n = names.length;
  const keys = new Array<ArrayBuffer>(n);
  const vals = new Array<ArrayBuffer>(n);
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    keys[i] = utf8(names[i]);
    vals[i] = utf8(values[i]);
    size += keys[i].byteLength + vals[i].byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let data = base + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const kl = <usize>keys[i].byteLength;
    const vl = <usize>vals[i].byteLength;
    store<u32>(base + 4 + <usize>i * 8, <u32>kl);
    store<u32>(base + 8 + <usize>i * 8, <u32>vl);
    memory.copy(data, changetype<usize>(keys[i]), kl);
    store<u8>(data + kl, 0);
    data += kl + 1;
    memory.copy(data, changetype<usize>(vals[i]), vl);
    store<u8>(data + vl, 0);
    data += vl + 1;
  }
  return out;
}

/**
 * proxy_http_call to an Envoy cluster; the answer comes to the root context's proxy_on_http_call_response under the
 * returned token. 0: the host refused the call (no such cluster, headers missing).
 */
export function httpCall(cluster: string, names: string[], values: string[], body: string, timeoutMs: u32): u32 {
  const c = utf8(cluster);
  const h = serializePairs(names, values);
  const b = utf8(body);
  store<u32>(outCas, 0);
  const r = proxy_http_call(
    changetype<usize>(c),
    c.byteLength,
    changetype<usize>(h),
    h.byteLength,
    changetype<usize>(b),
    b.byteLength,
    0,
    0,
    timeoutMs,
    outCas,
  );
  return r == RESULT_OK ? load<u32>(outCas) : 0;
}

/** Makes a stream the context later host calls act on (from a root callback); false when it no longer exists. */
export function enterStream(id: u32): bool {
  return proxy_set_effective_context(id) == RESULT_OK;
}

export function continueRequest(): void {
  proxy_continue_stream(STREAM_REQUEST);
}

export function sendLocalResponse(status: u32, details: string, body: string, names: string[], values: string[]): void {
  const d = utf8(details);
  const b = utf8(body);
  const h = serializePairs(names, values);
  proxy_send_local_response(
    status,
    changetype<usize>(d),
    d.byteLength,
    changetype<usize>(b),
    b.byteLength,
    changetype<usize>(h),
    h.byteLength,
    -1,
  );
}

/** Shared data read: the value lands in `into` and its CAS in the return value; 0 when the key is absent. */
export function getShared(key: ArrayBuffer, into: HostBytes): u32 {
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  store<u32>(outCas, 0);
  if (proxy_get_shared_data(changetype<usize>(key), key.byteLength, outPtr, outSize, outCas) != RESULT_OK) {
    into.ptr = 0;
    into.len = 0;
    return 0;
  }
  take(into);
  return load<u32>(outCas);
}

export function setShared(key: ArrayBuffer, value: usize, len: i32, cas: u32): u32 {
  return proxy_set_shared_data(changetype<usize>(key), key.byteLength, value, <usize>len, cas);
}

/** Envoy numbers metrics from 0 (the type sits in the low bits), so "no metric" needs its own value. */
export const NO_METRIC: u32 = 0xffffffff;

export function defineMetric(type: u32, name: string): u32 {
  const n = utf8(name);
  store<u32>(outCas, 0);
  if (proxy_define_metric(type, changetype<usize>(n), n.byteLength, outCas) != RESULT_OK) return NO_METRIC;
  return load<u32>(outCas);
}

export function incrementMetric(id: u32, by: i64 = 1): void {
  if (id != NO_METRIC) proxy_increment_metric(id, by);
}

export function recordMetric(id: u32, value: u64): void {
  if (id != NO_METRIC) proxy_record_metric(id, value);
}

/** The value of the environment variable `name` as Envoy gives it to the VM, or null when it is not set. */
export function envValue(name: string): string | null {
  const sizes = memory.data(8);
  if (environ_sizes_get(sizes, sizes + 4) !== 0) return null;
  const count = load<u32>(sizes);
  const size = load<u32>(sizes, 4);
  if (count === 0 || size === 0) return null;
  const ptrs = new ArrayBuffer(<i32>count * 4);
  const buf = new ArrayBuffer(<i32>size);
  if (environ_get(changetype<usize>(ptrs), changetype<usize>(buf)) !== 0) return null;
  const prefix = name + '=';
  for (let i: u32 = 0; i < count; i++) {
    const start = load<u32>(changetype<usize>(ptrs) + (<usize>i << 2));
    let end = start;
    while (load<u8>(<usize>end) !== 0) end++;
    const entry = String.UTF8.decodeUnsafe(<usize>start, <usize>(end - start));
    if (entry.startsWith(prefix)) return entry.substring(prefix.length);
  }
  return null;
}
