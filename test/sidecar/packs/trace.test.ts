// trace_request through real parts on loopback: the release meshmcp.wasm in filter/host's front as the gateway (with a
// delegate key for the pack), the control service's real app listing the catalog per caller, real sidecars with
// their own log directories, one service that is down, and the logs pack. Callers use the real MCP SDK client.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogService } from '../../../control/types.js';
import { type Front, startFront } from '../../../filter/host/front.js';
import { logsPack } from '../../../sidecar/packs/logs.js';
import { genericTools } from '../../../sidecar/tools/index.js';
import { catalogOf, type RunningControl, service, startControl } from '../../control/support/controlApp.js';
import { auditLines, example, filterWasm } from '../../filter/harness.js';
import { closedUrl } from '../../support/ports.js';
import { post, startTestSidecar, type TestSidecar } from '../../support/sidecar.js';

const KEYS = { ada: 'ada-key-0001', rita: 'rita-key-0001', pack: 'pack-key-0001' };
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const ID = 'rid-7f3a.c+1';
const LOGGED = ['payment-service', 'user-service'] as const;

const policy = {
  default: 'deny' as const,
  rules: [
    {
      name: 'catalog',
      effect: 'allow' as const,
      principals: ['*'],
      methods: ['initialize', 'ping', 'tools/list', 'server/discover', 'notifications/*'],
    },
    // The pack's key may read logs, but not audit-service's.
    { name: 'pack-not-audit', effect: 'deny' as const, groups: ['log-readers'], tools: ['audit-service__get_logs'] },
    { name: 'pack', effect: 'allow' as const, groups: ['log-readers'], tools: ['*__get_logs'] },
    { name: 'sre', effect: 'allow' as const, groups: ['sre'] },
    { name: 'readers-not-user-logs', effect: 'deny' as const, groups: ['readers'], tools: ['user-service__get_logs'] },
    { name: 'readers', effect: 'allow' as const, groups: ['readers'] },
  ],
};

const SERVICES = ['payment-service', 'user-service', 'broken-service', 'audit-service'];

function gatewayConfig() {
  const config = example('gateway');
  delete config.rateLimits;
  config.identity = [
    {
      apiKey: {
        header: 'x-api-key',
        bearer: true,
        keys: [
          { sha256: sha(KEYS.ada), principal: 'ada', groups: ['sre'] },
          { sha256: sha(KEYS.rita), principal: 'rita', groups: ['readers'] },
          { sha256: sha(KEYS.pack), principal: 'logs-pack', groups: ['log-readers'], delegate: true },
        ],
      },
    },
  ];
  config.policy = policy;
  const local = { namespace: 'production', host: '127.0.0.1', port: 3000 };
  config.services = [
    ...SERVICES.map((name) => ({ name, ...local, tools: ['get_health', 'get_logs'] })),
    { name: 'logs', ...local, tools: logsPack.map((t) => t.name) },
  ];
  return config;
}

/** A catalog service whose tools carry the real generic tools' schemas, as the collector would have them. */
function withRealTools(s: CatalogService, tools: readonly { name: string; inputSchema: object }[]): CatalogService {
  for (const t of s.tools) {
    const real = tools.find((g) => g.name === t.tool);
    if (real) t.inputSchema = real.inputSchema as Record<string, unknown>;
  }
  return s;
}

