// Compiles test/fixtures/wasm/scannerHarness.ts in memory with the AssemblyScript compiler and wraps its exports, so
// the scanner tests drive the same compiled code the filter runs. compileStringHarness builds a second, smaller
// module from an entry written here: the string scan and the response scan on their own, for the string properties.
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

/** What jsonString.ts's scanString answered: end is the offset after the closing quote, or -1 on failure. */
export interface StringScan {
  end: number;
  badUtf8: boolean;
  escaped: boolean;
}

/** A ResponseScan's state: the verdict (responseScan.ts's Verdict), the error code, and how far it read. */
export interface ResponseState {
  verdict: number;
  code: number;
  hasCode: boolean;
  done: boolean;
  scanned: number;
}

interface StringExports {
  memory: { readonly buffer: ArrayBuffer };
  input(len: number): number;
  scanStringAt(at: number, end: number): number;
  badUtf8(): number;
  escaped(): number;
  responseStart(sse: number): void;
  responseFeed(n: number): void;
  responseFinish(): void;
  verdict(): number;
  code(): number;
  hasCode(): number;
  done(): number;
  scanned(): number;
}

// The entry exists only in memory (test/fixtures/wasm holds the scanner's own harness); imports resolve from the root.
const STRING_ENTRY = 'stringHarness.ts';
const STRING_SOURCE = `
import { scanString, stringBadUtf8, stringEscaped } from './filter/assembly/jsonString';
import { ResponseScan } from './filter/assembly/responseScan';

let buf: usize = 0;
let scan = new ResponseScan(false);

// The input lies at the very end of linear memory, above all the allocator handed out: a read past it traps.
export function input(len: i32): usize {
  const need = heap.alloc(16) + 16 + <usize>len;
  const size = <usize>memory.size() << 16;
  if (need > size) memory.grow(<i32>((need - size + 0xffff) >> 16));
  buf = (<usize>memory.size() << 16) - <usize>len;
  return buf;
}

export function scanStringAt(at: i32, end: i32): i32 {
  const q = scanString(buf + <usize>at, buf + <usize>end);
  return q == 0 ? -1 : <i32>(q - buf);
}
export function badUtf8(): i32 { return stringBadUtf8 ? 1 : 0; }
export function escaped(): i32 { return stringEscaped ? 1 : 0; }

export function responseStart(sse: i32): void { scan = new ResponseScan(sse != 0); }
export function responseFeed(n: i32): void { scan.feed(buf, n); }
export function responseFinish(): void { scan.finish(); }
export function verdict(): i32 { return <i32>scan.verdict; }
export function code(): i32 { return scan.code; }
export function hasCode(): i32 { return scan.hasCode ? 1 : 0; }
export function done(): i32 { return scan.done ? 1 : 0; }
export function scanned(): i32 { return scan.scanned; }

export function harnessAbort(message: usize, fileName: usize, line: u32, column: u32): void {
  unreachable();
}
`;

export class StringHarness {
  constructor(readonly exports: StringExports) {}

  // Writes bytes where linear memory ends, so that reading one byte past them traps.
  private write(bytes: Uint8Array): void {
    const ptr = this.exports.input(bytes.length);
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
  }

  /** scanString on the string whose opening quote is at `at`, with the buffer ending at bytes.length. */
  scanString(bytes: Uint8Array, at: number): StringScan {
    this.write(bytes);
    const e = this.exports;
    const end = e.scanStringAt(at, bytes.length);
    return { end, badUtf8: e.badUtf8() === 1, escaped: e.escaped() === 1 };
  }

  /** A fresh ResponseScan fed the chunks in turn (each where memory ends), then, if asked, finished. */
  response(sse: boolean, chunks: Uint8Array[], finish: boolean): ResponseState {
    const e = this.exports;
    e.responseStart(sse ? 1 : 0);
    for (const chunk of chunks) {
      this.write(chunk);
      e.responseFeed(chunk.length);
    }
    if (finish) e.responseFinish();
    return {
      verdict: e.verdict(),
      code: e.code(),
      hasCode: e.hasCode() === 1,
      done: e.done() === 1,
      scanned: e.scanned(),
    };
  }
}

/** Compiles the string harness (-O3, stub runtime, no imports). */
export async function compileStringHarness(): Promise<StringHarness> {
  const binary = await compileAsc({ entry: STRING_ENTRY, source: STRING_SOURCE, abort: 'stringHarness/harnessAbort' });
  const instance = new Wasm.Instance(new Wasm.Module(binary), {});
  return new StringHarness(instance.exports as StringExports);
}
