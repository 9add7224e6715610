// The logs pack over a real log directory: search across every file (pattern, level, window) merged by time,
// the top error signatures with ids and numbers normalised, files confined as get_logs confines them, and the pack
// as its own process behind MeshClient and the chat commands.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshClient, runChatCommand } from '../../../client/index.js';
import { errorSignature, lineLevel, logsPack } from '../../../sidecar/packs/logs.js';
import { ROOT } from '../../support/cli.js';
import { listeningUrl } from '../../support/sidecar.js';
import { callTool, testContext } from '../../support/toolContext.js';

let dir: string;
let outside: string;
const now = Date.now();
const at = (msAgo: number) => new Date(now - msAgo).toISOString();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-logs-pack-'));
  outside = mkdtempSync(join(tmpdir(), 'meshmcp-logs-outside-'));
  const json = (msAgo: number, level: string, msg: string, extra = {}) =>
    JSON.stringify({ time: at(msAgo), level, msg, ...extra });
  writeFileSync(
    join(dir, 'app.log'),
    [
      json(3 * 3600_000, 'error', 'payment 1001 failed: card declined'), // outside the default hour
      json(50 * 60_000, 'info', 'started'),
      json(40 * 60_000, 'error', 'payment 1002 failed: card declined', { request_id: 'req-7f3a' }),
      json(30 * 60_000, 'error', 'payment 1003 failed: card declined'),
      json(20 * 60_000, 'warn', 'slow upstream 0x1f3a took 812 ms'),
      json(10 * 60_000, 'error', 'connection to db-7 refused'),
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'nginx'));
  writeFileSync(
    join(dir, 'nginx/error.log'),
    [
      `${at(35 * 60_000)} ERROR upstream timed out while reading req-7f3a from 10.0.0.7:8080`,
      `${at(5 * 60_000)} INFO reloaded`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'old.log.gz'), 'not text');
  writeFileSync(join(outside, 'secret.log'), `${at(60_000)} ERROR the secret is outside\n`);
  symlinkSync(join(outside, 'secret.log'), join(dir, 'escape.log'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const ctx = () => testContext({ settings: { serviceName: 'logs', logDir: dir } });
const tool = (name: string) => logsPack.find((t) => t.name === name)!;
const run = (name: string, args: Record<string, unknown> = {}) => callTool(tool(name), args, ctx());
const text = (r: { content: Array<{ text?: string }> }) => r.content[0]!.text!;

describe('logs pack', () => {
  it('search: every file, merged by time, each line with its file; a request id followed across files', async () => {
    const r = await run('search', { pattern: 'req-7f3a' });
    const lines = text(r)
      .split('\n')
      .filter((l) => l.includes('req-7f3a'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^app\.log: .*payment 1002 failed/);
    expect(lines[1]).toMatch(/^nginx\/error\.log: .*upstream timed out/);
  });

  it('search: by level and window; files outside the directory stay out', async () => {
    const r = await run('search', { level: 'error' });
    const t = text(r);
    expect(t).toContain('payment 1002 failed');
    expect(t).toContain('connection to db-7 refused');
    expect(t).toContain('upstream timed out');
    expect(t).not.toContain('payment 1001'); // three hours ago, outside the default hour
    expect(t).not.toContain('slow upstream'); // warn
    expect(t).not.toContain('the secret is outside');
    // The symlink out of the directory and the compressed file are not among the files read.
    expect(r.structuredContent!['files']).toEqual(['app.log', 'nginx/error.log']);
    expect(text(await run('search', { level: 'error', since: '1d' }))).toContain('payment 1001');
  });

  it('top_errors: signatures with numbers and ids normalised, most frequent first', async () => {
    const r = await run('top_errors');
    const t = text(r);
    expect(t).toMatch(/^3 error signatures in \d+ files/);
    expect(t).toMatch(/1\. 2× payment <n> failed: card declined/);
    expect(r.structuredContent!['signatures']).toHaveLength(3);
  });

  it('reads levels and signatures as logs write them', () => {
    expect(lineLevel('{"level":"error","msg":"x"}')).toBe('error');
    expect(lineLevel('{"level":50,"msg":"x"}')).toBe('error');
    expect(lineLevel('2026-01-01T00:00:00Z WARNING disk')).toBe('warn');
    expect(lineLevel('no level here')).toBeUndefined();
    expect(
      errorSignature('2026-01-01T00:00:00Z ERROR user 42 id 7f3a9c2e-1111-2222-3333-444455556666 at 0xdeadbeef'),
    ).toBe('user <n> id <uuid> at <hex>');
    expect(errorSignature('{"msg":"order ord_123 failed after 3 tries","level":"error"}')).toBe(
      'order <id> failed after <n> tries',
    );
  });
});

describe('the logs pack as its own MCP server', () => {
  it('runs as `meshmcp sidecar --pack logs`, says its directory is readable, and answers chat commands', async () => {
    const child = spawn(
      process.execPath,
      ['bin/meshmcp.js', 'sidecar', '--pack', 'logs', '--log-dir', dir, '--port', '0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await listeningUrl(child);
      const health = await fetch(url.replace(/\/mcp$/, '/health'));
      expect(await health.json()).toMatchObject({ ready: true, logs: { readable: true } });
      const client = new MeshClient({ servers: { logs: url } });
      expect(await runChatCommand(client, 'mcp list')).toContain('**logs** (3 tools)');
      expect(await runChatCommand(client, 'mcp logs search req-7f3a')).toContain('nginx/error.log: ');
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
