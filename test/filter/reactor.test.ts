// The release module is a reactor: no start section (it traps under cpp-host's wasmtime), `_initialize` instead.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Wasm } from '../../filter/host/wasmApi.js';
import { startFunctionIndex } from '../../filter/host/wasmSections.js';
import { ROOT } from '../support/cli.js';
import { example, filterWasm, gateway } from './harness.js';

describe('meshmcp.wasm start-up', () => {
  it('has no start section and exports _initialize, taking nothing', async () => {
    const wasm = filterWasm();
    expect(startFunctionIndex(wasm)).toBeUndefined();
    const exports = Wasm.Module.exports(await Wasm.compile(wasm));
    expect(exports).toContainEqual({ name: '_initialize', kind: 'function' });
    // cpp-host calls _start only when _initialize is missing; one entry point leaves no doubt which runs.
    expect(exports.map((e) => e.name)).not.toContain('_start');
  });

  it('is built that way by both asconfig targets', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'asconfig.json'), 'utf8'));
    expect(config.options.exportStart).toBe('_initialize');
    for (const target of Object.values<Record<string, unknown>>(config.targets)) {
      expect(target).not.toHaveProperty('exportStart');
    }
  });

  it('starts and configures in the host, which refuses a start section', async () => {
    const plugin = await gateway(example('gateway'), { workers: 2 });
    expect([plugin.failure(0), plugin.failure(1)]).toEqual([undefined, undefined]);
  });
});