let dir: string;
let front: Front;
let control: RunningControl;
const sidecars: TestSidecar[] = [];
let pack: TestSidecar;
const now = Date.now();
const at = (minAgo: number) => new Date(now - minAgo * 60_000).toISOString();
const line = (minAgo: number, level: string, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ timestamp: at(minAgo), level, msg, ...extra });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-trace-'));
  const logs: Record<(typeof LOGGED)[number], string[]> = {
    'payment-service': [
      line(50, 'info', 'started'),
      line(30, 'info', 'request', { request_id: ID, path: '/pay' }),
      line(20, 'error', 'card declined', { request_id: ID }),
      line(15, 'info', 'request', { request_id: 'rid-7f3aXcc1' }), // what the id would match as a regex
    ],
    'user-service': [line(25, 'info', 'request', { request_id: ID, path: '/users/1' }), line(10, 'warn', `slow ${ID}`)],
  };
  const routes: Record<string, { host: string; port: number }> = {};
  for (const s of LOGGED) {
    await mkdir(join(dir, s));
    writeFileSync(join(dir, s, 'app.log'), `${logs[s].join('\n')}\n`);
    const sc = await startTestSidecar(genericTools, ['--service-name', s, '--log-dir', join(dir, s)]);
    sidecars.push(sc);
    routes[s] = { host: '127.0.0.1', port: Number(new URL(sc.url).port) };
  }
  // audit-service has logs the pack's key may not read.
  await mkdir(join(dir, 'audit-service'));
  writeFileSync(join(dir, 'audit-service', 'app.log'), `${line(5, 'info', `audit ${ID}`)}\n`);
  const audit = await startTestSidecar(genericTools, [
    '--service-name',
    'audit-service',
    '--log-dir',
    join(dir, 'audit-service'),
  ]);
  sidecars.push(audit);
  routes['audit-service'] = { host: '127.0.0.1', port: Number(new URL(audit.url).port) };
  routes['broken-service'] = { host: '127.0.0.1', port: Number(new URL(await closedUrl()).port) };

  control = await startControl(policy);
  control.endpoint.setCatalog(
    catalogOf(
      ...SERVICES.map((s) => withRealTools(service(s, ['get_health', 'get_logs']), genericTools)),
      withRealTools(
        service(
          'logs',
          logsPack.map((t) => t.name),
        ),
        logsPack,
      ),
    ),
  );
  routes['meshmcp-control'] = { host: '127.0.0.1', port: Number(new URL(control.url).port) };
  front = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(gatewayConfig()),
    allowOnHeadersStopIteration: true,
    upstreams: routes,
  });
  const keyFile = join(dir, 'pack.key');
  writeFileSync(keyFile, `${KEYS.pack}\n`, { mode: 0o600 });
  pack = await startTestSidecar(logsPack, [
    ...['--service-name', 'logs', '--log-dir', dir],
    ...['--gateway-url', `${front.url}/mcp`, '--gateway-key-file', keyFile],
  ]);
  front.setUpstreams({ ...routes, logs: { host: '127.0.0.1', port: Number(new URL(pack.url).port) } });
});

