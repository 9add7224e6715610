// The local mesh's processes, each like a pod's container: started one by one with a readiness check, logging to a
// file each (the last lines are shown when one fails), stopped together, and watched.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Part {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export interface StartSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Ready once a stdout line (or stderr) contains this text... */
  readyLine?: string;
  /** ...or once this URL answers 200 (polled). */
  readyUrl?: string;
  /** Each stdout line, e.g. to echo audit lines. */
  onLine?: (line: string) => void;
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A base port with `count` free ports after it, between 20000 and 32000: below Linux's ephemeral range (32768+), so
 * no outgoing connection takes one of them between this check and the listen (tests and benchmarks use it).
 */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no run of free ports found between 20000 and 32000');
}

/** Node's inspector on a loopback port the OS picks: Node names it on stderr in a line like this one. */
const INSPECT_FLAG = '--inspect=127.0.0.1:0';
const INSPECTOR_LINE = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/;

export class ProcessGroup {
  readonly parts: Part[] = [];
  /** The inspector URL of each part started with one (`inspect`), by part name. */
  readonly inspectors: Record<string, string> = {};
  private stopping = false;

  /** inspect: the parts (Node processes) to start with the inspector on a free loopback port. */
  constructor(
    private readonly logDir: string,
    private readonly cwd: string,
    private readonly inspect: ReadonlySet<string> = new Set(),
  ) {}

  /** Starts one part and resolves when it is ready; rejects (naming the part and its last log lines) if it exits. */
  start(spec: StartSpec): Promise<void> {
    const logFile = join(this.logDir, `${spec.name}.log`);
    const out: WriteStream = createWriteStream(logFile, { flags: 'a' });
    const inspected = this.inspect.has(spec.name) && spec.command === process.execPath;
    const child = spawn(spec.command, inspected ? [INSPECT_FLAG, ...spec.args] : spec.args, {
      cwd: this.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.parts.push({ name: spec.name, child, logFile });
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let buf = '';
      const markReady = () => {
        if (ready) return;
        ready = true;
        resolve();
      };
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out.write(chunk);
        buf += chunk;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (spec.readyLine && line.includes(spec.readyLine)) markReady();
          spec.onLine?.(line);
          i = buf.indexOf('\n');
        }
      });
      // Some servers announce themselves on stderr (server-everything does).
      let errBuf = '';
      let inspectBuf = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        out.write(chunk);
        if (inspected && this.inspectors[spec.name] === undefined) {
          inspectBuf = (inspectBuf + chunk).slice(-4096);
          const m = INSPECTOR_LINE.exec(inspectBuf);
          if (m) this.inspectors[spec.name] = m[1]!;
        }
        if (!spec.readyLine || ready) return;
        errBuf = (errBuf + chunk).slice(-4096);
        if (errBuf.includes(spec.readyLine)) markReady();
      });
      child.once('error', (err) => {
        if (!ready) reject(new Error(`${spec.name} could not start: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        out.end();
        if (!ready) {
          ready = true;
          reject(new Error(`${spec.name} exited before it was ready (${code ?? signal}):\n${this.tail(logFile)}`));
        }
      });
      if (spec.readyUrl) {
        const url = spec.readyUrl;
        const poll = async () => {
          while (!ready) {
            try {
              const res = await fetch(url);
              if (res.ok) return markReady();
            } catch {
              // Not listening yet.
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        void poll();
      }
    });
  }

  /** The last lines a part logged. */
  tail(logFile: string, lines = 15): string {
    try {
      const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines);
      return text.map((l) => `    ${l}`).join('\n');
    } catch {
      return '    (no log)';
    }
  }

  /** Calls back for each part that exits on its own (after start, before stop). */
  onExit(cb: (name: string, how: string, tail: string) => void): void {
    for (const p of this.parts) {
      const report = (code: number | null, signal: NodeJS.Signals | null) => {
        if (!this.stopping) cb(p.name, String(code ?? signal), this.tail(p.logFile));
      };
      if (p.child.exitCode !== null || p.child.signalCode !== null) report(p.child.exitCode, p.child.signalCode);
      else p.child.once('exit', report);
    }
  }

  /** SIGTERM to every part, newest first (the gateway before what it routes to); SIGKILL after 10 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    const running = [...this.parts].reverse().filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    await Promise.all(
      running.map(
        (p) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
            p.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            p.child.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** Why --inspect opened no inspector for some part it names (none such, or not a Node process); else undefined. */
export function inspectRefusal(group: ProcessGroup, inspect: ReadonlySet<string>): string | undefined {
  const names = group.parts.map((part) => part.name);
  const problems = [...inspect]
    .filter((n) => group.inspectors[n] === undefined)
    .map((n) =>
      names.includes(n)
        ? `${n} is not a Node process, or its inspector did not start (see its log)`
        : `no part is named ${n}`,
    );
  if (problems.length === 0) return undefined;
  return `--inspect: ${problems.join('; ')}. The parts are: ${names.join(', ')}`;
}
