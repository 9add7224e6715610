// `meshmcp control` as processes, end to end against a real kube-apiserver with Istio's CRDs, each given only a
// kubeconfig for the meshmcp-control ServiceAccount (istio/base's grants). The sidecars are real and on loopback:
// the services file's url is the explicit address override that Kubernetes discovery cannot carry. Two replicas:
// one leads and applies; SIGTERM on it releases the Lease and the other takes over.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlProcess, startControlProcess } from '../control/support/controlProcess.js';
import { ROOT } from '../support/cli.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { echoTool } from '../support/testTools.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { CONTROL_NAMESPACE, type Mesh, prepareMesh, waitUntil, within } from './support/mesh.js';

let cluster: Cluster | undefined;
let mesh: Mesh;
let sidecar: TestSidecar | undefined;
let dir: string;
const processes: ControlProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  mesh = await prepareMesh(cluster);
  sidecar = await startTestSidecar([{ ...echoTool, name: 'get_health' }], ['--service-name', 'payment-service']);
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-cluster-control-'));
});

afterAll(async () => {
  for (const p of processes) await p.stop();
  await sidecar?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const WAIT_MS = 60_000;

/** The process's log line matching pred, or a failure quoting its last log lines after WAIT_MS. */
function logged(p: ControlProcess, what: string, pred: (l: Record<string, unknown>) => boolean) {
  return within(
    `${what}`,
    WAIT_MS,
    p.waitForLog(pred),
    () => `Its last log lines:\n${p.stdout.slice(-8).join('\n').slice(0, 3000)}`,
  );
}

async function holder(): Promise<string | undefined> {
  const client = KubernetesObjectApi.makeApiClient(mesh.admin);
  const o = (await client.read({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'meshmcp-control', namespace: CONTROL_NAMESPACE },
  })) as KubernetesObject & { spec?: { holderIdentity?: string } };
  return o.spec?.holderIdentity;
}

describe('meshmcp control processes against a real kube-apiserver, as the meshmcp-control ServiceAccount', () => {
  it('the leader applies the rendered resources; on SIGTERM the other replica takes over', async () => {
    const servicesFile = join(dir, 'services.yaml');
    writeFileSync(
      servicesFile,
      [
        'services:',
        '  - name: payment-service',
        '    namespace: production',
        `    url: ${sidecar!.mcpUrl}`,
        '    selector: { app: payment-service }',
        '',
      ].join('\n'),
    );
    const kubeconfig = mesh.cluster.kubeConfigFile(mesh.controlToken, 'meshmcp-control');
    const args = (identity: string) => [
      '--config',
      join(ROOT, 'istio/base/mesh.yaml'),
      '--services-file',
      servicesFile,
      '--apply',
      '--kubeconfig',
      kubeconfig,
      '--allowed-namespaces',
      'production,staging',
      '--lease-namespace',
      CONTROL_NAMESPACE,
      '--identity',
      identity,
    ];
    const a = await startControlProcess(args('control-a'));
    processes.push(a);
    await logged(a, 'control-a applying', (l) => l['message'] === 'Istio resources applied');
    expect(await holder()).toBe('control-a');

    const client = KubernetesObjectApi.makeApiClient(mesh.admin);
    const policies = await client.list(
      'security.istio.io/v1',
      'AuthorizationPolicy',
      'production',
      undefined,
      undefined,
      undefined,
      undefined,
      'app.kubernetes.io/managed-by=meshmcp-control',
    );
    expect(policies.items.map((o) => o.metadata?.name)).toHaveLength(1);
    const gateway = await client.list(
      'networking.istio.io/v1alpha3',
      'EnvoyFilter',
      'istio-system',
      undefined,
      undefined,
      undefined,
      undefined,
      'app.kubernetes.io/managed-by=meshmcp-control',
    );
    expect(gateway.items).toHaveLength(1);
    // The gateway filter's routing table names the service and its tool.
    expect(JSON.stringify(gateway.items[0])).toMatch(/payment-service.*get_health/);

    const b = await startControlProcess(args('control-b'));
    processes.push(b);
    await logged(b, 'control-b building its catalog', (l) => l['message'] === 'first catalog ready');
    // Standing by: a few of its retries later it still does not lead.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(b.logs.some((l) => l['message'] === 'leading: this replica applies')).toBe(false);
    expect(await holder()).toBe('control-a');

    expect(await within('control-a exiting on SIGTERM', WAIT_MS, a.stop())).toBe(0);
    await logged(b, 'control-b taking over', (l) => l['message'] === 'leading: this replica applies');
    await waitUntil('the Lease naming control-b', async () => (await holder()) === 'control-b', 30_000);
    const errors = [...a.logs, ...b.logs].filter((l) => l['level'] === 'error' || l['level'] === 'fatal');
    expect(errors).toEqual([]);
  });
});
