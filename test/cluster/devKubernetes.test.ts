// The kubernetes pack in the local mesh: `meshmcp dev --kubeconfig` against a real kube-apiserver, with a kubeconfig
// holding a token of the pack's ServiceAccount (istio/ grants). The pack is then a service of the mesh like any other:
// listed, called and chatted with through the gateway (`mcp kubernetes get pods` as typed), behind its pod proxy, and
// audited. A kubeconfig the pack cannot use stops `meshmcp dev` before anything starts, with the reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshClient, runChatCommand } from '../../client/index.js';
import { type Mesh as LocalMesh, startMesh } from '../e2e/support/mesh.js';
import { ROOT } from '../support/cli.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { grantKubernetesPack, PACK_NAMESPACE } from './support/kubePack.js';
import { prepareMesh } from './support/mesh.js';

let cluster: Cluster | undefined;
let local: LocalMesh | undefined;
let dir: string;

beforeAll(async () => {
  cluster = await startCluster();
  const mesh = await prepareMesh(cluster);
  const token = await grantKubernetesPack(mesh);
  const core = mesh.admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: PACK_NAMESPACE, body: { metadata: { name: 'default' } } });
  for (const name of ['checkout-5c7d', 'checkout-9a1b'])
    await core.createNamespacedPod({
      namespace: PACK_NAMESPACE,
      body: {
        metadata: { name, labels: { app: 'checkout' } },
        spec: { containers: [{ name: 'app', image: 'checkout:3' }] },
      },
    });
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-dev-kube-'));
  local = await startMesh({
    kubeconfig: cluster.kubeConfigFile(token, 'meshmcp-kubernetes-pack'),
    kubeNamespaces: PACK_NAMESPACE,
    prometheus: false,
  });
}, 240_000);

afterAll(async () => {
  await local?.stop();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('meshmcp dev --kubeconfig', () => {
  it('says where the kubernetes pack reads', () => {
    expect(local!.output()).toContain(
      `kubernetes     the service kubernetes (kubernetes__get, …) reads ${cluster!.server} in ${PACK_NAMESPACE}`,
    );
  });

  it('serves the kubernetes pack through the gateway: listed, chatted with as typed, audited', async () => {
    const client = new MeshClient({ url: local!.url, headers: { 'x-api-key': local!.readonlyKey }, timeoutMs: 20_000 });
    try {
      const { tools } = await client.listTools('kubernetes');
      expect(tools.map((t) => t.fullName)).toContain('kubernetes__get');
      expect(tools.every((t) => t.readOnly)).toBe(true);
      const answer = await runChatCommand(client, 'mcp kubernetes get pods');
      expect(answer).toMatch(/^\*\*kubernetes get\*\*\n```\nNAMESPACE\s+NAME\s+READY\s+STATUS/);
      expect(answer).toMatch(/production\s+checkout-5c7d\s+0\/1\s+Pending/);
      expect(answer).toMatch(/production\s+checkout-9a1b\s+0\/1\s+Pending/);
    } finally {
      await client.close();
    }
    const line = await local!.lastAudit((l) => l.service === 'kubernetes' && l.tool === 'get');
    expect(line).toMatchObject({ client: 'dev-readonly', decision: 'allow', status: 'success' });
  });

  it('refuses a kubeconfig without a bearer token before starting anything', () => {
    const file = join(dir, 'cert-user.kubeconfig');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: cluster!.server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { username: 'someone', password: 'x' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    const r = spawnSync(process.execPath, ['bin/meshmcp.js', 'dev', '--kubeconfig', file, '--dir', join(dir, 'mesh')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the kubeconfig user of context ctx has no bearer token');
  });
});
