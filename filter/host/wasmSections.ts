// Reads a wasm binary's section layout, to refuse a module whose start section Envoy's wasmtime runtime would trap in.

import { WasmLoadError } from './vm.js';

/** The start section's id in the binary format; its body is one function index. */
const START_SECTION = 8;
const HEADER_BYTES = 8; // "\0asm" and the version

/** Unsigned LEB128 at `at`: the value and the offset after it, or undefined when it runs past the end. */
function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  // Five bytes cover a u32 (wasm's section sizes and indices); multiplication keeps the top bits out of int32 range.
  for (let i = 0; i < 5 && at + i < bytes.length; i++) {
    const byte = bytes[at + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return undefined;
}

/**
 * The function index a module's start section names, or undefined without one. Walks the section headers (id byte,
 * LEB128 size) rather than searching for the id, because a custom section (id 0) may appear anywhere and its bytes,
 * like any section's, may contain 8. Expects bytes that already compiled; a truncated walk reports no start section.
 */
export function startFunctionIndex(bytes: Uint8Array): number | undefined {
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readUleb(bytes, at + 1);
    if (!size) return undefined;
    if (id === START_SECTION) return readUleb(bytes, size.next)?.value;
    at = size.next + size.value;
  }
  return undefined;
}

/**
 * Refuses a module with a start section. proxy-wasm-cpp-host's wasmtime runtime turns on epoch interruption but sets
 * a deadline only before each exported call, so a start function, which runs while the instance is created, traps at
 * once ("Failed to create new Wasm instance: wasm trap: interrupt"). V8 would run it; this host refuses it anyway, so
 * a module that loads here does not fail that way when Envoy runs it on wasmtime.
 */
export function refuseStartSection(bytes: Uint8Array): void {
  const start = startFunctionIndex(bytes);
  if (start === undefined) return;
  throw new WasmLoadError(
    `Wasm module has a start section (function ${start}), which traps under proxy-wasm-cpp-host's wasmtime ` +
      `runtime ("wasm trap: interrupt": no epoch deadline is set while the module is instantiated). ` +
      'Build it as a reactor: rebuild with --exportStart _initialize, which the host calls before proxy_on_vm_start.',
  );
}
