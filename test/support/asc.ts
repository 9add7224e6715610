// Compiles an AssemblyScript entry file in memory (no files written) for tests that drive compiled filter code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface AscOptions {
  /** Repository-relative entry, e.g. test/fixtures/wasm/configHarness.ts. */
  entry: string;
  /** AssemblyScript runtime: stub (never frees) or incremental (the filter's release runtime). */
  runtime?: 'stub' | 'minimal' | 'incremental';
  /** Repository-relative `file/exportName` AssemblyScript's abort is routed to (Envoy provides no env.abort). */
  abort: string;
  /** optimisation flags; -O3 unless a test wants a faster compile */
  optimize?: string[];
  /** Export the start function under this name instead of a start section (`_initialize` for a proxy-wasm host). */
  exportStart?: string;
  /** The entry's text, when it is written in the test rather than read from `entry` (which then only names it). */
  source?: string;
}

/** The compiled binary, with asc's diagnostics in the error when compilation fails. */
export async function compileAsc(options: AscOptions): Promise<Uint8Array> {
  const outputs = new Map<string, Uint8Array | string>();
  const log: string[] = [];
  const sink = { write: (chunk: string | Uint8Array) => log.push(String(chunk)) };
  const { error } = await asc.main(
    [
      options.entry,
      '--outFile',
      'out.wasm',
      ...(options.optimize ?? ['-O3']),
      '--runtime',
      options.runtime ?? 'stub',
      '--use',
      `abort=${options.abort}`,
      ...(options.exportStart ? ['--exportStart', options.exportStart] : []),
    ],
    {
      // Sources only: returning null for asconfig.json keeps the filter's release settings out of this build.
      readFile: (name, baseDir) => {
        if (options.source !== undefined && name === options.entry) return options.source;
        if (!name.endsWith('.ts')) return null;
        try {
          return readFileSync(join(root, baseDir, name), 'utf8');
        } catch {
          return null;
        }
      },
      writeFile: (name, contents) => {
        outputs.set(name, contents);
      },
      listFiles: () => [],
      stdout: sink as never,
      stderr: sink as never,
    },
  );
  if (error) throw new Error(`asc failed: ${error.message}\n${log.join('')}`);
  const binary = outputs.get('out.wasm');
  if (!(binary instanceof Uint8Array)) throw new Error('asc wrote no binary');
  return binary;
}
