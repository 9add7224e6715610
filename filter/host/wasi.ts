// The WASI subset Envoy gives every module (under wasi_snapshot_preview1 and wasi_unstable), with its answers.

import { randomFillSync } from 'node:crypto';
import { LogLevel, WasiErrno } from './abi.js';
import type { ImportHost } from './imports.js';
import { AbiError } from './memory.js';

const utf8 = new TextEncoder();

export function wasiFunctions(host: ImportHost): Record<string, (...args: never[]) => unknown> {
  const u32 = (n: number) => n >>> 0;
  // Envoy turns an out-of-bounds pointer into EFAULT rather than a trap.
  const guard =
    <A extends unknown[]>(fn: (...args: A) => number) =>
    (...args: A): number => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof AbiError) return WasiErrno.fault;
        throw error;
      }
    };
  const envs = () => Object.entries(host.envs).map(([k, v]) => utf8.encode(`${k}=${v}\0`));

  return {
    // stdout and stderr become log lines (info and error), with one trailing newline dropped.
    fd_write: guard((fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
      const level = fd === 1 ? LogLevel.Info : fd === 2 ? LogLevel.Error : undefined;
      if (level === undefined) return WasiErrno.badf;
      const parts: Uint8Array[] = [];
      for (let i = 0; i < u32(iovsLen); i++) {
        const iov = host.memory.read(u32(iovs) + i * 8, 8);
        const view = new DataView(iov.buffer);
        const len = view.getUint32(4, true);
        if (len) parts.push(host.memory.read(view.getUint32(0, true), len));
      }
      const text = Buffer.concat(parts).toString('utf8');
      const written = Buffer.byteLength(text);
      if (written) host.log(level, text.endsWith('\n') ? text.slice(0, -1) : text);
      host.memory.writeU32(u32(nwrittenPtr), written);
      return WasiErrno.success;
    }),
    fd_read: () => WasiErrno.nosys,
    fd_seek: () => {
      host.log(LogLevel.Error, 'wasi_unstable fd_seek');
      return WasiErrno.success;
    },
    fd_close: () => {
      host.log(LogLevel.Error, 'wasi_unstable fd_close');
      return WasiErrno.success;
    },
    fd_fdstat_get: guard((fd: number, statPtr: number) => {
      if (fd !== 1 && fd !== 2) return WasiErrno.badf;
      const stat = new Uint8Array(24);
      stat[8] = 64; // fs_rights_base = FD_WRITE, as Envoy reports
      host.memory.write(u32(statPtr), stat);
      return WasiErrno.success;
    }),
    environ_get: guard((arrayPtr: number, bufPtr: number) => {
      let array = u32(arrayPtr);
      let buf = u32(bufPtr);
      for (const entry of envs()) {
        host.memory.writeU32(array, buf);
        host.memory.write(buf, entry);
        array += 4;
        buf += entry.length;
      }
      return WasiErrno.success;
    }),
    environ_sizes_get: guard((countPtr: number, sizePtr: number) => {
      const all = envs();
      host.memory.writeU32(u32(countPtr), all.length);
      host.memory.writeU32(
        u32(sizePtr),
        all.reduce((n, e) => n + e.length, 0),
      );
      return WasiErrno.success;
    }),
    args_get: () => WasiErrno.success,
    args_sizes_get: guard((argcPtr: number, sizePtr: number) => {
      host.memory.writeU32(u32(argcPtr), 0);
      host.memory.writeU32(u32(sizePtr), 0);
      return WasiErrno.success;
    }),
    // Only the realtime clock exists in Envoy.
    clock_time_get: guard((clockId: number, _precision: bigint, resultPtr: number) => {
      if (clockId !== 0) return WasiErrno.notsup;
      host.memory.writeU64(u32(resultPtr), host.now());
      return WasiErrno.success;
    }),
    random_get: guard((bufPtr: number, len: number) => {
      host.memory.write(u32(bufPtr), randomFillSync(new Uint8Array(u32(len))));
      return WasiErrno.success;
    }),
    // Envoy only logs proc_exit; the module keeps running.
    proc_exit: () => {
      host.log(LogLevel.Error, 'wasi_unstable proc_exit');
    },
    path_open: () => 44, // NOENT: no filesystem
    fd_prestat_get: () => WasiErrno.badf,
    fd_prestat_dir_name: () => WasiErrno.nosys,
  };
}
