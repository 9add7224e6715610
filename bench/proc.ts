// Starts a meshmcp process for a benchmark and waits for its "listening" line; reads its RSS from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Started {
  child: ChildProcess;
  /** stdout lines so far (the newest 1000), e.g. the JSON log */
  lines: string[];
  port: number;
  /** ms from spawn to the listening line */
  startupMs: number;
  stop(): Promise<void>;
}

/** Runs `command` (this node unless named, e.g. a launcher that execs node) with `args`, waiting to hear it listen. */
export function startProcess(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  command = process.execPath,
): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let listening = false;
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        lines.push(line);
        if (lines.length > 1000) lines.shift();
        if (listening || !line.includes('"listening"')) continue;
        listening = true;
        const rec = JSON.parse(line) as { port?: number; url?: string };
        const port = rec.port ?? Number(new URL(rec.url!).port);
        resolve({
          child,
          lines,
          port,
          startupMs: performance.now() - t0,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      if (!listening) reject(new Error(`${args.join(' ')} exited with ${code} before listening:\n${lines.join('\n')}`));
    });
  });
}

/**
 * Resident memory in MiB: `rss` as ps and the goals count it, and `anon`, its anonymous part. Most of a Node
 * process's RSS is the node binary's file-backed pages (shared, and reclaimable under a pod's memory limit); the
 * anonymous part is what the limit can never take back.
 */
export function memoryMiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024 };
}

/** How settledMemory waits: a reading every pollMs until, over the last stillMs, no RSS moved by stepMiB or more. */
export interface Settle {
  pollMs: number;
  stillMs: number;
  stepMiB: number;
  /** The longest wait; then the last reading is taken as it is. */
  maxMs: number;
}

/**
 * The memory of each process (by pid, in that order) once their RSS holds still: V8 shrinks an idle heap some
 * seconds after allocation stops (its memory reducer), so a reading right after a busy step would count garbage.
 */
export async function settledMemory(pids: readonly number[], o: Settle): Promise<{ rss: number; anon: number }[]> {
  const t0 = performance.now();
  const window: { at: number; m: { rss: number; anon: number }[] }[] = [];
  for (;;) {
    const m = pids.map(memoryMiB);
    const at = performance.now();
    window.push({ at, m });
    while (window.length > 1 && at - window[0]!.at > o.stillMs) window.shift();
    const moved = (i: number) => {
      const rss = window.map((w) => w.m[i]!.rss);
      return Math.max(...rss) - Math.min(...rss);
    };
    const still = at - window[0]!.at >= o.stillMs * 0.9 && pids.every((_, i) => moved(i) < o.stepMiB);
    if (still || at - t0 > o.maxMs) return m;
    await sleep(o.pollMs);
  }
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command; in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
