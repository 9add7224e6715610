// The chart installed as two shards (istio/chart/examples/shard-east.yaml and shard-west.yaml, two releases in one
// namespace), rendered by the real `helm template`: no object of one release is also the other's; each control
// configuration parses with its shard, the Service, ServiceAccount and Lease the release makes; the objects each
// shard's control service renders never share a name with the other shard's or the releases'; and a bad shard name
// fails the install with the fix. Unsharded, the names stay as they were.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { leaseName } from '../../control/flags.js';
import { parseRenderConfig, renderAll } from '../../control/render/index.js';
import type { Catalog } from '../../control/types.js';
import { ROOT } from '../support/cli.js';
import { requireTool } from './tools/tools.js';

const CHART = join(ROOT, 'istio/chart');
const NAMESPACE = 'platform-tools';

/** A rendered manifest, read field by field. */
type Obj = Record<string, any>;

function helmTemplate(release: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const helm = requireTool('helm');
  return new Promise((resolve) => {
    execFile(helm, ['template', release, CHART, '-n', NAMESPACE, ...args], (err, out, stderr) =>
      resolve({ code: err ? 1 : 0, out, err: stderr }),
    );
  });
}

async function release(name: string, args: string[]): Promise<Obj[]> {
  const r = await helmTemplate(name, args);
  expect(r.code, r.err).toBe(0);
  return parseAllDocuments(r.out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const id = (o: Obj) => `${o['kind']} ${o['metadata'].namespace ?? ''}/${o['metadata'].name}`;
const find = (objs: Obj[], kind: string) => objs.filter((o) => o['kind'] === kind);
const env = (deployment: Obj, name: string) =>
  deployment['spec'].template.spec.containers[0].env.find((e: Obj) => e['name'] === name)?.value;

/** One service in each of the release's allowed namespaces. */
function catalogOf(namespaces: string[]): Catalog {
  return {
    services: namespaces.map((namespace, i) => ({
      route: `svc-${i}`,
      name: `svc-${i}`,
      namespace,
      host: `svc-${i}-mcp.${namespace}.svc.cluster.local`,
      port: 3000,
      selector: { app: `svc-${i}` },
      health: { healthy: true, consecutiveFailures: 0 },
      tools: [{ name: `svc-${i}__get_health`, tool: 'get_health', inputSchema: { type: 'object' } }],
    })),
  };
}

describe('the chart as two shards, rendered by helm', () => {
  it('two releases in one namespace share no object; each control service gets its shard, Service, account and Lease', async () => {
    const shards = {
      east: await release('meshmcp-east', ['-f', join(CHART, 'examples/shard-east.yaml')]),
      west: await release('meshmcp-west', ['-f', join(CHART, 'examples/shard-west.yaml')]),
    };
    const eastIds = shards.east.map(id);
    expect(shards.west.map(id).filter((x) => eastIds.includes(x))).toEqual([]);

    const renderedIds: string[] = [];
    for (const [shard, objs] of Object.entries(shards)) {
      const deployment = find(objs, 'Deployment')[0]!;
      expect(deployment['metadata'].name).toBe(`meshmcp-control-${shard}`);
      const config = parseRenderConfig(find(objs, 'ConfigMap')[0]!['data']['mesh.yaml'], `${shard} mesh.yaml`);
      expect(config.settings.shard).toBe(shard);
      const service = find(objs, 'Service')[0]!;
      expect(config.settings.control.host).toBe(`${service['metadata'].name}.${NAMESPACE}.svc.cluster.local`);
      expect(config.settings.control.serviceAccount).toBe(find(objs, 'ServiceAccount')[0]!['metadata'].name);
      expect(deployment['spec'].template.spec.serviceAccountName).toBe(config.settings.control.serviceAccount);
      // One Lease per shard: what the control service would pick itself, and the one its Role lets it update.
      expect(env(deployment, 'LEASE_NAME')).toBe(leaseName(shard));
      const role = find(objs, 'Role')[0]!;
      expect(role['rules'].find((r: Obj) => r['resourceNames'])?.resourceNames).toEqual([leaseName(shard)]);
      // The gateway of its own: the Gateway the release makes is the one its routes bind to, for its hosts.
      const gateway = find(objs, 'Gateway')[0]!;
      expect(config.settings.gateway.gatewayRef).toBe(`${gateway['metadata'].namespace}/${gateway['metadata'].name}`);
      expect(config.settings.gateway.selector).toEqual(gateway['spec'].selector);
      expect(config.settings.gateway.hosts).toEqual(gateway['spec'].servers[0].hosts);
      // What its control service renders for its namespaces.
      const namespaces = String(env(deployment, 'ALLOWED_NAMESPACES')).split(',');
      const rendered = renderAll(catalogOf(namespaces), config.policy, config.settings);
      for (const r of rendered) expect(r.metadata.labels?.['meshmcp.io/shard']).toBe(shard);
      renderedIds.push(...rendered.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`));
    }
    const all = [...renderedIds, ...shards.east.map(id), ...shards.west.map(id)];
    expect(new Set(all).size).toBe(all.length);
  });

  it('unsharded, the release keeps its names and Lease', async () => {
    const objs = await release('meshmcp', []);
    expect(find(objs, 'Deployment')[0]!['metadata'].name).toBe('meshmcp-control');
    expect(find(objs, 'Service')[0]!['metadata'].name).toBe('meshmcp-control');
    expect(env(find(objs, 'Deployment')[0]!, 'LEASE_NAME')).toBe('meshmcp-control');
    expect(find(objs, 'VirtualService')[0]!['metadata'].name).toBe('meshmcp-entry');
    const config = parseRenderConfig(find(objs, 'ConfigMap')[0]!['data']['mesh.yaml'], 'mesh.yaml');
    expect('shard' in config.settings).toBe(false);
  });

  it('refuses a shard name that is not one, naming the fix', async () => {
    const r = await helmTemplate('meshmcp', ['--set', 'shard=East']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('shard "East" is not a shard name');
    expect(r.err).toContain('leave shard empty for one unsharded release');
  });
});
