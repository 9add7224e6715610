// Host pieces without a module: pair serialization, header maps, CAS rules, metric ids, buffers, WASI answers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricType, WasmResult } from '../../filter/host/abi.js';
import { HostBuffer } from '../../filter/host/context.js';
import { HeaderMap } from '../../filter/host/headerMap.js';
import type { ImportHost } from '../../filter/host/imports.js';
import {
  decodeInt64,
  deserializePairs,
  encodeBool,
  encodeInt64,
  ModuleMemory,
  serializePairs,
} from '../../filter/host/memory.js';
import { MetricStore, VmMetrics } from '../../filter/host/metrics.js';
import { encodeProperty } from '../../filter/host/properties.js';
import { SharedData, SharedQueues } from '../../filter/host/sharedData.js';
import { wasiFunctions } from '../../filter/host/wasi.js';

describe('pair serialization', () => {
  it('lays out count, lengths, then NUL-terminated keys and values', () => {
    const bytes = serializePairs([
      ['a', 'xy'],
      ['', 'z'],
    ]);
    expect([...bytes]).toEqual([
      ...[2, 0, 0, 0],
      ...[1, 0, 0, 0, 2, 0, 0, 0],
      ...[0, 0, 0, 0, 1, 0, 0, 0],
      ...[97, 0, 120, 121, 0],
      ...[0, 122, 0],
    ]);
  });

  it('round-trips any list of string pairs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string())), (pairs) => {
        expect(deserializePairs(serializePairs(pairs))).toEqual(pairs);
      }),
    );
  });

  it('yields nothing for a buffer shorter than its declared lengths, like cpp-host', () => {
    const bytes = serializePairs([['key', 'value']]);
    expect(deserializePairs(bytes.subarray(0, bytes.length - 3))).toEqual([]);
    expect(deserializePairs(new Uint8Array([1, 0]))).toEqual([]);
  });
});

describe('scalar encodings', () => {
  it('encodes ints as 8-byte little-endian and bools as one byte', () => {
    expect([...encodeInt64(258)]).toEqual([2, 1, 0, 0, 0, 0, 0, 0]);
    expect(decodeInt64(encodeInt64(-5n))).toBe(-5n);
    expect([...encodeBool(true)]).toEqual([1]);
    expect([...encodeBool(false)]).toEqual([0]);
    expect(Buffer.from(encodeProperty(0.5).bytes!).readDoubleLE(0)).toBe(0.5);
    expect(encodeProperty({ nested: { deeper: 'x' } }).result).toBe(WasmResult.SerializationFailure);
  });
});

describe('header map', () => {
  it('lower-cases keys, answers the first of repeated values, replaces in place and reports byte size', () => {
    const map = new HeaderMap([
      ['Accept', 'a'],
      ['x-k', '1'],
      ['accept', 'b'],
    ]);
    expect(map.get('ACCEPT')).toBe('a');
    map.replace('accept', 'c');
    expect(map.pairs()).toEqual([
      ['accept', 'c'],
      ['x-k', '1'],
    ]);
    expect(map.byteSize()).toBe('accept'.length + 1 + 'x-k'.length + 1);
    map.remove('x-k');
    expect(map.size).toBe(1);
  });
});

describe('shared data', () => {
  it('writes unconditionally with cas 0, checks a non-zero cas, and never reuses a version', () => {
    const data = new SharedData();
    const v = (s: string) => Buffer.from(s);
    expect(data.set('vm', 'k', v('1'), 0)).toBe(WasmResult.Ok);
    const first = data.get('vm', 'k')!.cas;
    expect(data.set('vm', 'k', v('2'), first + 100)).toBe(WasmResult.CasMismatch);
    expect(data.set('vm', 'k', v('2'), first)).toBe(WasmResult.Ok);
    expect(data.get('vm', 'k')!.cas).toBeGreaterThan(first);
    expect(data.set('vm', 'k', v('3'), first)).toBe(WasmResult.CasMismatch);
    expect(data.get('other-vm', 'k')).toBeUndefined();
    // A cas on a key that does not exist yet is not checked, as in cpp-host.
    expect(data.set('vm', 'fresh', v('x'), 77)).toBe(WasmResult.Ok);
  });

  it('queues: resolve by name, Empty when drained, NotFound for unknown tokens', () => {
    const queues = new SharedQueues();
    const token = queues.register('vm', 'q', { vm: 0, context: 1 });
    expect(queues.resolve('vm', 'q')).toBe(token);
    expect(queues.enqueue(token, Buffer.from('m')).owner).toEqual({ vm: 0, context: 1 });
    expect(Buffer.from(queues.dequeue(token).data!).toString()).toBe('m');
    expect(queues.dequeue(token).result).toBe(WasmResult.Empty);
    expect(queues.enqueue(999, Buffer.from('m')).result).toBe(WasmResult.NotFound);
  });
});

