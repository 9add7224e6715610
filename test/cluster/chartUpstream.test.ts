// The chart's meshmcp.mcpUpstream.service helper rendered by the real `helm template`, as a team's chart uses it,
// and read back by the control service's own discovery mapping: the Service it writes is an MCP server of its own on
// the declared path and revisions. A path that is not absolute, or a missing port, fails the render with the fix.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { toDiscovered } from '../../control/discovery/kubeObjects.js';
import { ROOT } from '../support/cli.js';
import { requireTool } from './tools/tools.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-chart-upstream-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: team-server\nversion: 0.1.0\n');
  copyFileSync(join(ROOT, 'istio/chart/templates/_mcpupstream.tpl'), join(dir, 'templates/_mcpupstream.tpl'));
  writeFileSync(join(dir, 'values.yaml'), 'server: { name: everything, port: 3001, path: /mcp }\n');
  writeFileSync(
    join(dir, 'templates/service.yaml'),
    '{{ include "meshmcp.mcpUpstream.service" (dict "name" .Values.server.name "port" .Values.server.port ' +
      '"path" .Values.server.path "protocols" .Values.server.protocols "bridge" .Values.server.bridge) }}\n',
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function helmTemplate(set: string[]): Promise<{ code: number; out: string; err: string }> {
  const helm = requireTool('helm');
  return new Promise((resolve) => {
    execFile(
      helm,
      ['template', 'team', dir, '--namespace', 'tools', ...set.flatMap((s) => ['--set', s])],
      (err, out, stderr) => resolve({ code: err ? 1 : 0, out, err: stderr }),
    );
  });
}

describe('the chart’s mcpUpstream helper, rendered by helm', () => {
  it('writes the MCP Service that discovery reads as an MCP server of its own', async () => {
    const r = await helmTemplate(['server.protocols={2025-11-25,2026-07-28}']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [service] = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(service.metadata).toMatchObject({
      name: 'everything-mcp',
      labels: { app: 'everything', 'mcp-enabled': 'true' },
      annotations: { 'meshmcp.io/upstream-path': '/mcp', 'meshmcp.io/upstream-protocols': '2025-11-25,2026-07-28' },
    });
    service.metadata.namespace = 'tools';
    const [found] = toDiscovered([service], []);
    expect(found).toMatchObject({
      name: 'everything',
      port: 3001,
      url: 'http://everything-mcp.tools.svc.cluster.local:3001/mcp',
      selector: { app: 'everything' },
      upstream: { path: '/mcp', protocols: ['2025-11-25', '2026-07-28'] },
    });
  });

  it('declares a server behind a bridge, which discovery reads as one', async () => {
    const r = await helmTemplate(['server.bridge=true', 'server.port=3000']);
    expect(r.code, r.err).toBe(0);
    const [service] = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(service.metadata.annotations['meshmcp.io/upstream-bridge']).toBe('true');
    service.metadata.namespace = 'tools';
    const [found] = toDiscovered([service], []);
    expect(found?.upstream).toEqual({ path: '/mcp', protocols: ['2025-11-25'], bridge: true });
    const plain = parseAllDocuments((await helmTemplate([])).out).map((d) => d.toJS())[0];
    expect(plain.metadata.annotations['meshmcp.io/upstream-bridge']).toBeUndefined();
  });

  it('defaults the revisions to 2025-11-25', async () => {
    const r = await helmTemplate([]);
    const [service] = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(service.metadata.annotations['meshmcp.io/upstream-protocols']).toBe('2025-11-25');
  });

  it.each([
    [['server.path=mcp'], 'path "mcp" must be an absolute URL path, e.g. /mcp'],
    [['server.port=null'], 'port is required'],
  ])('fails the render for %j, naming the fix', async (set, message) => {
    const r = await helmTemplate(set);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
  });
});
