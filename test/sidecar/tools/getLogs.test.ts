// get_logs on a real temporary log directory: tailing, filters, since, bounds, and confinement against '..',
// absolute paths and symlinks that point outside.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { getLogs, lineTime, parseSince } from '../../../sidecar/tools/getLogs.js';
import { call, makeContext, makeSettings, structured, textOf } from './helpers.js';

let root: string;
let logDir: string;
const APP_LINES = 500;

interface LogsOut {
  lines: string[];
  returned: number;
  scanned_bytes: number;
  file_bytes: number;
  reached_start: boolean;
  notes: string[];
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'meshmcp-logs-'));
  logDir = path.join(root, 'logs');
  const outside = path.join(root, 'outside');
  await fs.mkdir(path.join(logDir, 'nested'), { recursive: true });
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'secret.txt'), 'TOP SECRET\n');

  // One JSON line a minute, the newest 30 s old, so duration filters never sit on a boundary.
  const now = Date.now();
  const app = Array.from({ length: APP_LINES }, (_, i) => {
    const age = (APP_LINES - 1 - i) * 60_000 + 30_000;
    const level = i % 50 === 0 ? 'error' : 'info';
    return JSON.stringify({
      timestamp: new Date(now - age).toISOString(),
      level,
      msg: `request ${i}`,
      status: 200 + (i % 5 === 0 ? 303 : 0),
    });
  });
  app.push('{"timestamp":"x","level":"info","msg":"login password=hunter2 user=bob"}');
  await fs.writeFile(path.join(logDir, 'app.log'), `${app.join('\n')}\n`);
  await fs.writeFile(path.join(logDir, 'nested', 'worker.log'), 'worker started\nworker idle\n');
  await fs.writeFile(path.join(logDir, 'nonl.log'), 'first\nsecond\nlast without newline');
  await fs.writeFile(path.join(logDir, 'crlf.log'), 'one\r\ntwo\r\n');
  await fs.writeFile(path.join(logDir, 'empty.log'), '');
  await fs.writeFile(path.join(logDir, 'long.log'), `start\n${'é'.repeat(600_000)}\nend\n`);
  await fs.writeFile(path.join(logDir, 'app.log.1.gz'), Buffer.from([0x1f, 0x8b, 0, 0]));
  await fs.writeFile(
    path.join(logDir, 'trace.log'),
    [
      '{"timestamp":"2025-01-01T10:00:00Z","level":"error","msg":"old failure"}',
      '    at old.frame (a.js:1)',
      '{"timestamp":"2025-01-01T10:05:00Z","level":"error","msg":"new failure"}',
      '    at new.frame (b.js:2)',
      '    at new.frame2 (b.js:3)',
      '{"time":1735725960000,"level":30,"msg":"pino line"}',
      '{"ts":1735725970.5,"level":"info","msg":"zap line"}',
      '2025-01-01 10:06:30,123 INFO plain line',
      '',
    ].join('\n'),
  );
  await fs.writeFile(
    path.join(logDir, 'wide.log'),
    `${Array.from({ length: 400 }, (_, i) => `${i} ${'w'.repeat(3000)}`).join('\n')}\n`,
  );
  // A sparse 48 MiB file with a few lines at its end: tailing it must not read it whole.
  const big = await fs.open(path.join(logDir, 'big.log'), 'w');
  await big.truncate(48 * 1024 * 1024);
  await big.close();
  await fs.appendFile(path.join(logDir, 'big.log'), '\nbig line 1\nbig line 2\n');

  await fs.symlink(path.join(outside, 'secret.txt'), path.join(logDir, 'escape.log'));
  await fs.symlink(outside, path.join(logDir, 'outside-dir'));
  await fs.symlink(path.join(logDir, 'app.log'), path.join(logDir, 'current.log'));
  await fs.symlink(logDir, path.join(root, 'logs-link'));
  execFileSync('mkfifo', [path.join(logDir, 'pipe.log')]);
});

afterAll(() => fs.rm(root, { recursive: true, force: true }));

const ctx = (dir = logDir) => makeContext(makeSettings({ logDir: dir }));
const out = (r: Awaited<ReturnType<typeof call>>) => structured<LogsOut>(r);
const refused = async (args: Record<string, unknown>) => {
  const err = await call(getLogs, args, ctx()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ToolError);
  expect((err as Error).message).not.toContain('TOP SECRET');
  return (err as Error).message;
};

