// KubernetesDiscovery, unchanged, against a real kube-apiserver, as the meshmcp-control ServiceAccount with only
// istio/base's grants: labelled Services and their EndpointSlices are found, relabelling or deleting removes them,
// and the watches recover from an API server restart and see what changed after it.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesDiscovery } from '../../control/discovery/kubernetes.js';
import type { DiscoveredService } from '../../control/types.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { type Mesh, prepareMesh } from './support/mesh.js';
import { endpointSlice, mcpService, objects } from './support/objects.js';

const WAIT_MS = 60_000;

let cluster: Cluster | undefined;
let mesh: Mesh;

beforeAll(async () => {
  cluster = await startCluster();
  mesh = await prepareMesh(cluster);
});

afterAll(async () => {
  await cluster?.stop();
});

const brief = (s: DiscoveredService[]) =>
  s.map((x) => `${x.namespace}/${x.name}:${x.port}:${x.ready ? 'ready' : 'not-ready'}`);

/** Starts discovery as the control service's ServiceAccount and records every set it publishes. */
async function discover() {
  const logs: string[] = [];
  const log = {
    info: (_o: object, msg: string) => logs.push(msg),
    warn: (o: object, msg: string) => logs.push(`${msg} ${JSON.stringify(o)}`),
    error: (o: object, msg: string) => logs.push(`${msg} ${JSON.stringify(o)}`),
  };
  const d = new KubernetesDiscovery({
    kubeConfig: mesh.control,
    namespaces: ['production', 'staging'],
    backoff: { initialMs: 200, maxMs: 2_000 },
    log,
  });
  const sets: DiscoveredService[][] = [];
  const waiters: Array<() => void> = [];
  await d.start((s) => {
    sets.push(s);
    for (const w of waiters.splice(0)) w();
  });
  return {
    d,
    sets,
    logs,
    /** The latest set, once it satisfies pred; fails with what was seen after WAIT_MS. */
    async until(what: string, pred: (s: string[]) => boolean): Promise<DiscoveredService[]> {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const last = sets.at(-1) ?? [];
        if (pred(brief(last))) return last;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `discovery never showed ${what} within ${WAIT_MS / 1000} s; last set: ${JSON.stringify(brief(last))}; ` +
              `discovery log: ${logs.slice(-10).join(' | ')}\n${cluster?.logTail()}`,
          );
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(left, 1_000));
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
  };
}