afterAll(async () => {
  await front?.close();
  await control?.close();
  for (const s of [...sidecars, pack]) await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function traceAs(key: string, args: Record<string, unknown> = { request_id: ID }) {
  const client = new Client({ name: 'trace-test', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${front.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  try {
    return await client.callTool({ name: 'logs__trace_request', arguments: args });
  } finally {
    await client.close();
  }
}

type Structured = {
  services: Array<{ service: string; status: string; lines: number; reason?: string }>;
  lines: Array<{ service: string; time: string | null; level: string | null; text: string }>;
};

describe('trace_request through the gateway', () => {
  it('merges the lines holding the id across services by time, with a status for each service', async () => {
    const r = await traceAs(KEYS.ada);
    expect(r.isError ?? false).toBe(false);
    const s = r.structuredContent as Structured;
    expect(s.lines.map((l) => [l.service, l.level, l.time])).toEqual([
      ['payment-service', 'info', at(30)],
      ['user-service', 'info', at(25)],
      ['payment-service', 'error', at(20)],
      ['user-service', 'warn', at(10)],
    ]);
    // A literal match: the line whose id only a regular expression would match is not there.
    expect(JSON.stringify(s.lines)).not.toContain('rid-7f3aXcc1');
    const byService = Object.fromEntries(s.services.map((x) => [x.service, x]));
    expect(byService['payment-service']).toMatchObject({ status: 'found', lines: 2 });
    expect(byService['user-service']).toMatchObject({ status: 'found', lines: 2 });
    // Down: a row saying so, not a failed tool.
    expect(byService['broken-service']).toMatchObject({ status: 'failed' });
    expect(byService['broken-service']!.reason).toContain('broken-service');
    // ada may read audit-service's logs; the pack's own key may not: listed through the key, the intersection leaves
    // it out, so it is neither asked nor shown.
    expect(byService['audit-service']).toBeUndefined();
    expect(JSON.stringify(s)).not.toContain(`audit ${ID}`);
    const text = (r.content as Array<{ text: string }>)[0]!.text;
    expect(text).toMatch(/^request rid-7f3a\.c\+1 since 1h: 4 lines from 2 of 3 services/);
    expect(text).toMatch(/broken-service +failed: /);
  });

  it('fans out with the caller’s rights: a service the caller may not read is not searched', async () => {
    const r = await traceAs(KEYS.rita);
    const s = r.structuredContent as Structured;
    expect(s.services.map((x) => x.service)).not.toContain('user-service');
    expect(new Set(s.lines.map((l) => l.service))).toEqual(new Set(['payment-service']));
  });

  it('the gateway audits each fan-out call as the caller, via the pack', async () => {
    const before = auditLines(front.plugin).length;
    await traceAs(KEYS.ada);
    const fanOut = auditLines(front.plugin)
      .slice(before)
      .filter((l) => l.via !== undefined);
    expect(fanOut.map((l) => `${l.method} ${l.service ?? ''}`).sort()).toEqual(
      [
        'tools/list meshmcp-control',
        'tools/call broken-service',
        'tools/call payment-service',
        'tools/call user-service',
      ].sort(),
    );
    for (const l of fanOut) expect(l).toMatchObject({ client: 'ada', via: 'logs-pack', groups: ['sre'] });
    // The call that started it is ada's own, not via anyone.
    const own = auditLines(front.plugin)
      .slice(before)
      .filter((l) => l.tool === 'trace_request');
    expect(own).toHaveLength(1);
    expect(own[0].via).toBeUndefined();
  });

  it('refuses an id that is too short or not printable, before asking anyone', async () => {
    for (const request_id of ['abc', 'has space in it']) {
      const r = await traceAs(KEYS.ada, { request_id });
      expect(r.isError).toBe(true);
    }
  });
});

describe('trace_request without what it needs', () => {
  it('called on the pack’s own port (no caller named): refuses, naming the gateway', async () => {
    const r = await post(pack.mcpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'trace_request', arguments: { request_id: ID } },
    });
    expect(r.json.result.isError).toBe(true);
    expect(r.json.result.content[0].text).toMatch(
      /acts for its caller.*through the meshmcp gateway \(as logs__trace_request\)/,
    );
  });

  it('without a gateway URL or a key: refuses, naming the settings; the key never shows', async () => {
    const caller = { 'x-meshmcp-principal': 'ada', 'x-meshmcp-groups': 'sre' };
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'trace_request', arguments: { request_id: ID } },
    };
    const noGateway = await startTestSidecar(logsPack, ['--service-name', 'logs', '--log-dir', dir]);
    const badKey = join(dir, 'bad.key');
    writeFileSync(badKey, 'two words\n');
    const withBadKey = await startTestSidecar(logsPack, [
      ...['--service-name', 'logs', '--log-dir', dir, '--gateway-url', `${front.url}/mcp`],
      ...['--gateway-key-file', badKey],
    ]);
    const wrongKey = join(dir, 'wrong.key');
    writeFileSync(wrongKey, 'not-the-pack-key\n');
    const withWrongKey = await startTestSidecar(logsPack, [
      ...['--service-name', 'logs', '--log-dir', dir, '--gateway-url', `${front.url}/mcp`],
      ...['--gateway-key-file', wrongKey],
    ]);
    try {
      const a = await post(noGateway.mcpUrl, body, caller);
      expect(a.json.result.content[0].text).toMatch(/--gateway-url \/ MESHMCP_GATEWAY_URL/);
      const b = await post(withBadKey.mcpUrl, body, caller);
      expect(b.json.result.content[0].text).toMatch(/bad\.key holds no API key/);
      expect(b.text).not.toContain('two words');
      const c = await post(withWrongKey.mcpUrl, body, caller);
      expect(c.json.result.content[0].text).toMatch(/did not accept the pack’s delegate key \(401\)/);
      expect(c.text).not.toContain('not-the-pack-key');
      for (const s of [noGateway, withBadKey, withWrongKey]) expect(JSON.stringify(s.logs)).not.toContain('key-');
    } finally {
      for (const s of [noGateway, withBadKey, withWrongKey]) await s.close();
    }
  });
});