describe('get_logs: tailing', () => {
  it('returns the last 100 lines of app.log by default, oldest first, redacted', async () => {
    const r = await call(getLogs, {}, ctx());
    const o = out(r);
    expect(o.returned).toBe(100);
    expect(o.lines[0]).toContain(`request ${APP_LINES - 99}`);
    expect(o.lines[98]).toContain(`request ${APP_LINES - 1}`);
    expect(o.lines[99]).toContain('password=*** user=bob');
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(textOf(r)).toMatch(/^app\.log: 100 lines/);
  });

  it('greps the redacted text, so a pattern cannot probe a secret', async () => {
    expect(out(await call(getLogs, { grep: 'hunter2' }, ctx())).returned).toBe(0);
    expect(out(await call(getLogs, { grep: 'password=h', regex: true }, ctx())).returned).toBe(0);
    expect(out(await call(getLogs, { grep: 'password=\\*\\*\\*', regex: true }, ctx())).returned).toBe(1);
  });

  it('honours lines and its bounds', async () => {
    expect(out(await call(getLogs, { lines: 3 }, ctx())).lines).toHaveLength(3);
    await expect(call(getLogs, { lines: 1001 }, ctx())).rejects.toThrow(/<= 1000/);
    await expect(call(getLogs, { lines: 0 }, ctx())).rejects.toThrow(/>= 1/);
  });

  it('filters by substring, case-insensitively, and by regex', async () => {
    const sub = out(await call(getLogs, { grep: 'ERROR', lines: 1000 }, ctx()));
    expect(sub.returned).toBe(APP_LINES / 50);
    const re = out(await call(getLogs, { grep: '"status":5\\d\\d', regex: true, lines: 1000 }, ctx()));
    expect(re.returned).toBe(APP_LINES / 5);
    await expect(call(getLogs, { grep: '(.*)*x', regex: true }, ctx())).rejects.toThrow(/refused/);
  });

  it('filters by a duration since now', async () => {
    const o = out(await call(getLogs, { since: '15m', lines: 1000 }, ctx()));
    // 15 timed lines in range, plus the untimed last line that follows them.
    expect(o.returned).toBe(16);
    expect(o.lines[0]).toContain(`request ${APP_LINES - 15}`);
    expect(o.reached_start).toBe(false);
  });

  it('keeps untimed lines with the timed line they follow, and reads pino, zap and plain timestamps', async () => {
    const o = out(await call(getLogs, { file: 'trace.log', since: '2025-01-01T10:03:00Z' }, ctx()));
    expect(o.lines).toEqual([
      '{"timestamp":"2025-01-01T10:05:00Z","level":"error","msg":"new failure"}',
      '    at new.frame (b.js:2)',
      '    at new.frame2 (b.js:3)',
      '{"time":1735725960000,"level":30,"msg":"pino line"}',
      '{"ts":1735725970.5,"level":"info","msg":"zap line"}',
      '2025-01-01 10:06:30,123 INFO plain line',
    ]);
    const later = out(await call(getLogs, { file: 'trace.log', since: '2025-01-01T10:06:05Z' }, ctx()));
    expect(later.lines).toEqual([
      '{"ts":1735725970.5,"level":"info","msg":"zap line"}',
      '2025-01-01 10:06:30,123 INFO plain line',
    ]);
    await expect(call(getLogs, { since: 'yesterday' }, ctx())).rejects.toThrow(/ISO timestamp/);
  });

  it('reads files in subdirectories and through symlinks that stay inside', async () => {
    expect(out(await call(getLogs, { file: 'nested/worker.log' }, ctx())).lines).toEqual([
      'worker started',
      'worker idle',
    ]);
    expect(out(await call(getLogs, { file: 'current.log', lines: 1 }, ctx())).lines[0]).toContain('password=***');
    expect(out(await call(getLogs, { file: 'worker.log' }, ctx(path.join(logDir, 'nested')))).returned).toBe(2);
  });

  it('works when the log directory itself is a symlink', async () => {
    const o = out(await call(getLogs, { file: 'nested/worker.log' }, ctx(path.join(root, 'logs-link'))));
    expect(o.returned).toBe(2);
  });

  it('handles a missing final newline, CRLF and empty files', async () => {
    expect(out(await call(getLogs, { file: 'nonl.log' }, ctx())).lines).toEqual([
      'first',
      'second',
      'last without newline',
    ]);
    expect(out(await call(getLogs, { file: 'crlf.log' }, ctx())).lines).toEqual(['one', 'two']);
    const e = await call(getLogs, { file: 'empty.log' }, ctx());
    expect(out(e)).toMatchObject({ returned: 0, reached_start: true });
    expect(textOf(e)).toContain('(no lines)');
  });

  it('cuts a very long line to its head without assembling it whole', async () => {
    const o = out(await call(getLogs, { file: 'long.log' }, ctx()));
    expect(o.lines).toHaveLength(3);
    expect(o.lines[0]).toBe('start');
    expect(o.lines[1]).toMatch(/^é{4000}… \[line cut\]$/);
    expect(o.lines[2]).toBe('end');
    expect(o.notes.join()).toContain('long lines cut');
  });

  it('caps the output and keeps the newest lines', async () => {
    const o = out(await call(getLogs, { file: 'wide.log', lines: 1000 }, ctx()));
    expect(o.returned).toBeLessThan(400);
    expect(o.lines[o.lines.length - 1]!.startsWith('399 ')).toBe(true);
    expect(o.notes.join()).toContain('output capped');
  });

  it('reads a large file from its end only, and bounds a scan that finds nothing', async () => {
    const o = out(await call(getLogs, { file: 'big.log', lines: 2 }, ctx()));
    expect(o.lines).toEqual(['big line 1', 'big line 2']);
    expect(o.scanned_bytes).toBeLessThanOrEqual(64 * 1024);
    expect(o.file_bytes).toBeGreaterThan(48 * 1024 * 1024);
    const miss = await call(getLogs, { file: 'big.log', grep: 'never there' }, ctx());
    expect(out(miss).scanned_bytes).toBeLessThan(out(miss).file_bytes);
    expect(out(miss).reached_start).toBe(false);
    expect(textOf(miss)).toContain('stopped after scanning');
  });
});

