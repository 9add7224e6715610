// Reads tools.yaml from disk and watches it for changes, including Kubernetes ConfigMap volume updates.
import { type FSWatcher, readFile as readFileCb, type Stats, stat as statCb, statSync, watch } from 'node:fs';
import path from 'node:path';
import { ConfigError, ConfigErrors } from '../errors.js';
import type { Tool } from '../types.js';
import { buildTools } from './build.js';
import { parseToolsConfig, type ToolsConfigOptions } from './parse.js';

// The callback forms of stat and readFile: node:fs/promises would be one more module resident in every pod.
const stat = (file: string) =>
  new Promise<Stats>((resolve, reject) => statCb(file, (err, st) => (err ? reject(err) : resolve(st))));
const readFile = (file: string) =>
  new Promise<string>((resolve, reject) =>
    readFileCb(file, 'utf8', (err, text) => (err ? reject(err) : resolve(text))),
  );

/** Larger than any sensible tools.yaml; a bigger file is a mistake, and reading it would cost the pod's memory. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** The tools of a tools.yaml; a missing file means no service-specific tools (the config is optional). */
export async function loadToolsConfig(file: string, opts: ToolsConfigOptions): Promise<Tool[]> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.size > MAX_FILE_BYTES) throw Object.assign(new Error(`${st.size} bytes`), { code: 'EFBIG' });
    text = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    const fix =
      code === 'EFBIG'
        ? `keep tools.yaml under ${MAX_FILE_BYTES} bytes`
        : code === 'EISDIR'
          ? 'point TOOLS_CONFIG at the file inside the mounted directory, e.g. /etc/mcp/tools.yaml'
          : 'check the ConfigMap volume mount and that the file is readable by the sidecar user';
    throw new ConfigErrors([
      new ConfigError(file, '', `cannot read the file (${code ?? (err as Error).message})`, fix),
    ]);
  }
  return buildTools(parseToolsConfig(text, file, opts));
}

export interface WatchOptions {
  /** quiet time after the last change event before onChange runs; default 200 ms */
  debounceMs?: number;
  /** stat poll interval, for filesystems and volume swaps that raise no events; default 5 s */
  pollMs?: number;
}

/** What identifies the file's current content without reading it; the ConfigMap swap changes the inode. */
async function signature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code}`;
  }
}

function signatureSync(file: string): string {
  try {
    const s = statSync(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code}`;
  }
}

/**
 * Calls onChange after the file changes. Kubernetes updates a ConfigMap volume by writing a new timestamped
 * directory and renaming the `..data` symlink over the old one: the file's own path never sees an event, so the
 * directory is watched. Events are debounced (a swap raises several) and a slow stat poll backs up platforms and
 * filesystems where directory events are missed. Timers are unref'd so a watcher never keeps the process alive.
 */
export function watchToolsConfig(file: string, onChange: () => void, opts: WatchOptions = {}): { close(): void } {
  const debounceMs = opts.debounceMs ?? 200;
  const pollMs = opts.pollMs ?? 5000;
  let last = signatureSync(file);
  let closed = false;
  let checking = false;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;

  const check = async () => {
    if (closed) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        const sig = await signature(file);
        if (!closed && sig !== last) {
          last = sig;
          try {
            onChange();
          } catch {
            // the caller's reload reports its own errors; a throwing callback must not stop the watch
          }
        }
      } while (again && !closed);
    } finally {
      checking = false;
    }
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), debounceMs);
    debounce.unref();
  };

  try {
    watcher = watch(path.dirname(file), { persistent: false }, schedule);
    watcher.on('error', () => {
      // e.g. the directory was removed; the poll keeps going
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(() => void check(), pollMs);
  poll.unref();

  return {
    close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
