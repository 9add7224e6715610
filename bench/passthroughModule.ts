// A hand-encoded proxy-wasm 0.2.1 module that passes every stream through untouched: the host-only baseline for
// the filter benchmark (there is no wat compiler in the toolchain, so the binary is written out here).

import { section, sleb, uleb, name as utf8, vec } from './wasmBinary.js';

const I32 = 0x7f;
const op = {
  end: 0x0b,
  if: 0x04,
  void: 0x40,
  return: 0x0f,
  drop: 0x1a,
  localGet: 0x20,
  localSet: 0x21,
  globalGet: 0x23,
  globalSet: 0x24,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Const: 0x41,
  i32Eq: 0x46,
  i32GtU: 0x4b,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
} as const;
const i32 = (n: number): number[] => [op.i32Const, ...sleb(n)];

/** Function types, by index. */
const TYPES: number[][] = [
  [0x60, 0, 0], // 0: () -> ()
  [0x60, 1, I32, 1, I32], // 1: (i32) -> i32
  [0x60, 1, I32, 0], // 2: (i32) -> ()
  [0x60, 2, I32, I32, 0], // 3: (i32, i32) -> ()
  [0x60, 2, I32, I32, 1, I32], // 4: (i32, i32) -> i32
  [0x60, 3, I32, I32, I32, 1, I32], // 5: (i32, i32, i32) -> i32
];

/** Where the bump allocator starts; below it is left unused. */
const HEAP_BASE = 1024;
const INITIAL_PAGES = 2;

/**
 * malloc(size) -> ptr: a bump allocator over global 0, 8-byte aligned, growing memory when the new top passes its
 * end; 0 when memory cannot grow. Nothing is freed (this module never asks the host for data, so the host has no
 * reason to call it during a stream).
 */
const MALLOC: number[] = [
  vec([[1, I32]]), // one local (1): ptr
  [op.globalGet, 0],
  [op.localSet, 1],
  // heap = (ptr + size + 7) & ~7
  [op.localGet, 1],
  [op.localGet, 0],
  [op.i32Add],
  i32(7),
  [op.i32Add],
  i32(-8),
  [op.i32And],
  [op.globalSet, 0],
  // if (heap > memory.size << 16) grow by ceil((heap - (memory.size << 16)) / 65536) pages
  [op.globalGet, 0],
  [op.memorySize, 0],
  i32(16),
  [op.i32Shl],
  [op.i32GtU],
  [op.if, op.void],
  [op.globalGet, 0],
  [op.memorySize, 0],
  i32(16),
  [op.i32Shl],
  [op.i32Sub],
  i32(0xffff),
  [op.i32Add],
  i32(16),
  [op.i32ShrU],
  [op.memoryGrow, 0],
  i32(-1),
  [op.i32Eq],
  [op.if, op.void],
  [op.localGet, 1],
  [op.globalSet, 0],
  i32(0),
  [op.return],
  [op.end],
  [op.end],
  [op.localGet, 1],
  [op.end],
].flat();

/** A body with no locals that returns `result` (or nothing). */
const returns = (result?: number): number[] => [0, ...(result === undefined ? [] : i32(result)), op.end];

/** The exported functions: name, type index, body. proxy_on_* return what lets the stream continue. */
const FUNCTIONS: Array<[name: string, type: number, body: number[]]> = [
  ['malloc', 1, MALLOC],
  ['proxy_abi_version_0_2_1', 0, returns()],
  ['proxy_on_context_create', 3, returns()],
  ['proxy_on_vm_start', 4, returns(1)],
  ['proxy_on_configure', 4, returns(1)],
  ['proxy_on_request_headers', 5, returns(0)], // Continue
  ['proxy_on_request_body', 5, returns(0)], // Continue
  ['proxy_on_response_headers', 5, returns(0)],
  ['proxy_on_response_body', 5, returns(0)],
  ['proxy_on_log', 2, returns()],
  ['proxy_on_done', 1, returns(1)], // done now: the host may delete the context
  ['proxy_on_delete', 2, returns()],
];

/** The module's bytes: exports memory and the functions above, imports nothing. */
export function passthroughModule(): Uint8Array {
  const exports = [[...utf8('memory'), 0x02, 0], ...FUNCTIONS.map(([name], i) => [...utf8(name), 0x00, ...uleb(i)])];
  const bodies = FUNCTIONS.map(([, , body]) => [...uleb(body.length), ...body]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(TYPES)),
    ...section(3, vec(FUNCTIONS.map(([, type]) => uleb(type)))),
    ...section(5, vec([[0x00, ...uleb(INITIAL_PAGES)]])), // min pages, no maximum
    ...section(6, vec([[I32, 0x01, ...i32(HEAP_BASE), op.end]])), // global 0: mutable i32 heap top
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
