// bench/inspector.ts against a real Node process with its inspector open: what it reads is what the process keeps,
// not the garbage it made, because it collects first.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { retainedMiB } from '../../bench/inspector.js';
import { closedUrl } from '../support/ports.js';

// On each line of stdin: keep a 16 MiB buffer, make 64 MiB of garbage, and say so.
const CHILD = `
const kept = [];
process.stdin.setEncoding('utf8').on('data', () => {
  kept.push(Buffer.alloc(16 * 1024 * 1024, 1));
  let junk = [];
  for (let i = 0; i < 64; i++) junk.push(new Array(128 * 1024).fill(i));
  junk = null;
  process.stdout.write('done\\n');
});
`;

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

function inspectorUrl(c: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    c.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    c.once('exit', (code) => reject(new Error(`the child exited (${code}) before its inspector was up:\n${err}`)));
  });
}

const step = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    c.stdout!.once('data', () => resolve());
    c.stdin!.write('go\n');
  });

describe('retainedMiB', () => {
  it('counts a kept 16 MiB buffer, and none of the 64 MiB of garbage made beside it', async () => {
    child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    const url = await inspectorUrl(child);
    const before = await retainedMiB(url);
    await step(child);
    const once = await retainedMiB(url);
    await step(child);
    const twice = await retainedMiB(url);
    expect(once - before).toBeGreaterThan(15.5);
    expect(once - before).toBeLessThan(17);
    expect(twice - once).toBeGreaterThan(15.5);
    expect(twice - once).toBeLessThan(17);
  });

  it('names the URL it could not reach', async () => {
    const url = `${(await closedUrl()).replace('http:', 'ws:')}/none`;
    await expect(retainedMiB(url)).rejects.toThrow(`inspector: cannot connect to ${url}`);
  });
});
