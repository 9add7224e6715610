// The Applier against apiMock, a MOCK kube-apiserver on loopback: server-side apply in render's order, unchanged
// objects skipped, pruning of stale managed objects only (in reverse order), a failed write stopping before the
// gateway filter, the dry-run diff and the missing-CRD error. The same class runs against a real API server in
// test/cluster.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Applier, ApplyError } from '../../control/apply/applier.js';
import { CONTENT_HASH_ANNOTATION } from '../../control/managedObjects.js';
import { parseRenderConfig, renderAll } from '../../control/render/index.js';
import type { Catalog, Resource } from '../../control/types.js';
import { ROOT } from '../support/cli.js';
import { type ApiMock, type MockObject, testApiMock as mock } from './support/apiMock.js';
import { readRenderInput } from './support/golden.js';

const input = readRenderInput(readFileSync(join(ROOT, 'test/golden/render/basic-three-services.in.yaml'), 'utf8'));
const { settings, policy } = parseRenderConfig(input.configText, 'basic-three-services.in.yaml');

/** The golden case's resources, after `edit` changed its catalog. */
function render(edit: (c: Catalog) => Catalog = (c) => c): Resource[] {
  return renderAll(edit(structuredClone(input.catalog)), policy, settings);
}
const without = (route: string) => (c: Catalog) => ({ services: c.services.filter((s) => s.route !== route) });
const id = (r: Resource) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`;
const applier = (m: ApiMock, namespaces: string[] = []) =>
  new Applier({ kubeConfig: m.kubeConfig(), scope: { namespaces } });

function managed(kind: string, apiVersion: string, namespace: string, name: string, labelled = true): MockObject {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      ...(labelled ? { labels: { 'app.kubernetes.io/managed-by': 'meshmcp-control' } } : {}),
    },
    spec: {},
  };
}

describe('Applier', () => {
  it('creates everything with server-side apply, in render order, as meshmcp-control', async () => {
    const m = await mock();
    const resources = render();
    const report = await applier(m).apply(resources);
    expect(report).toEqual({ applied: resources.map(id), unchanged: [], pruned: [] });
    expect(m.writes()).toEqual(resources.map((r) => `PATCH ${id(r)}`));
    expect(resources.at(-1)!.metadata.name).toBe('meshmcp-gateway');
    for (const r of m.requests.filter((x) => x.method === 'PATCH')) {
      expect(r.contentType).toBe('application/apply-patch+yaml');
      expect(r.query).toMatchObject({ fieldManager: 'meshmcp-control', force: 'true' });
    }
    for (const r of m.requests.filter((x) => x.method === 'GET' && /^[A-Z]\w+ [a-z-]+$/.test(x.target))) {
      // Every managed object is read (a namespace another shard manages is found); only its own are pruned.
      expect(r.query['labelSelector']).toBe('app.kubernetes.io/managed-by=meshmcp-control');
    }
    const gw = m.get('EnvoyFilter', 'istio-system', 'meshmcp-gateway')!;
    expect(gw.spec).toEqual(resources.at(-1)!.spec);
    expect(gw.metadata.managedFields).toEqual([{ manager: 'meshmcp-control', operation: 'Apply' }]);
  });

  it('writes only what changed', async () => {
    const m = await mock();
    const a = applier(m);
    const first = render();
    await a.apply(first);
    const before = m.writes().length;

    const again = await a.apply(render());
    expect(again).toEqual({ applied: [], unchanged: first.map(id), pruned: [] });
    expect(m.writes().length).toBe(before);

    const addTool = (c: Catalog) => {
      const s = c.services.find((x) => x.route === 'payment-service')!;
      s.tools.push({ name: 'payment-service__get_queue', tool: 'get_queue', inputSchema: { type: 'object' } });
      return c;
    };
    const second = render(addTool);
    const hash = (r: Resource) => r.metadata.annotations![CONTENT_HASH_ANNOTATION];
    const changed = second.filter((r, i) => hash(r) !== hash(first[i]!)).map(id);
    expect(changed).toContain('EnvoyFilter istio-system/meshmcp-gateway');
    expect(changed.length).toBeLessThan(second.length);
    const report = await a.apply(second);
    expect(report.applied).toEqual(changed);
    expect(m.writes().slice(before)).toEqual(changed.map((x) => `PATCH ${x}`));
  });

  it('prunes stale managed objects after the writes, routes before sidecar filters before lockdown', async () => {
    const m = await mock();
    await applier(m).apply(render());
    // Leftovers of earlier runs (a WasmPlugin gateway filter, a staging service) and objects that are not ours.
    m.put(managed('WasmPlugin', 'extensions.istio.io/v1alpha1', 'istio-system', 'meshmcp-gateway'));
    m.put(managed('VirtualService', 'networking.istio.io/v1', 'istio-system', 'meshmcp-routes-staging'));
    m.put(managed('EnvoyFilter', 'networking.istio.io/v1alpha3', 'staging', 'meshmcp-sidecar-old'));
    m.put(managed('AuthorizationPolicy', 'security.istio.io/v1', 'staging', 'meshmcp-sidecar-old'));
    m.put(managed('VirtualService', 'networking.istio.io/v1', 'istio-system', 'hand-made', false));
    m.put(managed('EnvoyFilter', 'networking.istio.io/v1alpha3', 'production', 'hand-made', false));
    m.put(managed('EnvoyFilter', 'networking.istio.io/v1alpha3', 'elsewhere', 'meshmcp-sidecar-x'));
    const before = m.writes().length;

    const resources = render(without('mqtt-publisher'));
    const report = await applier(m, ['staging']).apply(resources);
    const writes = m.writes().slice(before);
    expect(writes).toEqual([
      'PATCH VirtualService istio-system/meshmcp-routes-production',
      'PATCH EnvoyFilter istio-system/meshmcp-gateway',
      'DELETE WasmPlugin istio-system/meshmcp-gateway',
      'DELETE VirtualService istio-system/meshmcp-routes-staging',
      'DELETE EnvoyFilter production/meshmcp-sidecar-mqtt-publisher',
      'DELETE EnvoyFilter staging/meshmcp-sidecar-old',
      'DELETE AuthorizationPolicy production/meshmcp-sidecar-mqtt-publisher',
      'DELETE AuthorizationPolicy staging/meshmcp-sidecar-old',
    ]);
    expect(report.pruned).toEqual(writes.filter((w) => w.startsWith('DELETE')).map((w) => w.slice(7)));
    // Unlabelled objects survive, and so does a managed one outside the namespaces in scope.
    expect(m.ids('VirtualService')).toContain('VirtualService istio-system/hand-made');
    expect(m.ids('EnvoyFilter')).toEqual(
      expect.arrayContaining(['EnvoyFilter production/hand-made', 'EnvoyFilter elsewhere/meshmcp-sidecar-x']),
    );
    expect([...m.ids('EnvoyFilter'), ...m.ids('AuthorizationPolicy')]).not.toContain(
      'EnvoyFilter production/meshmcp-sidecar-mqtt-publisher',
    );
  });

  it('stops at the first failed write: the gateway filter is not written and nothing is pruned', async () => {
    const m = await mock();
    const old = render((c) => ({ services: c.services.filter((s) => s.route === 'user-service') }));
    await applier(m).apply(old);
    const oldGateway = structuredClone(m.get('EnvoyFilter', 'istio-system', 'meshmcp-gateway')!);
    m.put(managed('VirtualService', 'networking.istio.io/v1', 'istio-system', 'meshmcp-routes-staging'));
    m.failPatch('VirtualService', 'istio-system', 'meshmcp-routes-production', 422, 'spec.http[1].match: Invalid');
    const before = m.writes().length;

    const resources = render();
    const err = await applier(m)
      .apply(resources)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    const e = err as ApplyError;
    expect(e.object).toBe('VirtualService istio-system/meshmcp-routes-production');
    expect(e.status).toBe(422);
    expect(e.apiMessage).toBe('spec.http[1].match: Invalid');
    expect(e.message).toMatch(/VirtualService istio-system\/meshmcp-routes-production failed \(422\): spec\.http/);
    const writes = m.writes().slice(before);
    expect(writes.at(-1)).toBe('PATCH VirtualService istio-system/meshmcp-routes-production');
    expect(writes.some((w) => w.includes('meshmcp-gateway') || w.startsWith('DELETE'))).toBe(false);
    expect(e.report.applied).toEqual(writes.slice(0, -1).map((w) => w.slice(6)));
    // The gateway still routes only to what existed before.
    expect(m.get('EnvoyFilter', 'istio-system', 'meshmcp-gateway')!.spec).toEqual(oldGateway.spec);

    m.clearFailures();
    const report = await applier(m).apply(resources);
    expect(report.applied).toEqual([
      'VirtualService istio-system/meshmcp-routes-production',
      'EnvoyFilter istio-system/meshmcp-gateway',
    ]);
    expect(report.pruned).toEqual(['VirtualService istio-system/meshmcp-routes-staging']);
  });

  it('dry run writes nothing and shows creations, updates and prunes as a diff', async () => {
    const m = await mock();
    await applier(m).apply(render(without('user-service')));
    const before = m.writes().length;

    const resources = render(without('mqtt-publisher'));
    const report = await applier(m).apply(resources, { dryRun: true });
    expect(m.writes().length).toBe(before);
    expect(report.applied).toContain('AuthorizationPolicy production/meshmcp-sidecar-user-service');
    expect(report.pruned).toEqual([
      'EnvoyFilter production/meshmcp-sidecar-mqtt-publisher',
      'AuthorizationPolicy production/meshmcp-sidecar-mqtt-publisher',
    ]);
    const diff = report.diff!;
    expect(diff).toContain('+ create AuthorizationPolicy production/meshmcp-sidecar-user-service\n@@ -0,0 +1,');
    expect(diff).toContain('+ kind: AuthorizationPolicy');
    expect(diff).toMatch(/~ update EnvoyFilter istio-system\/meshmcp-gateway\n@@ /);
    expect(diff).toMatch(/^- {5}meshmcp\.io\/content-hash: /m);
    expect(diff).toMatch(/^\+ {5}meshmcp\.io\/content-hash: /m);
    expect(diff).toContain('- prune EnvoyFilter production/meshmcp-sidecar-mqtt-publisher\n@@ -1,');
    expect(diff).toContain('- kind: EnvoyFilter');
    // Only the fields apply manages are compared: nothing the server adds.
    expect(diff).not.toMatch(/resourceVersion|managedFields|generation/);
    expect(diff.indexOf('~ update')).toBeLessThan(diff.indexOf('- prune'));
  });

  it('names the missing CRD and the fix when Istio is not installed', async () => {
    const m = await mock();
    m.removeKind('VirtualService');
    const err = await applier(m)
      .apply(render())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as Error).message).toMatch(
      /virtualservices\.networking\.istio\.io CRD is not installed.*install Istio/,
    );
    expect(m.writes()).toEqual([]);
  });

  it('does not need the CRD of a kind it neither renders nor has to prune', async () => {
    const m = await mock();
    m.removeKind('WasmPlugin');
    const report = await applier(m).apply(render());
    expect(report.applied.length).toBe(render().length);
  });

  it('reports a failed list with the status and the API server message', async () => {
    const m = await mock();
    m.setDown(true);
    const err = (await applier(m)
      .apply(render())
      .catch((e: unknown) => e)) as ApplyError;
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/listing .* failed \(503\): the mock API server is down/);
  });
});
