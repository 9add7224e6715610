// Compiles test/fixtures/wasm/scannerHarness.ts in memory with the AssemblyScript compiler and wraps its exports, so
// the scanner tests drive the same compiled code the filter runs.
import { compileAsc } from '../support/asc.js';

// tsconfig's lib (ES2023, no DOM) does not declare WebAssembly's classes; type the few parts used here.
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): Array<{ module: string; name: string; kind: string }>;
  };
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const entry = 'test/fixtures/wasm/scannerHarness.ts';

export enum ScanError {
  Ok = 0,
  Empty = 1,
  TooLarge = 2,
  TooDeep = 3,
  Syntax = 4,
  NotObject = 5,
  Batch = 6,
  BadUtf8 = 7,
  DuplicateKey = 8,
}

export enum JsonKind {
  None = 0,
  Object = 1,
  Array = 2,
  String = 3,
  Number = 4,
  True = 5,
  False = 6,
  Null = 7,
}

export enum ToolNameError {
  Ok = 0,
  Empty = 1,
  TooLong = 2,
  BadChar = 3,
  NoSeparator = 4,
  BadService = 5,
  BadTool = 6,
  Ambiguous = 7,
}

export const FIELDS = ['jsonrpc', 'id', 'method', 'params', 'params.name', 'params.uri', 'params.arguments'] as const;
export type Field = (typeof FIELDS)[number];

interface Exports {
  memory: { readonly buffer: ArrayBuffer };
  input(len: number): number;
  literal(len: number): number;
  scan(ptr: number, len: number, maxBytes: number, maxDepth: number): number;
  errorOffset(): number;
  topKind(): number;
  fieldStart(f: number): number;
  fieldEnd(f: number): number;
  fieldKind(f: number): number;
  fieldEscaped(f: number): number;
  fieldEquals(f: number, len: number): number;
  fieldDecode(f: number, maxBytes: number): number;
  fieldUnescape(f: number, cap: number): number;
  scratchPtr(): number;
  splitTool(ptr: number, len: number): number;
  splitToolFromScan(): number;
  toolBase(): number;
  toolServiceStart(): number;
  toolServiceLen(): number;
  toolStart(): number;
  toolLen(): number;
  toolDotted(): number;
}

export interface FieldRange {
  start: number;
  end: number;
  kind: JsonKind;
  escaped: boolean;
}

export interface ToolSplitResult {
  code: ToolNameError;
  service?: string;
  tool?: string;
  dotted?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class Harness {
  private last: Uint8Array = new Uint8Array();

  constructor(readonly exports: Exports) {}

  private write(bytes: Uint8Array, ptr: number): void {
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
  }

  scan(body: Uint8Array | string, maxBytes = 1 << 20, maxDepth = 64): ScanError {
    const bytes = typeof body === 'string' ? encoder.encode(body) : body;
    const ptr = this.exports.input(Math.max(bytes.length, 1));
    this.write(bytes, ptr);
    this.last = bytes;
    return this.exports.scan(ptr, bytes.length, maxBytes, maxDepth);
  }

  errorOffset(): number {
    return this.exports.errorOffset();
  }

  topKind(): JsonKind {
    return this.exports.topKind();
  }

  field(name: Field): FieldRange {
    const f = FIELDS.indexOf(name);
    const e = this.exports;
    return { start: e.fieldStart(f), end: e.fieldEnd(f), kind: e.fieldKind(f), escaped: e.fieldEscaped(f) === 1 };
  }

  /** The raw JSON text of a recorded field, or undefined when it is absent. */
  raw(name: Field): string | undefined {
    const r = this.field(name);
    if (r.kind === JsonKind.None) return undefined;
    return decoder.decode(this.last.subarray(r.start, r.end));
  }

  equals(name: Field, literal: string): boolean {
    const bytes = encoder.encode(literal);
    const ptr = this.exports.literal(Math.max(bytes.length, 1));
    this.write(bytes, ptr);
    return this.exports.fieldEquals(FIELDS.indexOf(name), bytes.length) === 1;
  }

  /** decodeString's answer as a JS string, or null. */
  decode(name: Field, maxBytes = 256): string | null {
    const ptr = this.exports.fieldDecode(FIELDS.indexOf(name), maxBytes);
    if (ptr === 0) return null;
    const view = new DataView(this.exports.memory.buffer);
    const byteLen = view.getUint32(ptr - 4, true); // AssemblyScript object header: rtSize precedes the payload
    let out = '';
    for (let i = 0; i < byteLen; i += 2) out += String.fromCharCode(view.getUint16(ptr + i, true));
    return out;
  }

  /** unescapeUtf8's bytes, or null when it refused. */
  unescape(name: Field, cap = 256): Uint8Array | null {
    const n = this.exports.fieldUnescape(FIELDS.indexOf(name), cap);
    if (n < 0) return null;
    return new Uint8Array(this.exports.memory.buffer, this.exports.scratchPtr(), n).slice();
  }

  splitTool(name: Uint8Array | string): ToolSplitResult {
    const bytes = typeof name === 'string' ? encoder.encode(name) : name;
    const ptr = this.exports.literal(Math.max(bytes.length, 1));
    this.write(bytes, ptr);
    return this.readSplit(this.exports.splitTool(ptr, bytes.length));
  }

  /** Splits params.name of the last scanned body the way the filter will (in place, or decoded when escaped). */
  splitToolFromScan(): ToolSplitResult | null {
    const code = this.exports.splitToolFromScan();
    return code < 0 ? null : this.readSplit(code);
  }

  private readSplit(code: ToolNameError): ToolSplitResult {
    if (code !== ToolNameError.Ok) return { code };
    const e = this.exports;
    const mem = new Uint8Array(e.memory.buffer);
    const base = e.toolBase();
    const text = (start: number, len: number) => decoder.decode(mem.subarray(base + start, base + start + len));
    return {
      code,
      service: text(e.toolServiceStart(), e.toolServiceLen()),
      tool: text(e.toolStart(), e.toolLen()),
      dotted: e.toolDotted() === 1,
    };
  }
}

export interface Compiled {
  binary: Uint8Array;
  module: WasmModule;
  harness: Harness;
}

/** Compiles the harness (-O3, stub runtime, own abort) and instantiates it with no imports at all. */
export async function compileHarness(): Promise<Compiled> {
  const binary = await compileAsc({
    entry,
    runtime: 'stub',
    abort: 'test/fixtures/wasm/scannerHarness/harnessAbort',
  });
  const module = new Wasm.Module(binary);
  const instance = new Wasm.Instance(module, {});
  return { binary, module, harness: new Harness(instance.exports as Exports) };
}
