// `npm start` (meshmcp dev) as a user runs it: three demo services with their sidecars, usable by an MCP client,
// all stopped by Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SERVICES } from '../../cli/dev.js';
import { ROOT } from '../support/cli.js';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports after it. */
async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no run of free ports found');
}

let child: ChildProcess;
let output = '';
let logDir: string;
let sidecarBase: number;

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'meshmcp-dev-test-'));
  const appBase = await freeRun(3);
  sidecarBase = await freeRun(3);
  child = spawn(
    process.execPath,
    [
      'bin/meshmcp.js',
      'dev',
      '--app-base-port',
      String(appBase),
      '--sidecar-base-port',
      String(sidecarBase),
      '--log-dir',
      logDir,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('local mesh is up')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`meshmcp dev exited early:\n${output}`));
      }
    }, 50);
  });
});

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(logDir, { recursive: true, force: true });
});

describe('meshmcp dev', () => {
  it('prints each MCP endpoint and how to use it', () => {
    for (const [i, svc] of DEV_SERVICES.entries()) {
      expect(output).toContain(`${svc}`);
      expect(output).toContain(`http://127.0.0.1:${sidecarBase + i}/mcp`);
    }
    expect(output).toContain('npx meshmcp list');
  });

  it.each(DEV_SERVICES.map((s, i) => [s, i] as const))('%s answers get_health through its sidecar', async (svc, i) => {
    const client = new Client({ name: 'vitest', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${sidecarBase + i}/mcp`)));
    try {
      const r = await client.callTool({ name: `${svc}__get_health`, arguments: {} });
      expect((r.content as { text: string }[])[0]!.text).toMatch(/^HEALTHY/);
    } finally {
      await client.close();
    }
  });

  it('passes the admin token from the demo app to the sidecar tools', async () => {
    const client = new Client({ name: 'vitest', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${sidecarBase}/mcp`)));
    try {
      const r = await client.callTool({ name: 'check_transaction_status', arguments: { id: 'tx_12345' } });
      expect(r.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('stops every part on Ctrl-C', async () => {
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    for (let i = 0; i < 3; i++) expect(await portFree(sidecarBase + i)).toBe(true);
  });
});
