// Bridge mode as a whole: its settings and their refusals, --help, readiness, the Host check, requests in a
// revision the server speaks passing through (the SDK v2 client in both revisions), and the module staying out of
// the ordinary sidecar.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings, SIDECAR_OPTIONS } from '../../sidecar/config.js';
import { SIDECAR_HELP } from '../../sidecar/main.js';
import type { SidecarSettings } from '../../sidecar/types.js';
import { startBridgeSidecar } from '../support/bridgeSidecar.js';
import { startSessionUpstream, startStatelessUpstream } from '../support/bridgeUpstreams.js';
import { ROOT } from '../support/cli.js';

const settings = (argv: string[], env: Record<string, string> = {}) =>
  resolveSettings(['--service-name', 'bridged', ...argv], env) as SidecarSettings;

describe('bridge mode settings', () => {
  it('takes a loopback http URL and the revisions its server speaks, with bounds that default safely', () => {
    expect(settings(['--bridge', 'http://127.0.0.1:3001/mcp', '--bridge-protocols', '2025-11-25']).bridge).toEqual({
      upstreamUrl: 'http://127.0.0.1:3001/mcp',
      protocols: ['2025-11-25'],
      maxHeld: 256,
      holdMs: 300_000,
      timeoutMs: 60_000,
    });
    const fromEnv = settings([], {
      MCP_BRIDGE_UPSTREAM: 'http://localhost:9000/',
      MCP_BRIDGE_PROTOCOLS: '2026-07-28, 2025-11-25',
      MCP_BRIDGE_MAX_HELD: '8',
      MCP_BRIDGE_HOLD_MS: '1000',
      MCP_BRIDGE_TIMEOUT_MS: '500',
    }).bridge;
    expect(fromEnv).toEqual({
      upstreamUrl: 'http://localhost:9000/',
      protocols: ['2026-07-28', '2025-11-25'],
      maxHeld: 8,
      holdMs: 1000,
      timeoutMs: 500,
    });
    expect(
      settings(['--bridge', 'http://[::1]:3001/mcp', '--bridge-protocols', '2026-07-28']).bridge?.upstreamUrl,
    ).toBe('http://[::1]:3001/mcp');
    expect(settings([]).bridge).toBeUndefined();
  });

  it('refuses a --bridge URL outside the pod or not plain http, naming the fix', () => {
    const fix = '(the MCP server in this pod, e.g. http://127.0.0.1:3001/mcp)';
    const cases: [string, string][] = [
      ['https://127.0.0.1:3001/mcp', 'is not an http:// URL'],
      ['http://10.0.0.5:3001/mcp', 'is not on loopback (localhost, 127.x.x.x or [::1])'],
      ['http://mcp.example.com/mcp', 'is not on loopback (localhost, 127.x.x.x or [::1])'],
      ['http://127.0.0.1.example.com/mcp', 'is not on loopback (localhost, 127.x.x.x or [::1])'],
      ['127.0.0.1:3001', 'is not a URL'],
      ['http://user:pw@127.0.0.1:3001/mcp', 'carries credentials, a query or a fragment'],
      ['http://127.0.0.1:3001/mcp?x=1', 'carries credentials, a query or a fragment'],
    ];
    for (const [url, problem] of cases) {
      expect(() => settings(['--bridge', url, '--bridge-protocols', '2025-11-25'])).toThrow(
        `--bridge ${JSON.stringify(url)} ${problem} ${fix}`,
      );
    }
  });

  it('refuses a bridge without the revisions, with unknown ones, with a pack, or its settings without --bridge', () => {
    const url = ['--bridge', 'http://127.0.0.1:3001/mcp'];
    expect(() => settings(url)).toThrow(
      'bridge mode needs --bridge-protocols: the revisions the server speaks, comma-separated (2025-11-25, 2026-07-28)',
    );
    expect(() => settings([...url, '--bridge-protocols', '2025-11-25,2025-06-18'])).toThrow(
      '--bridge-protocols names 2025-06-18: the revisions the server speaks',
    );
    expect(() => settings([...url, '--bridge-protocols', '2025-11-25', '--pack', 'logs'])).toThrow(
      '--bridge and --pack logs do not go together',
    );
    expect(() => settings(['--bridge-protocols', '2025-11-25'])).toThrow(
      '--bridge-protocols is a bridge mode setting: it needs --bridge',
    );
    expect(() => settings([...url, '--bridge-protocols', '2025-11-25', '--bridge-max-held', '0'])).toThrow(
      '--bridge-max-held 0 is not a whole number of at least 1',
    );
    expect(() => settings([...url, '--bridge-protocols', '2025-11-25', '--bridge-hold-ms', '1.5'])).toThrow(
      '--bridge-hold-ms 1.5 is not a whole number of at least 1',
    );
  });

  it('lists its settings in meshmcp sidecar --help', () => {
    for (const flag of ['bridge', 'bridge-protocols', 'bridge-max-held', 'bridge-hold-ms', 'bridge-timeout-ms']) {
      expect(SIDECAR_OPTIONS.some((o) => o.flag === flag)).toBe(true);
      expect(SIDECAR_HELP).toContain(`--${flag} `);
    }
    expect(SIDECAR_HELP).toContain('env MCP_BRIDGE_UPSTREAM');
    expect(SIDECAR_HELP).toContain('default 300000');
  });
});

