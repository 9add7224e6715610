// Test fixture: a hand-assembled proxy-wasm module whose entry points record the order the host calls them in.

import { name, section, uleb, vec } from '../../bench/wasmBinary.js';

/** The digit each entry point appends to the recorded order (read back, in decimal, through the `order` export). */
export const ORDER_DIGIT = {
  _initialize: 1,
  main: 2,
  __main_void: 3,
  _start: 4,
  proxy_on_vm_start: 5,
  proxy_on_configure: 6,
  start: 7,
} as const;

export type EntryPoint = '_initialize' | 'main' | '__main_void' | '_start';

export interface OrderModuleSpec {
  /** The start-up exports the module has; proxy_on_vm_start and proxy_on_configure are always there. */
  entries: EntryPoint[];
  /** A start section naming a function that records 7 (AssemblyScript's default build). */
  startSection?: boolean;
  /** A custom section (id 0) with this payload before every other section and at the end. */
  customPayload?: number[];
}

const VOID = 0; // () -> ()
const ALLOC = 1; // (i32) -> i32
const PAIR = 2; // (i32, i32) -> i32: main, proxy_on_vm_start, proxy_on_configure
const READ = 3; // () -> i32
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1

/** Appends `digit` to global 0: order = order * 10 + digit. */
const record = (digit: number) => [0x23, 0x00, 0x41, 0x0a, 0x6c, 0x41, digit, 0x6a, 0x24, 0x00];
const body = (code: number[]) => [...uleb(code.length + 2), 0x00, ...code, 0x0b];

export function orderModule(spec: OrderModuleSpec): Uint8Array {
  // [export name or undefined, type, code]
  const functions: Array<[string | undefined, number, number[]]> = [
    ['proxy_abi_version_0_2_1', VOID, []],
    ['malloc', ALLOC, [0x41, 0x08]],
    ['order', READ, [0x23, 0x00]],
    ['proxy_on_vm_start', PAIR, [...record(ORDER_DIGIT.proxy_on_vm_start), 0x41, 0x01]],
    ['proxy_on_configure', PAIR, [...record(ORDER_DIGIT.proxy_on_configure), 0x41, 0x01]],
    ...spec.entries.map((e): [string, number, number[]] =>
      e === 'main' ? [e, PAIR, [...record(ORDER_DIGIT.main), 0x41, 0x00]] : [e, VOID, record(ORDER_DIGIT[e])],
    ),
  ];
  const startIndex = functions.length;
  if (spec.startSection) functions.push([undefined, VOID, record(ORDER_DIGIT.start)]);
  const exports = functions.flatMap(([n], i) => (n ? [[...name(n), 0x00, ...uleb(i)]] : []));
  exports.push([...name('memory'), 0x02, 0x00]);
  const custom = spec.customPayload ? section(0, [...name('fixture'), ...spec.customPayload]) : [];
  const sections = [
    // The types, at the indices VOID, ALLOC, PAIR and READ name.
    section(
      1,
      vec([
        [0x60, 0x00, 0x00],
        [0x60, 0x01, 0x7f, 0x01, 0x7f],
        [0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f],
        [0x60, 0x00, 0x01, 0x7f],
      ]),
    ),
    section(3, vec(functions.map(([, type]) => [type]))),
    section(5, vec([[0x00, 0x01]])),
    section(6, vec([[0x7f, 0x01, 0x41, 0x00, 0x0b]])),
    section(7, vec(exports)),
    spec.startSection ? section(8, uleb(startIndex)) : [],
    section(10, vec(functions.map(([, , code]) => body(code)))),
  ].filter((s) => s.length > 0);
  return Uint8Array.from([...HEADER, ...sections.flatMap((s) => [...custom, ...s]), ...custom]);
}
