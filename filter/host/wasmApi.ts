// Typed access to Node's WebAssembly global: tsconfig's lib (ES2023, no DOM) does not declare its classes.

/** Opaque compiled module. */
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmDescriptor {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}
export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): WasmDescriptor[];
    exports(module: WasmModule): Array<Omit<WasmDescriptor, 'module'>>;
  };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
