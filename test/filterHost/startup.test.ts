// VM start-up: the entry points proxy-wasm-cpp-host's startVm calls, in its order, and the refusal of a start section.

import { describe, expect, it } from 'vitest';
import { createPlugin, WasmLoadError } from '../../filter/host/index.js';
import { Wasm } from '../../filter/host/wasmApi.js';
import { startFunctionIndex } from '../../filter/host/wasmSections.js';
import { type EntryPoint, type OrderModuleSpec, orderModule } from './orderModule.js';

/** The digits the module recorded, in call order (see ORDER_DIGIT), after start-up and configuration. */
async function startOrder(spec: OrderModuleSpec, worker = 0, workers = 1): Promise<string> {
  const plugin = await createPlugin(orderModule(spec), '', { workers });
  return String(plugin.callExport(worker, 'order'));
}
const entries = (...e: EntryPoint[]): OrderModuleSpec => ({ entries: e });

/** 300 bytes full of 8s: a two-byte LEB128 size, and contents a byte search would take for a start section. */
const eights = Array.from({ length: 300 }, () => 0x08);

describe('filter/host VM start-up', () => {
  it('calls _initialize before proxy_on_vm_start and proxy_on_configure, in every worker', async () => {
    expect(await startOrder(entries('_initialize'))).toBe('156');
    expect(await startOrder(entries('_initialize'), 1, 2)).toBe('156');
  });

  it('calls main(0, 0) after _initialize, or __main_void when there is no main', async () => {
    expect(await startOrder(entries('_initialize', 'main', '__main_void'))).toBe('1256');
    expect(await startOrder(entries('_initialize', '__main_void'))).toBe('1356');
    // main and __main_void belong to the reactor convention: without _initialize they are not called.
    expect(await startOrder(entries('main', '__main_void'))).toBe('56');
  });

  it('calls _start only for a module without _initialize, and needs neither', async () => {
    expect(await startOrder(entries('_initialize', '_start'))).toBe('156');
    expect(await startOrder(entries('_start'))).toBe('456');
    expect(await startOrder(entries())).toBe('56');
  });

  it('refuses a module with a start section, naming the problem and the fix', async () => {
    const wasm = orderModule({ entries: ['_initialize'], startSection: true });
    await expect(createPlugin(wasm, '')).rejects.toThrow(WasmLoadError);
    await expect(createPlugin(wasm, '')).rejects.toThrow(/start section \(function 6\).*wasm trap: interrupt/);
    await expect(createPlugin(wasm, '')).rejects.toThrow(/rebuild with --exportStart _initialize/);
    // V8 itself would run it: the refusal is for Envoy on wasmtime, not a compile error.
    await expect(Wasm.compile(wasm)).resolves.toBeDefined();
  });

  it('finds the start section past custom sections anywhere, and nothing in a custom section', async () => {
    const withStart = orderModule({ entries: ['_initialize'], startSection: true, customPayload: eights });
    expect(startFunctionIndex(withStart)).toBe(6);
    await expect(createPlugin(withStart, '')).rejects.toThrow(/rebuild with --exportStart _initialize/);
    const without = orderModule({ entries: ['_initialize'], customPayload: eights });
    expect(startFunctionIndex(without)).toBeUndefined();
    expect(await startOrder({ entries: ['_initialize'], customPayload: eights })).toBe('156');
  });
});
