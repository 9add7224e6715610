// Compiles an AssemblyScript module from test/fixtures/wasm in memory, the way the filter build does (no env.abort).

import asc from 'assemblyscript/asc';

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

async function compile(name: string): Promise<Uint8Array> {
  const outputs = new Map<string, Uint8Array | string>();
  let errors = '';
  const sink = (append: (s: string) => void) => ({
    write(chunk: string | Uint8Array) {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    },
  });
  // baseDir keeps asc away from the repository's asconfig.json, which targets the real filter.
  const result = await asc.main(
    [
      `${name}.ts`,
      '--baseDir',
      'test/fixtures/wasm',
      '--outFile',
      `${name}.wasm`,
      '--runtime',
      'stub',
      '--use',
      `abort=${name}/abortHandler`,
      '--optimizeLevel',
      '1',
    ],
    {
      writeFile: (file: string, contents: Uint8Array | string) => {
        outputs.set(file, contents);
      },
      stdout: sink(() => undefined),
      stderr: sink((s) => {
        errors += s;
      }),
    },
  );
  const binary = outputs.get(`${name}.wasm`);
  if (result.error || !(binary instanceof Uint8Array)) {
    throw new Error(`compiling ${name}.ts failed: ${result.error?.message ?? ''}\n${errors}`);
  }
  return binary;
}
