// The benchmark's baseline module (bench/passthroughModule.ts) is a real proxy-wasm module: it loads in the host and
// passes a stream through unchanged, so host_overhead_us measures the host around a working filter.

import { describe, expect, it } from 'vitest';
import { passthroughModule } from '../../bench/passthroughModule.js';
import { createPlugin, FilterDataStatus, FilterHeadersStatus } from '../../filter/host/index.js';
import { Wasm, type WasmMemory } from '../../filter/host/wasmApi.js';

const requestHeaders: Array<[string, string]> = [
  [':method', 'POST'],
  [':path', '/mcp'],
  [':authority', 'mcp.example.com'],
  ['content-type', 'application/json'],
  ['x-request-id', 'req-1'],
];
const requestBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'payment-service__get_health', arguments: {} },
});
const responseHeaders: Array<[string, string]> = [
  [':status', '201'],
  ['content-type', 'application/json'],
  ['x-upstream', 'yes'],
];
const responseBody = '{"jsonrpc":"2.0","id":7,"result":{"content":[]}}';

describe('bench pass-through module', () => {
  it('is a valid module that imports nothing and exports the proxy-wasm entry points', async () => {
    const module = await Wasm.compile(passthroughModule());
    expect(Wasm.Module.imports(module)).toEqual([]);
    const exports = Wasm.Module.exports(module).map((e) => e.name);
    expect(exports).toEqual(
      expect.arrayContaining([
        'memory',
        'malloc',
        'proxy_abi_version_0_2_1',
        'proxy_on_context_create',
        'proxy_on_vm_start',
        'proxy_on_configure',
        'proxy_on_request_headers',
        'proxy_on_request_body',
        'proxy_on_response_headers',
        'proxy_on_response_body',
        'proxy_on_log',
        'proxy_on_done',
        'proxy_on_delete',
      ]),
    );
  });

  it('malloc returns aligned, distinct pointers inside memory, growing it for large sizes', async () => {
    const instance = new Wasm.Instance(await Wasm.compile(passthroughModule()), {});
    const malloc = instance.exports['malloc'] as (size: number) => number;
    const memory = instance.exports['memory'] as WasmMemory;
    let last = 0;
    for (const size of [0, 1, 13, 1024, 70_000, 300_000, 8]) {
      const ptr = malloc(size);
      expect(ptr).toBeGreaterThan(0);
      expect(ptr % 8).toBe(0);
      expect(ptr).toBeGreaterThanOrEqual(last);
      expect(ptr + size).toBeLessThanOrEqual(memory.buffer.byteLength);
      new Uint8Array(memory.buffer, ptr, size).fill(0xab);
      last = ptr + size;
    }
  });

  it('loads with createPlugin and forwards a request and its response unchanged', async () => {
    const plugin = await createPlugin(passthroughModule(), '{"ignored":true}', { allowOnHeadersStopIteration: true });
    for (let i = 0; i < 3; i++) {
      const result = plugin.runStream({
        request: { headers: requestHeaders, body: requestBody },
        upstream: () => ({ headers: responseHeaders, body: responseBody }),
      });
      expect(result.vmFailed).toBe(false);
      expect(result.localReply).toBeUndefined();
      expect(result.forwarded?.headers).toEqual(requestHeaders);
      expect(Buffer.from(result.forwarded?.body ?? []).toString()).toBe(requestBody);
      expect(result.response?.status).toBe(201);
      expect(result.response?.headers).toEqual(responseHeaders);
      expect(Buffer.from(result.response?.body ?? []).toString()).toBe(responseBody);
      expect(result.requestHeadersStatus).toBe(FilterHeadersStatus.Continue);
      expect(result.requestBodyStatuses).toEqual([FilterDataStatus.Continue]);
      expect(result.responseHeadersStatus).toBe(FilterHeadersStatus.Continue);
      expect(result.responseBodyStatuses).toEqual([FilterDataStatus.Continue]);
    }
    expect(plugin.failure(0)).toBeUndefined();
    expect(plugin.logs).toEqual([]);
    plugin.close();
  });
});
