// Compiles an AssemblyScript module from test/fixtures/wasm in memory, the way the filter build does (no env.abort,
// _initialize instead of a start section).

import { compileAsc } from '../support/asc.js';

const cache = new Map<string, Promise<Uint8Array>>();

/** `name` is a file under test/fixtures/wasm without its extension; it must export `abortHandler`. */
export function compileFixture(name: string): Promise<Uint8Array> {
  let compiled = cache.get(name);
  if (!compiled) {
    compiled = compile(name);
    cache.set(name, compiled);
  }
  return compiled;
}

function compile(name: string): Promise<Uint8Array> {
  return compileAsc({
    entry: `test/fixtures/wasm/${name}.ts`,
    runtime: 'stub',
    abort: `test/fixtures/wasm/${name}/abortHandler`,
    optimize: ['--optimizeLevel', '1'],
    // A reactor, as the filter is built: the host refuses a start section (it traps under cpp-host's wasmtime).
    exportStart: '_initialize',
  });
}
