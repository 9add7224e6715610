// LeaderElection, unchanged, on the real Lease API as the meshmcp-control ServiceAccount (istio/base's Role grants
// create, and get/update of the Lease meshmcp-control in platform-tools only): of two instances exactly one leads,
// and stopping it hands the lease to the other.
import { type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElection } from '../../control/apply/leader.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { CONTROL_NAMESPACE, type Mesh, prepareMesh, waitUntil } from './support/mesh.js';

let cluster: Cluster | undefined;
let mesh: Mesh;

beforeAll(async () => {
  cluster = await startCluster();
  mesh = await prepareMesh(cluster);
});

afterAll(async () => {
  await cluster?.stop();
});

interface LeaseSpec {
  holderIdentity?: string;
  leaseTransitions?: number;
}

async function lease(): Promise<LeaseSpec | undefined> {
  const client = KubernetesObjectApi.makeApiClient(mesh.admin);
  const o = (await client.read({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'meshmcp-control', namespace: CONTROL_NAMESPACE },
  })) as KubernetesObject & { spec?: LeaseSpec };
  return o.spec;
}

describe('LeaderElection on a real kube-apiserver, as the meshmcp-control ServiceAccount', () => {
  it('two instances: exactly one leads; stopping it hands over to the other', async () => {
    const timeline: string[] = [];
    const make = (identity: string) => {
      const warnings: string[] = [];
      const e = new LeaderElection({
        kubeConfig: mesh.control,
        namespace: CONTROL_NAMESPACE,
        identity,
        leaseDurationSeconds: 6,
        renewEveryMs: 1_000,
        retryEveryMs: 300,
        log: {
          info() {},
          warn: (o, m) => warnings.push(`${m} ${JSON.stringify(o)}`),
          error: (o, m) => warnings.push(`${m} ${JSON.stringify(o)}`),
        },
      });
      e.start({
        onStartedLeading: () => timeline.push(`${identity} leads`),
        onStoppedLeading: () => timeline.push(`${identity} stops`),
      });
      return { e, identity, warnings };
    };
    const a = make('control-a');
    const b = make('control-b');
    try {
      const first = await waitUntil(
        'one of two instances leading',
        async () => [a, b].find((x) => x.e.isLeader()),
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; warnings: ${[...a.warnings, ...b.warnings].slice(-6).join(' | ')}`);
      });
      const other = first === a ? b : a;
      // Several renewals and retries later, still exactly one leader, and the Lease names it.
      for (let i = 0; i < 20; i++) {
        expect([a, b].filter((x) => x.e.isLeader()).map((x) => x.identity)).toEqual([first.identity]);
        await new Promise((r) => setTimeout(r, 150));
      }
      const held = await lease();
      expect(held?.holderIdentity).toBe(first.identity);

      await first.e.stop();
      expect(first.e.isLeader()).toBe(false);
      await waitUntil(`${other.identity} taking over`, async () => other.e.isLeader(), 30_000);
      const taken = await lease();
      expect(taken?.holderIdentity).toBe(other.identity);
      expect(taken?.leaseTransitions ?? 0).toBeGreaterThanOrEqual(1);
      expect(timeline).toEqual([`${first.identity} leads`, `${first.identity} stops`, `${other.identity} leads`]);
      expect([...a.warnings, ...b.warnings].filter((w) => /403|forbidden/i.test(w))).toEqual([]);
    } finally {
      await a.e.stop();
      await b.e.stop();
    }
  });
});
