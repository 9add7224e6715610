// The log sink of a demo with --log-dir: JSON lines appended to DIR/app.log, where the sidecar's get_logs reads.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { LogSink } from '../sidecar/log.js';

// Big enough to keep a day of demo traffic for get_logs, small enough that a forgotten demo cannot fill a disk.
const MAX_LOG_BYTES = 10 * 1024 * 1024;

/**
 * Appends synchronously: a line is on disk before its response is sent, so a reader that saw the response (the
 * sidecar's get_logs, a test) finds it. Past MAX_LOG_BYTES the file moves to app.log.1, keeping one old file.
 */
export function logFile(dir: string): LogSink & { close(): void } {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'app.log');
  let fd: number | undefined = openSync(file, 'a');
  let size = fstatSync(fd).size;
  return {
    write(line: string) {
      try {
        if (fd !== undefined && size > MAX_LOG_BYTES) {
          closeSync(fd);
          fd = undefined;
          try {
            renameSync(file, `${file}.1`);
          } finally {
            fd = openSync(file, 'a');
            size = fstatSync(fd).size;
          }
        }
        if (fd !== undefined) size += writeSync(fd, line);
      } catch {
        // A full or vanished disk must not take the service down: the line is lost, requests go on.
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
