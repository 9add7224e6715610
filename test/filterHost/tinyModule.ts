// Hand-encodes tiny wasm binaries for load-time checks (there is no wat compiler in the toolchain).

import { name, section, uleb, vec } from '../../bench/wasmBinary.js';

export interface TinyModuleSpec {
  /** Function imports, all of type () -> (). */
  imports?: Array<[module: string, name: string]>;
  /** Exported functions of type () -> (). */
  exports?: string[];
  memory?: boolean;
  /** Export an (i32) -> i32 allocator under this name. */
  allocator?: 'malloc' | 'proxy_on_memory_allocate';
}

export function tinyModule(spec: TinyModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const exports = spec.exports ?? [];
  const voidType = [0x60, 0x00, 0x00];
  const allocType = [0x60, 0x01, 0x7f, 0x01, 0x7f];
  const defined: number[] = exports.map(() => 0);
  if (spec.allocator) defined.push(1);
  const exportEntries = exports.map((e, i) => [...name(e), 0x00, ...uleb(imports.length + i)]);
  if (spec.allocator) exportEntries.push([...name(spec.allocator), 0x00, ...uleb(imports.length + exports.length)]);
  if (spec.memory) exportEntries.push([...name('memory'), 0x02, 0x00]);
  const bodies = defined.map((type) => (type === 0 ? [0x02, 0x00, 0x0b] : [0x04, 0x00, 0x41, 0x08, 0x0b]));
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([voidType, allocType])),
    ...section(2, vec(imports.map(([m, n]) => [...name(m), ...name(n), 0x00, 0x00]))),
    ...section(3, vec(defined.map((t) => [t]))),
    ...(spec.memory ? section(5, vec([[0x00, 0x01]])) : []),
    ...section(7, vec(exportEntries)),
    ...section(10, vec(bodies)),
  ];
  return Uint8Array.from(bytes);
}