describe('get_logs: confinement', () => {
  it('refuses a symlink that points outside the log directory', async () => {
    expect(await refused({ file: 'escape.log' })).toContain('outside the log directory');
    expect(await refused({ file: 'outside-dir/secret.txt' })).toContain('outside the log directory');
  });

  it("refuses '..' and absolute paths", async () => {
    expect(await refused({ file: '../outside/secret.txt' })).toContain("'..'");
    expect(await refused({ file: 'nested/../../outside/secret.txt' })).toContain("'..'");
    expect(await refused({ file: path.join(root, 'outside', 'secret.txt') })).toContain('absolute');
    expect(await refused({ file: '/etc/passwd' })).toContain('absolute');
    expect(await refused({ file: 'app.log\0' })).toContain('NUL');
  });

  it('refuses directories and compressed files', async () => {
    expect(await refused({ file: 'nested' })).toContain('not a regular file');
    expect(await refused({ file: 'app.log.1.gz' })).toContain('compressed');
    // A FIFO has no writer: opening it must not wait for one.
    expect(await refused({ file: 'pipe.log' })).toContain('not a regular file');
  });

  it('lists the available files when the file does not exist', async () => {
    const msg = await refused({ file: 'nope.log' });
    expect(msg).toContain('not found');
    expect(msg).toContain('app.log');
    expect(msg).toContain('nested/worker.log');
    expect(msg).not.toContain('secret.txt');
  });

  it('lists the available files when app.log is missing and no file was given', async () => {
    const err = await call(getLogs, {}, ctx(path.join(logDir, 'nested'))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/"app\.log" not found; available: worker\.log/);
  });

  it('names LOG_DIR when the log directory is missing', async () => {
    const err = await call(getLogs, {}, ctx(path.join(root, 'missing'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toContain('LOG_DIR');
  });
});

describe('since and line times', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it.each([
    ['30s', now - 30_000],
    ['15m', now - 900_000],
    ['2h', now - 7_200_000],
    ['1d', now - 86_400_000],
    ['1h30m', now - 5_400_000],
    ['2025-06-01T11:00:00Z', Date.parse('2025-06-01T11:00:00Z')],
    ['2025-06-01', Date.parse('2025-06-01')],
  ])('parseSince(%s)', (s, want) => {
    expect(parseSince(s, now)).toBe(want);
  });

  it.each(['', 'soon', '15', '-5m', '2025-13-45T99:00:00Z'])('parseSince(%j) is refused', (s) => {
    expect(() => parseSince(s, now)).toThrow(ToolError);
  });

  it.each([
    ['{"timestamp":"2025-01-01T00:00:00Z"}', Date.parse('2025-01-01T00:00:00Z')],
    ['{"level":"info","@timestamp":"2025-01-01T00:00:01.5Z"}', Date.parse('2025-01-01T00:00:01.5Z')],
    ['{"time":1735689600000}', 1735689600000],
    ['{"ts":1735689600.25}', 1735689600250],
    ['2025-01-01T00:00:00.000Z INFO x', Date.parse('2025-01-01T00:00:00.000Z')],
    ['[2025-01-01 00:00:00] x', Date.parse('2025-01-01T00:00:00')],
    ['no time here', undefined],
    ['{"msg":"no time"}', undefined],
  ])('lineTime(%s)', (line, want) => {
    expect(lineTime(line)).toBe(want);
  });
});
