// The shipped bundle's start-up footprint on the running Node: the built-in modules resident after start and one
// tool call. Each one kept out is memory the pod's 64Mi limit keeps (sidecar/nodeFlags.ts has the figures); this
// catches an import that brings one back, directly or through an ESM namespace of a built-in (scripts/bundleSidecar.js).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIDECAR_NODE_FLAGS } from '../../sidecar/nodeFlags.js';
import { ROOT } from '../support/cli.js';
import { listeningUrl } from '../support/sidecar.js';

/** Built-ins the sidecar never needs at start: each is a lazy load in Node, and must stay one. */
const KEPT_OUT = [
  'internal/deps/undici/undici', // fetch; the sidecar's client is node:http
  'http2',
  'tls', // node:https loads on the first https:// target only
  'crypto',
  'internal/crypto/webcrypto',
  'perf_hooks', // the global `performance`
  'fs/promises',
  'zlib',
  'worker_threads',
];

let work: string;
let app: http.Server;
let modules: string[];

/** Runs the bundle with its flags and a preload that writes process.moduleLoadList on exit; one get_health call. */
async function residentModules(appUrl: string): Promise<string[]> {
  const out = join(work, 'modules.json');
  const preload = join(work, 'record-modules.cjs');
  writeFileSync(
    preload,
    `const fs = require('fs');\nprocess.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)));\n`,
  );
  const child = spawn(
    process.execPath,
    [
      ...SIDECAR_NODE_FLAGS,
      '--require',
      preload,
      'dist/sidecar-bundle/meshmcp-sidecar.mjs',
      '--service-name',
      'payment-service',
      '--port',
      '0',
      '--app-url',
      appUrl,
      '--tools-config',
      'demo/tools/payment-service.yaml',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await listeningUrl(child);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'get_health', arguments: {} },
    }),
  });
  const body = await res.text();
  expect(res.status, body).toBe(200);
  expect(body).toContain('"status"');
  expect(body).not.toContain('"isError":true');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return (JSON.parse(readFileSync(out, 'utf8')) as string[])
    .filter((m) => m.startsWith('NativeModule '))
    .map((m) => m.slice('NativeModule '.length));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'meshmcp-modules-'));
  app = http.createServer((_req, res) => res.end('{"status":"ok"}'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  modules = await residentModules(`http://127.0.0.1:${(app.address() as { port: number }).port}`);
}, 30_000);

afterAll(() => {
  app?.close();
  rmSync(work, { recursive: true, force: true });
});

describe(`the sidecar bundle's built-in modules on Node ${process.versions.node}`, () => {
  it('records a real module list (the preload ran, http served the call)', () => {
    expect(modules).toContain('http');
    expect(modules).toContain('_http_server');
    expect(modules).toContain('_http_client');
  });

  it.each(KEPT_OUT)('keeps %s out after start and a tool call', (name) => {
    expect(modules).not.toContain(name);
  });
});
