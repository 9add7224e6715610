// Reading and writing a module's linear memory, and the ABI's byte encodings (pairs, ints, bools); no host state.

import { WasmResult } from './abi.js';
import type { WasmMemory } from './wasmApi.js';

export type HeaderPairs = Array<[string, string]>;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A host-call failure that maps to a WasmResult, like cpp-host's early returns. */
export class AbiError extends Error {
  constructor(readonly result: WasmResult) {
    super(`proxy-wasm call failed with ${WasmResult[result]}`);
  }
}

export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? utf8.encode(value) : value;
}

export function toText(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Ints are 8-byte little-endian, as Envoy serializes CEL int/uint values. */
export function encodeInt64(value: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(value), true);
  return out;
}

export function decodeInt64(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(0, true);
}

export function encodeBool(value: boolean): Uint8Array {
  return Uint8Array.of(value ? 1 : 0);
}

/** u32 count, (u32 key_len, u32 val_len) per entry, then each key and value followed by NUL. */
export function serializePairs(pairs: HeaderPairs): Uint8Array {
  return serializeBytePairs(pairs.map(([k, v]) => [utf8.encode(k), utf8.encode(v)] as const));
}

/** serializePairs for keys and values that are already bytes (Envoy's serialized list items, for one). */
export function serializeBytePairs(encoded: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  let size = 4 + encoded.length * 8;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, encoded.length, true);
  let offset = 4;
  for (const [k, v] of encoded) {
    view.setUint32(offset, k.length, true);
    view.setUint32(offset + 4, v.length, true);
    offset += 8;
  }
  for (const [k, v] of encoded) {
    out.set(k, offset);
    offset += k.length + 1;
    out.set(v, offset);
    offset += v.length + 1;
  }
  return out;
}

/** Like cpp-host's toPairs: a buffer too short for its declared lengths yields no pairs at all. */
export function deserializePairs(bytes: Uint8Array): HeaderPairs {
  if (bytes.length < 4) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (4 + count * 8 > bytes.length) return [];
  const lengths: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) lengths.push([view.getUint32(4 + i * 8, true), view.getUint32(8 + i * 8, true)]);
  let offset = 4 + count * 8;
  const out: HeaderPairs = [];
  for (const [kl, vl] of lengths) {
    if (offset + kl + vl + 2 > bytes.length) return [];
    const k = toText(bytes.subarray(offset, offset + kl));
    offset += kl + 1;
    const v = toText(bytes.subarray(offset, offset + vl));
    offset += vl + 1;
    out.push([k, v]);
  }
  return out;
}

/** A view on one instance's memory; re-reads the buffer each time because memory.grow detaches it. */
export class ModuleMemory {
  constructor(
    private readonly memory: WasmMemory,
    private readonly allocate: (size: number) => number,
  ) {}

  // Views are rebuilt only when memory.grow has replaced the buffer, not on every host call.
  private buffer: ArrayBuffer | undefined;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0));

  private check(ptr: number, len: number): Uint8Array {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.bytes = new Uint8Array(buffer);
      this.view = new DataView(buffer);
    }
    if (ptr < 0 || len < 0 || ptr + len > this.bytes.length) throw new AbiError(WasmResult.InvalidMemoryAccess);
    return this.bytes;
  }

  read(ptr: number, len: number): Uint8Array {
    return this.check(ptr, len).slice(ptr, ptr + len);
  }

  readText(ptr: number, len: number): string {
    return toText(this.check(ptr, len).subarray(ptr, ptr + len));
  }

  write(ptr: number, data: Uint8Array): void {
    this.check(ptr, data.length).set(data, ptr);
  }

  writeU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.view.setUint32(ptr, value >>> 0, true);
  }

  writeU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** copyToPointerSize: the module's allocator owns the copy; empty data writes (0, 0) without allocating. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): void {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.allocate(data.length) >>> 0;
      if (ptr === 0) throw new AbiError(WasmResult.InvalidMemoryAccess);
      this.write(ptr, data);
    }
    this.writeU32(ptrPtr, ptr);
    this.writeU32(sizePtr, data.length);
  }
}
