// Compiles test/fixtures/wasm/configHarness.ts (filter/assembly/config.ts behind plain exports) and wraps it, so the
// configuration tests drive the parser the filter runs in on_configure.
import { readFileSync } from 'node:fs';
import { compileAsc } from '../support/asc.js';

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  RuntimeError: new () => Error;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export enum ConfigError {
  Ok = 0,
  Empty = 1,
  TooLarge = 2,
  Syntax = 3,
  BadUtf8 = 4,
  TooDeep = 5,
  UnknownKey = 6,
  DuplicateKey = 7,
  Missing = 8,
  WrongType = 9,
  OutOfRange = 10,
  BadValue = 11,
  Conflict = 12,
}

interface Exports {
  memory: { readonly buffer: ArrayBuffer };
  input(len: number): number;
  parse(ptr: number, len: number): number;
  message(): number;
  dump(): number;
  output(): number;
}

export interface ParseOutcome {
  error: ConfigError;
  /** `<path>: <problem>`; empty when accepted. */
  message: string;
  /** The canonical dump of every parsed field (defaults filled in); undefined when refused. */
  config?: Record<string, unknown>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class ConfigHarness {
  constructor(private readonly exports: Exports) {}

  private read(len: number): string {
    return decoder.decode(new Uint8Array(this.exports.memory.buffer, this.exports.output(), len));
  }

  parse(doc: string | Uint8Array | object): ParseOutcome {
    const bytes = doc instanceof Uint8Array ? doc : encoder.encode(typeof doc === 'string' ? doc : JSON.stringify(doc));
    const ptr = this.exports.input(Math.max(bytes.length, 1));
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    const error = this.exports.parse(ptr, bytes.length) as ConfigError;
    const message = this.read(this.exports.message());
    if (error !== ConfigError.Ok) return { error, message };
    const n = this.exports.dump();
    return { error, message, config: JSON.parse(this.read(n)) as Record<string, unknown> };
  }
}

export const repoFile = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

export const example = (mode: 'gateway' | 'sidecar'): Record<string, unknown> =>
  JSON.parse(repoFile(`filter/examples/${mode}.json`)) as Record<string, unknown>;

/** Compiles with the filter's release runtime (incremental GC), so allocation during parsing is exercised as shipped. */
export async function compileConfigHarness(): Promise<ConfigHarness> {
  const binary = await compileAsc({
    entry: 'test/fixtures/wasm/configHarness.ts',
    runtime: 'incremental',
    abort: 'test/fixtures/wasm/configHarness/harnessAbort',
  });
  const instance = new Wasm.Instance(new Wasm.Module(binary), {});
  return new ConfigHarness(instance.exports as Exports);
}