describe('metrics', () => {
  it('encodes the type in the id, refuses decrementing a counter, and shares stats between VMs', () => {
    const store = new MetricStore();
    const a = new VmMetrics(store);
    const b = new VmMetrics(store);
    const counter = a.define(MetricType.Counter, 'c').id!;
    const gauge = a.define(MetricType.Gauge, 'g').id!;
    expect(counter & 3).toBe(MetricType.Counter);
    expect(gauge & 3).toBe(MetricType.Gauge);
    expect(a.increment(counter, -1n)).toBe(WasmResult.BadArgument);
    expect(a.increment(counter, 2n)).toBe(WasmResult.Ok);
    expect(b.increment(b.define(MetricType.Counter, 'c').id!, 3n)).toBe(WasmResult.Ok);
    expect(a.get(counter).value).toBe(5n);
    expect(a.increment(gauge, -4n)).toBe(WasmResult.Ok);
    expect(a.get(gauge).value).toBe(-4n);
    expect(a.get(12345).result).toBe(WasmResult.NotFound);
    const histogram = a.define(MetricType.Histogram, 'h').id!;
    expect(a.get(histogram).result).toBe(WasmResult.BadArgument);
    expect(a.increment(histogram, 1n)).toBe(WasmResult.BadArgument);
    expect(a.record(histogram, 7n)).toBe(WasmResult.Ok);
    expect(a.define(7, 'x').result).toBe(WasmResult.BadArgument);
    expect(store.snapshot()['wasmcustom.c']).toEqual({ type: 'counter', value: 5 });
  });
});

describe('buffers', () => {
  it('splices like Envoy: replace a prefix, append at the end, refuse the middle', () => {
    const buffer = new HostBuffer(Buffer.from('hello'));
    expect(buffer.splice(0, 2, Buffer.from('J'))).toBe(WasmResult.Ok);
    expect(Buffer.from(buffer.data).toString()).toBe('Jllo');
    expect(buffer.splice(4, 0, Buffer.from('!'))).toBe(WasmResult.Ok);
    expect(Buffer.from(buffer.data).toString()).toBe('Jllo!');
    expect(buffer.splice(2, 1, Buffer.from('x'))).toBe(WasmResult.BadArgument);
  });
});

describe('WASI', () => {
  const setup = () => {
    const memory = new (globalThis as any).WebAssembly.Memory({ initial: 1 });
    const logs: Array<[number, string]> = [];
    let next = 1024;
    const mem = new ModuleMemory(memory, (size) => {
      const at = next;
      next += size;
      return at;
    });
    const host = {
      memory: mem,
      envs: { A: 'b' },
      log: (level: number, message: string) => logs.push([level, message]),
      now: () => 42n,
    } as unknown as ImportHost;
    const wasi = wasiFunctions(host) as Record<string, (...args: any[]) => number>;
    return { wasi, memory: memory as { buffer: ArrayBuffer }, mem, logs };
  };

  it('logs stdout at info and stderr at error, dropping one trailing newline; other fds are EBADF', () => {
    const { wasi, mem, memory, logs } = setup();
    mem.write(100, Buffer.from('hi\n'));
    mem.writeU32(0, 100);
    mem.writeU32(4, 3);
    expect(wasi['fd_write']!(1, 0, 1, 16)).toBe(0);
    expect(new DataView(memory.buffer).getUint32(16, true)).toBe(3);
    expect(wasi['fd_write']!(2, 0, 1, 16)).toBe(0);
    expect(wasi['fd_write']!(3, 0, 1, 16)).toBe(8);
    expect(logs).toEqual([
      [2, 'hi'],
      [4, 'hi'],
    ]);
  });

  it('answers the realtime clock only, and EFAULT for a pointer outside memory', () => {
    const { wasi, memory } = setup();
    expect(wasi['clock_time_get']!(0, 0n, 8)).toBe(0);
    expect(new DataView(memory.buffer).getBigUint64(8, true)).toBe(42n);
    expect(wasi['clock_time_get']!(1, 0n, 8)).toBe(58);
    expect(wasi['clock_time_get']!(0, 0n, 70000)).toBe(21);
  });

  it('exposes the configured environment', () => {
    const { wasi, memory } = setup();
    expect(wasi['environ_sizes_get']!(0, 4)).toBe(0);
    const view = new DataView(memory.buffer);
    expect([view.getUint32(0, true), view.getUint32(4, true)]).toEqual([1, 4]);
    expect(wasi['environ_get']!(8, 200)).toBe(0);
    expect(Buffer.from(new Uint8Array(memory.buffer, 200, 4)).toString()).toBe('A=b\0');
  });
});