describe('KubernetesDiscovery against a real kube-apiserver, as the meshmcp-control ServiceAccount', () => {
  it('the ServiceAccount token is no admin: Secrets are forbidden to it', async () => {
    const err = await mesh.control
      .makeApiClient(CoreV1Api)
      .listNamespacedSecret({ namespace: 'production' })
      .then(
        () => undefined,
        (e: { code?: number }) => e,
      );
    expect(err?.code).toBe(403);
  });

  it('finds labelled Services with EndpointSlices; relabel and delete remove them; survives an API server restart', async () => {
    const admin = objects(mesh.admin);
    const payment = mcpService('payment-service', 'production', 3000);
    await admin.put(payment);
    await admin.put(endpointSlice('payment-service', 'production', true, '10.0.0.1'));
    // Not labelled: never discovered.
    await admin.put({ ...mcpService('plain', 'production'), metadata: { name: 'plain', namespace: 'production' } });
    // Labelled, but in a namespace outside ALLOWED_NAMESPACES.
    await admin.put(mcpService('elsewhere', 'platform-tools'));

    const seen = await discover();
    try {
      const first = await seen.until('payment-service ready', (s) =>
        s.includes('production/payment-service:3000:ready'),
      );
      expect(brief(first)).toEqual(['production/payment-service:3000:ready']);
      expect(first[0]).toMatchObject({
        host: 'payment-service.production.svc.cluster.local',
        url: 'http://payment-service.production.svc.cluster.local:3000/mcp',
        selector: { app: 'payment-service' },
      });

      // Readiness follows the EndpointSlice.
      await admin.put(endpointSlice('payment-service', 'production', false, '10.0.0.1'));
      await seen.until('payment-service not ready', (s) => s.includes('production/payment-service:3000:not-ready'));
      await admin.put(endpointSlice('payment-service', 'production', true, '10.0.0.1'));
      await seen.until('payment-service ready again', (s) => s.includes('production/payment-service:3000:ready'));

      // A rollout: another pod behind the same address, ready throughout. The pods fingerprint changes (the catalog
      // collects the service again at once), as the API server keeps the slice's targetRef.
      const podsNow = () => seen.sets.at(-1)?.find((x) => x.name === 'payment-service')?.pods;
      const podsBefore = podsNow();
      expect(podsBefore).toMatch(/^[0-9a-f]{16}$/);
      const pod = (name: string) => ({
        name,
        uid: `0d2c6a3e-${name.padEnd(4, '0').slice(0, 4)}-4c1b-9f57-1e2d3c4b5a69`,
      });
      await admin.put(endpointSlice('payment-service', 'production', true, '10.0.0.1', 3000, pod('pay1')));
      await seen.until('payment-service with a pod', () => podsNow() !== podsBefore);
      const podsFirst = podsNow();
      await admin.put(endpointSlice('payment-service', 'production', true, '10.0.0.1', 3000, pod('pay2')));
      await seen.until('payment-service with another pod', () => podsNow() !== podsFirst);
      expect(brief(seen.sets.at(-1)!)).toEqual(['production/payment-service:3000:ready']);

      // A second service, in the other allowed namespace.
      await admin.put(mcpService('user-service', 'staging', 3100));
      await admin.put(endpointSlice('user-service', 'staging', true, '10.0.0.2', 3100));
      await seen.until('both services', (s) => s.length === 2 && s.includes('staging/user-service:3100:ready'));

      // Relabelled: gone.
      await admin.put(mcpService('user-service', 'staging', 3100, { 'mcp-enabled': 'false' }));
      await seen.until('user-service gone after relabel', (s) => s.length === 1 && !s.join().includes('user-service'));

      // The API server restarts; the watches reconnect and see changes made after it.
      await cluster!.restartApiServer();
      await admin.put(mcpService('user-service', 'staging', 3100));
      await seen.until('user-service back after the restart', (s) => s.includes('staging/user-service:3100:ready'));
      await admin.put(mcpService('billing', 'production', 3200));
      await admin.put(endpointSlice('billing', 'production', true, '10.0.0.3', 3200));
      await seen.until('billing, added after the restart', (s) => s.includes('production/billing:3200:ready'));

      // An MCP server of its own, declared by annotations the API server keeps as written; a broken declaration is
      // skipped with the annotation named, and fixing it brings the server in.
      const everything = mcpService('everything', 'production', 3001);
      const annotated = (a: Record<string, string>) => ({
        ...everything,
        metadata: { ...everything.metadata, annotations: a },
      });
      await admin.put(annotated({ 'meshmcp.io/upstream-path': 'mcp' }));
      await admin.put(endpointSlice('everything', 'production', true, '10.0.0.4', 3001));
      const skipped = Date.now() + WAIT_MS;
      const warning = () => seen.logs.find((l) => l.includes('production/everything'));
      while (warning() === undefined && Date.now() < skipped) await new Promise((r) => setTimeout(r, 100));
      expect(warning()).toContain('meshmcp.io/upstream-path');
      expect(warning()).toContain('fix the annotation');
      expect(brief(seen.sets.at(-1)!).join()).not.toContain('everything');
      await admin.put(
        annotated({ 'meshmcp.io/upstream-path': '/mcp', 'meshmcp.io/upstream-protocols': '2026-07-28,2025-11-25' }),
      );
      const withServer = await seen.until('everything as an upstream', (s) =>
        s.includes('production/everything:3001:ready'),
      );
      expect(withServer.find((x) => x.name === 'everything')).toMatchObject({
        url: 'http://everything.production.svc.cluster.local:3001/mcp',
        upstream: { path: '/mcp', protocols: ['2025-11-25', '2026-07-28'] },
      });
      await admin.remove(everything);
      await seen.until('everything gone', (s) => !s.join().includes('everything'));

      // Deleted: gone.
      await admin.remove(payment);
      const last = await seen.until('payment-service gone after delete', (s) => !s.join().includes('payment-service'));
      expect(brief(last)).toEqual(['production/billing:3200:ready', 'staging/user-service:3100:ready']);
    } finally {
      await seen.d.stop();
    }
  });
});
