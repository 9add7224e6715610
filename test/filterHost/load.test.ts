// Module loading: the host refuses what Envoy refuses, with a message naming the cause.

import { describe, expect, it } from 'vitest';
import { createPlugin, WasmLoadError } from '../../filter/host/index.js';
import { compileFixture } from './compileFixture.js';
import { type TinyModuleSpec, tinyModule } from './tinyModule.js';

const valid: TinyModuleSpec = { exports: ['proxy_abi_version_0_2_1'], memory: true, allocator: 'malloc' };

describe('filter/host module loading', () => {
  it('loads a minimal valid module, with either allocator name', async () => {
    await expect(createPlugin(tinyModule(valid), '')).resolves.toBeDefined();
    await expect(
      createPlugin(tinyModule({ ...valid, allocator: 'proxy_on_memory_allocate' }), ''),
    ).resolves.toBeDefined();
  });

  it('refuses a module importing env.abort, naming the import', async () => {
    const wasm = tinyModule({ ...valid, imports: [['env', 'abort']] });
    await expect(createPlugin(wasm, '')).rejects.toThrow(WasmLoadError);
    await expect(createPlugin(wasm, '')).rejects.toThrow(/missing import: env\.abort/);
  });

  it('refuses any import the host does not provide, including ABI 0.1.0-only functions', async () => {
    await expect(createPlugin(tinyModule({ ...valid, imports: [['env', 'proxy_nonexistent']] }), '')).rejects.toThrow(
      /missing import: env\.proxy_nonexistent/,
    );
    await expect(
      createPlugin(tinyModule({ ...valid, imports: [['env', 'proxy_get_configuration']] }), ''),
    ).rejects.toThrow(/missing import: env\.proxy_get_configuration/);
    await expect(
      createPlugin(tinyModule({ ...valid, imports: [['wasi_snapshot_preview1', 'sock_send']] }), ''),
    ).rejects.toThrow(/missing import: wasi_snapshot_preview1\.sock_send/);
  });

  it('provides the WASI and env functions Envoy provides', async () => {
    const imports: Array<[string, string]> = [
      ['env', 'pthread_equal'],
      ['env', 'emscripten_notify_memory_growth'],
      ...['fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'environ_get', 'environ_sizes_get', 'args_get']
        .concat(['args_sizes_get', 'clock_time_get', 'random_get', 'proc_exit', 'path_open', 'fd_prestat_get'])
        .concat(['fd_prestat_dir_name'])
        .flatMap(
          (f): Array<[string, string]> => [
            ['wasi_snapshot_preview1', f],
            ['wasi_unstable', f],
          ],
        ),
    ];
    await expect(createPlugin(tinyModule({ ...valid, imports }), '')).resolves.toBeDefined();
  });

  it('provides every ABI 0.2.1 host function', async () => {
    const names = ['log', 'get_log_level', 'get_status', 'set_tick_period_milliseconds', 'get_current_time_nanoseconds']
      .concat(['get_property', 'set_property', 'get_buffer_bytes', 'get_buffer_status', 'set_buffer_bytes'])
      .concat(['get_header_map_pairs', 'set_header_map_pairs', 'get_header_map_value', 'add_header_map_value'])
      .concat(['replace_header_map_value', 'remove_header_map_value', 'get_header_map_size', 'send_local_response'])
      .concat(['continue_stream', 'close_stream', 'get_shared_data', 'set_shared_data', 'register_shared_queue'])
      .concat(['resolve_shared_queue', 'enqueue_shared_queue', 'dequeue_shared_queue', 'define_metric'])
      .concat([
        'increment_metric',
        'record_metric',
        'get_metric',
        'http_call',
        'grpc_call',
        'grpc_stream',
        'grpc_cancel',
      ])
      .concat(['grpc_close', 'grpc_send', 'set_effective_context', 'done', 'call_foreign_function']);
    const imports = names.map((n): [string, string] => ['env', `proxy_${n}`]);
    await expect(createPlugin(tinyModule({ ...valid, imports }), '')).resolves.toBeDefined();
  });

  it('refuses a module without the ABI marker, and one built for another ABI version', async () => {
    await expect(createPlugin(tinyModule({ ...valid, exports: [] }), '')).rejects.toThrow(
      /Missing or unknown Proxy-Wasm ABI version/,
    );
    await expect(createPlugin(tinyModule({ ...valid, exports: ['proxy_abi_version_0_1_0'] }), '')).rejects.toThrow(
      /Unsupported Proxy-Wasm ABI version.*proxy_abi_version_0_1_0/,
    );
  });

  it('refuses a module without memory or without an allocator', async () => {
    await expect(createPlugin(tinyModule({ ...valid, memory: false }), '')).rejects.toThrow(/memory/);
    const { allocator: _unused, ...noAllocator } = valid;
    await expect(createPlugin(tinyModule(noAllocator), '')).rejects.toThrow(/missing malloc/);
  });

  it('refuses bytes that are not wasm', async () => {
    await expect(createPlugin(Buffer.from('not wasm'), '')).rejects.toThrow(/Failed to load Wasm bytecode/);
  });

  it('loads the compiled AssemblyScript probe, which imports only what Envoy provides', async () => {
    const plugin = await createPlugin(await compileFixture('probe'), 'ok', { workers: 2 });
    expect(plugin.workers).toBe(2);
    expect(plugin.logs.filter((l) => l.message === 'configured: ok')).toHaveLength(2);
  });

  it('rejects an initial configuration the module refuses', async () => {
    await expect(createPlugin(await compileFixture('probe'), 'bad config')).rejects.toThrow(
      /Failed to configure base Wasm plugin/,
    );
  });
});