describe('a sidecar in bridge mode', () => {
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.close();
  });

  it('is ready while its server answers, and not once it is gone', async () => {
    const up = await startSessionUpstream();
    const b = await startBridgeSidecar(up.url, ['--bridge-protocols', '2025-11-25']);
    started.push(b);
    const ready = await fetch(`${b.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, upstream: { reachable: true } });
    await up.close();
    const down = await fetch(`${b.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ ready: false, upstream: { reachable: false } });
  });

  it('checks Host and Origin as the sidecar does', async () => {
    const up = await startStatelessUpstream();
    started.push(up);
    const b = await startBridgeSidecar(up.url, ['--bridge-protocols', '2026-07-28']);
    started.push(b);
    const r = await fetch(b.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: '{}',
    });
    expect(r.status).toBe(403);
    // On a connection of its own: the sidecar answers before the body is in, and the rest of it keeps a pooled
    // connection busy past close().
    const big = await new Promise<number>((resolve, reject) => {
      const req = http.request(b.mcpUrl, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', connection: 'close' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ pad: 'x'.repeat(300_000) }));
    });
    expect(big).toBe(413);
    expect(up.seen).toHaveLength(0);
  });

  it.each([
    ['2025-11-25', startSessionUpstream, 'legacy' as const],
    ['2026-07-28', startStatelessUpstream, { pin: '2026-07-28' }],
  ])('passes a %s request to a server of that revision through unchanged', async (revision, start, mode) => {
    const up = await start();
    started.push(up);
    const b = await startBridgeSidecar(up.url, ['--bridge-protocols', revision]);
    started.push(b);
    const client = new Client(
      { name: 'bridge-test', version: '1.0.0' },
      { versionNegotiation: { mode }, capabilities: { elicitation: {} } },
    );
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
    const transport = new StreamableHTTPClientTransport(new URL(b.mcpUrl));
    await client.connect(transport);
    try {
      const r = await client.callTool({ name: 'ask_name', arguments: {} });
      expect((r.content as { text: string }[])[0]!.text).toBe('Hello, Ada!');
      expect(b.held()).toBe(0);
      if (revision === '2025-11-25') {
        // The session and its standalone stream are the client's own, through the bridge, and so is its end.
        expect(up.openSessions()).toBe(1);
        expect(up.seen.some((s) => s.method === 'GET')).toBe(true);
        await transport.terminateSession();
        expect(up.seen.at(-1)?.method).toBe('DELETE');
        expect(up.openSessions()).toBe(0);
      }
    } finally {
      await client.close();
    }
  });
});

describe('the bridge module', () => {
  const dir = join(ROOT, 'sidecar');
  const sources = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : [],
    );

  it('loads only in bridge mode: nothing outside it imports it but with import()', () => {
    for (const file of sources(dir).filter((f) => !f.includes(`${join('sidecar', 'bridge')}/`))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/^import(?! type)[^;]*from '\.{1,2}\/(\.\.\/)*bridge\//m);
    }
    expect(readFileSync(join(dir, 'main.ts'), 'utf8')).toContain("await import('./bridge/index.js')");
  });

  it('is hand-written on node:http like the rest of the sidecar: no SDK, no fastify', () => {
    for (const file of sources(join(dir, 'bridge'))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '(@modelcontextprotocol\/|fastify|undici)/);
    }
  });
});
