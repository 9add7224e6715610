// A benchmark's helper process that speaks in lines: it writes one line on stdout when ready and one per command it
// answers on stdin (bench/controlServer.ts, bench/sidecarFleet.ts). Killed with the bench if the bench dies first.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LineChild {
  child: ChildProcess;
  /** Sends a command line and resolves with the line that answers it. */
  ask(command: string): Promise<string>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node <script next to this file> ...args` and resolves with it once it printed its first line (passed to
 * ready, which may throw); rejects, naming `what`, if it exits before.
 */
export function startLineChild<T>(
  script: string,
  args: string[],
  what: string,
  ready: (line: string, child: LineChild) => T,
): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const waiters: Array<(line: string) => void> = [];
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    buf += c;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      waiters.shift()?.(line);
    }
  });
  const nextLine = () => new Promise<string>((r) => waiters.push(r));
  const handle: LineChild = {
    child,
    ask: (command) => {
      const answer = nextLine();
      child.stdin!.write(`${command}\n`);
      return answer;
    },
    stop: () =>
      new Promise<void>((r) => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return r();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          r();
        });
        child.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready`)));
    nextLine().then((line) => {
      try {
        resolve(ready(line, handle));
      } catch (err) {
        reject(err);
      }
    }, reject);
  });
}

/** The child's side: calls onCommand with each line (trimmed) that arrives on stdin. */
export function onCommands(onCommand: (line: string) => void): void {
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      onCommand(line);
    }
  });
}
