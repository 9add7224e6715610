// Runs the built `meshmcp control` as a child process, as an operator would, and reads its JSON log lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from '../../support/cli.js';

export interface ControlProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stdout: string[];
  /** http://127.0.0.1:<port>, once it logged that it listens. */
  base: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export async function startControlProcess(args: string[]): Promise<ControlProcess> {
  const child = spawn(process.execPath, ['bin/meshmcp.js', 'control', '--port', '0', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stdout: string[] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      stdout.push(line);
      if (line.startsWith('{')) logs.push(JSON.parse(line));
      i = buf.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  exited.then(() => {
    done = true;
    for (const w of waiters.splice(0)) w();
  });
  const waitForLog = async (pred: (l: Record<string, unknown>) => boolean) => {
    for (;;) {
      const hit = logs.find(pred);
      if (hit) return hit;
      if (done) throw new Error(`meshmcp control exited before the expected log line; stderr: ${stderr}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const listening = await waitForLog((l) => l['message'] === 'control service listening');
  const address = String(listening['address']).replace('http://', '');
  return {
    child,
    logs,
    stdout,
    base: `http://${address}`,
    exited,
    waitForLog,
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls until fn() resolves truthy; the test's timeout bounds the wait. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
