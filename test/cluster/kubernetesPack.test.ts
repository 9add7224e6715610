// The kubernetes pack against a real kube-apiserver, as its own ServiceAccount with exactly the grants istio/ gives it
// (ClusterRoles of istio/base, the RoleBinding and nodes ClusterRoleBinding of `kustomize build istio/overlays/
// production`): pods with their status, a pod described with its last termination and events, events newest first,
// nodes against what their pods request, a rollout in progress, the Istio routes of a service, the namespace
// allow-list, and what RBAC refuses. The pack runs as `meshmcp sidecar --pack kubernetes` (the command, a real
// process) and is asked through the real MCP client and the chat commands, `mcp kubernetes get pods` verbatim.
//
// No kubelet runs here: for pod logs the node's status names a mock kubelet on loopback, which the real API server
// proxies the pack's log request to, as it would to a node.
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshClient, runChatCommand } from '../../client/index.js';
import { ROOT } from '../support/cli.js';
import { listeningUrl } from '../support/sidecar.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { grantKubernetesPack } from './support/kubePack.js';
import { applyObjects, type Mesh, prepareMesh } from './support/mesh.js';

const NS = 'production';
const SA = 'meshmcp-kubernetes-pack';
let cluster: Cluster | undefined;
let mesh: Mesh;
let dir: string;
let child: ChildProcessByStdio<null, Readable, null> | undefined;
let mcpUrl: string;
let client: MeshClient;
let kubelet: Awaited<ReturnType<typeof startMockKubelet>>;

const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * A stand-in kubelet (a mock, named as one): the API server proxies pod log requests to the node's kubelet, and none
 * runs here. It answers /containerLogs/<ns>/<pod>/<container> with lines that say which query it got, over TLS with
 * a throwaway self-signed certificate, on a loopback port the node's status names.
 */
async function startMockKubelet(): Promise<{ port: number; requests: string[]; close(): void }> {
  await new Promise<void>((resolve, reject) =>
    execFile(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=node-a',
        '-keyout',
        join(dir, 'kubelet.key'),
        '-out',
        join(dir, 'kubelet.crt'),
      ],
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  const requests: string[] = [];
  const server = createHttpsServer(
    { key: readFileSync(join(dir, 'kubelet.key')), cert: readFileSync(join(dir, 'kubelet.crt')) },
    (req, res) => {
      requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'https://node-a');
      if (!url.pathname.startsWith('/containerLogs/')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        [
          `2026-12-04T01:00:00Z starting ${url.pathname} previous=${url.searchParams.get('previous')}`,
          '2026-12-04T01:00:01Z connecting with password=hunter2',
          `2026-12-04T01:00:02Z tailLines=${url.searchParams.get('tailLines')}`,
          '',
        ].join('\n'),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, requests, close: () => server.close() };
}

async function seed(): Promise<void> {
  const core = mesh.admin.makeApiClient(CoreV1Api);
  const apps = mesh.admin.makeApiClient(AppsV1Api);
  // No controller-manager: the ServiceAccount admission plugin still wants each namespace's `default`.
  for (const namespace of [NS, 'staging'])
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }).catch(() => {});

  const node = await core.createNode({
    body: {
      metadata: { name: 'node-a', labels: { 'node-role.kubernetes.io/worker': '' } },
      spec: { taints: [{ key: 'dedicated', value: 'payments', effect: 'NoSchedule' }] },
    },
  });
  node.status = {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        lastHeartbeatTime: new Date(),
        lastTransitionTime: new Date(),
      },
      {
        type: 'MemoryPressure',
        status: 'True',
        reason: 'KubeletHasInsufficientMemory',
        lastHeartbeatTime: new Date(),
        lastTransitionTime: new Date(),
      },
    ],
    allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    nodeInfo: { kubeletVersion: 'v1.34.4' } as never,
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
  };
  await core.replaceNodeStatus({ name: 'node-a', body: node });

  const pod = (name: string, namespace: string, labels: Record<string, string>) => ({
    metadata: { name, namespace, labels },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'app', image: 'payment:1.4.2', resources: { requests: { cpu: '250m', memory: '256Mi' } } }],
    },
  });
  const crashing = await core.createNamespacedPod({
    namespace: NS,
    body: pod('payment-7d9f', NS, { app: 'payment-service', version: 'v1' }),
  });
  crashing.status = {
    phase: 'Running',
    podIP: '10.1.0.7',
    startTime: new Date(),
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: new Date() }],
    containerStatuses: [
      {
        name: 'app',
        image: 'payment:1.4.2',
        imageID: '',
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date() } },
      },
    ],
  };
  await core.replaceNamespacedPodStatus({ name: 'payment-7d9f', namespace: NS, body: crashing });
  const healthy = await core.createNamespacedPod({
    namespace: NS,
    body: pod('payment-8c1e', NS, { app: 'payment-service', version: 'v2' }),
  });
  healthy.status = {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        image: 'payment:1.5.0',
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: new Date() } },
      },
    ],
  };
  await core.replaceNamespacedPodStatus({ name: 'payment-8c1e', namespace: NS, body: healthy });
  await core.createNamespacedPod({
    namespace: NS,
    body: { ...pod('web-0', NS, { app: 'web' }), spec: { containers: [{ name: 'web', image: 'web:2' }] } },
  });
  await core.createNamespacedPod({
    namespace: 'staging',
    body: pod('staging-secret-pod', 'staging', { app: 'payment-service' }),
  });

  const event = (
    name: string,
    type: string,
    reason: string,
    message: string,
    secondsAgo: number,
    kind = 'Pod',
    obj = 'payment-7d9f',
  ) => ({
    metadata: { name, namespace: NS },
    involvedObject: { kind, name: obj, namespace: NS },
    type,
    reason,
    message,
    count: 1,
    firstTimestamp: ago(secondsAgo) as never,
    lastTimestamp: ago(secondsAgo) as never,
    source: { component: 'kubelet' },
  });
  await core.createNamespacedEvent({
    namespace: NS,
    body: event('e1', 'Normal', 'Pulled', 'Successfully pulled image "payment:1.4.2"', 900),
  });
  await core.createNamespacedEvent({
    namespace: NS,
    body: event('e2', 'Warning', 'BackOff', 'Back-off restarting failed container app', 30),
  });
  await core.createNamespacedEvent({
    namespace: NS,
    body: event('e3', 'Warning', 'FailedScheduling', '0/1 nodes are available', 120, 'Pod', 'web-0'),
  });

  const deployment = await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'payment-service' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'payment-service' } },
        template: {
          metadata: { labels: { app: 'payment-service' } },
          spec: { containers: [{ name: 'app', image: 'payment:1.5.0' }] },
        },
      },
    },
  });
  deployment.status = {
    observedGeneration: deployment.metadata?.generation ?? 1,
    replicas: 3,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
    conditions: [
      {
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: 'ReplicaSet "payment-service-5f" is progressing.',
      },
    ],
  };
  await apps.replaceNamespacedDeploymentStatus({ name: 'payment-service', namespace: NS, body: deployment });

  await applyObjects(mesh.admin, [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'payment-service', namespace: NS },
      spec: { selector: { app: 'payment-service' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'payment-service-a',
        namespace: NS,
        labels: { 'kubernetes.io/service-name': 'payment-service' },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.1.0.7'], conditions: { ready: false } },
        { addresses: ['10.1.0.8'], conditions: { ready: true } },
      ],
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payment-service', namespace: NS },
      spec: {
        hosts: ['payment-service'],
        http: [
          {
            name: 'canary-header',
            match: [{ headers: { 'x-canary': { exact: 'true' } } }],
            route: [{ destination: { host: 'payment-service', subset: 'v2' } }],
          },
          {
            name: 'split',
            route: [
              { destination: { host: 'payment-service', subset: 'v1' }, weight: 90 },
              { destination: { host: 'payment-service', subset: 'v2' }, weight: 10 },
            ],
            timeout: '3s',
            retries: { attempts: 2, perTryTimeout: '1s', retryOn: '5xx' },
          },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'checkout', namespace: NS },
      spec: {
        hosts: ['checkout.production.svc.cluster.local'],
        http: [
          {
            route: [{ destination: { host: 'checkout' } }],
            mirror: { host: 'payment-service.production.svc.cluster.local' },
          },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payment-service', namespace: NS },
      spec: {
        host: 'payment-service.production.svc.cluster.local',
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, outlierDetection: { consecutive5xxErrors: 5 } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    },
  ]);
}

/** `meshmcp sidecar --pack kubernetes` as a process, against the test's API server, with a token file of `dir`. */
function startPack(namespaces: string, token = 'token'): ChildProcessByStdio<null, Readable, null> {
  const flags = {
    '--pack': 'kubernetes',
    '--port': '0',
    '--kube-api-url': cluster!.server,
    '--kube-token-file': join(dir, token),
    '--kube-ca-file': join(dir, 'ca.crt'),
    '--namespaces': namespaces,
  };
  return spawn(process.execPath, ['bin/meshmcp.js', 'sidecar', ...Object.entries(flags).flat()], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

beforeAll(async () => {
  cluster = await startCluster();
  mesh = await prepareMesh(cluster);
  const token = await grantKubernetesPack(mesh);
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-kube-pack-'));
  kubelet = await startMockKubelet();
  await seed();

  writeFileSync(join(dir, 'token'), token);
  writeFileSync(join(dir, 'ca.crt'), cluster.caData ?? '');
  child = startPack(NS);
  mcpUrl = await listeningUrl(child);
  client = new MeshClient({ servers: { kubernetes: mcpUrl } });
}, 180_000);

afterAll(async () => {
  await client?.close();
  child?.kill('SIGTERM');
  kubelet?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = async (tool: string, args: Record<string, unknown> = {}) => {
  const r = await client.callTool('kubernetes', tool, args);
  return { ...r, text: r.text };
};

describe('the kubernetes pack, as its ServiceAccount, against a real kube-apiserver', () => {
  it('is ready when the API server answers as the pack (/health)', async () => {
    const res = await fetch(mcpUrl.replace(/\/mcp$/, '/health'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ready: true, kubernetes: { reachable: true, api: cluster!.server } });
  });

  it('answers `mcp kubernetes get pods` verbatim: ready, status, restarts, age and node, own namespace only', async () => {
    const answer = await runChatCommand(client, 'mcp kubernetes get pods');
    expect(answer).toMatch(/^\*\*kubernetes get\*\*\n```\nNAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+NODE\n/);
    expect(answer).toMatch(/production\s+payment-7d9f\s+0\/1\s+CrashLoopBackOff\s+4\s+\d+s\s+node-a/);
    expect(answer).toMatch(/production\s+payment-8c1e\s+1\/1\s+Running\s+0\s+\d+s\s+node-a/);
    expect(answer).toMatch(/production\s+web-0\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>/);
    expect(answer).not.toContain('staging-secret-pod');
  });

  it('narrows pods by label selector and phase', async () => {
    const r = await call('get', { kind: 'pods', selector: 'app=payment-service,version!=v2' });
    expect(r.structuredContent).toMatchObject({ total: 1, pods: [{ name: 'payment-7d9f', restarts: 4 }] });
    const pending = await call('get', { kind: 'po', phase: 'Pending' });
    expect(pending.structuredContent).toMatchObject({ total: 1, pods: [{ name: 'web-0', phase: 'Pending' }] });
  });

  it('keeps to the namespace allow-list, whatever RBAC would allow', async () => {
    const r = await call('get', { kind: 'pods', namespace: 'staging' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('namespace staging is not one this pack may read (allowed: production)');
  });

  it('describes a pod: conditions, container state, last termination reason, its events newest first', async () => {
    const r = await call('describe_pod', { name: 'payment-7d9f' });
    expect(r.isError).toBeFalsy();
    expect(r.text).toContain('pod production/payment-7d9f: CrashLoopBackOff (phase Running), 0/1 ready, 4 restarts');
    expect(r.text).toContain('Ready=False (ContainersNotReady)');
    expect(r.text).toContain('state: Waiting: CrashLoopBackOff (back-off 40s restarting failed container)');
    expect(r.text).toContain('last termination: OOMKilled (exit code 137)');
    const events = r.text.slice(r.text.indexOf('events ('));
    expect(events).toMatch(/^events \(2, newest first\):/);
    expect(events.indexOf('BackOff')).toBeLessThan(events.indexOf('Pulled'));
  });

  it('lists events newest first, by namespace or by object, Warnings alone if asked', async () => {
    const all = await call('events', {});
    // The real API server may write events of its own into the namespace (its IP allocator's repair loop reports a
    // Service as ClusterIPNotAllocated); the order is asserted over the pods' events this test created.
    const ours = (all.structuredContent!['events'] as Array<{ reason: string; object: string }>).filter((e) =>
      e.object.startsWith('Pod/'),
    );
    expect(ours.map((e) => e.reason)).toEqual(['BackOff', 'FailedScheduling', 'Pulled']);
    const warnings = await call('events', { type: 'Warning', kind: 'Pod', name: 'web-0' });
    expect(warnings.structuredContent).toMatchObject({
      total: 1,
      events: [{ reason: 'FailedScheduling', object: 'Pod/web-0' }],
    });
  });

  it('shows nodes: conditions out of the normal, requests against allocatable, taints', async () => {
    const r = await call('nodes');
    expect(r.text).toMatch(
      /node-a\s+Ready\s+worker\s+\d+s\s+v1\.34\.4\s+500m\/4 \(13%\)\s+512\.0 MiB\/8\.0 GiB \(6%\)\s+2\/110/,
    );
    expect(r.text).toContain('node-a conditions: MemoryPressure=True (KubeletHasInsufficientMemory)');
    expect(r.text).toContain('node-a taints: dedicated=payments:NoSchedule');
    expect(r.text).toContain('requested: the requests of pods in production not finished');
  });

  it('tells a rollout in progress in kubectl’s words, and lists deployments with it', async () => {
    const r = await call('rollout_status', { name: 'payment-service' });
    expect(r.text).toMatch(
      /^waiting for deployment payment-service rollout to finish: 2 out of 3 new replicas have been updated\n/,
    );
    expect(r.structuredContent).toMatchObject({ done: false, failed: false });
    const list = await call('get', { kind: 'deployments' });
    expect(list.text).toMatch(/production\s+payment-service\s+2\/3\s+2\s+2\s+\d+s\s+in progress/);
  });

  it('shows where a service’s traffic goes: its VirtualServices, who mirrors to it, its DestinationRule, endpoints', async () => {
    const r = await call('mesh_routes', { service: 'payment-service' });
    expect(r.text).toContain('service payment-service.production.svc.cluster.local: ClusterIP');
    expect(r.text).toContain('1 of 2 endpoints ready');
    expect(r.text).toContain(
      '[canary-header] headers {"x-canary":{"exact":"true"}} → payment-service.production.svc.cluster.local subset v2',
    );
    expect(r.text).toContain(
      '[split] every request → payment-service.production.svc.cluster.local subset v1 (90%), payment-service.production.svc.cluster.local subset v2 (10%); timeout 3s, retries 2×1s on 5xx',
    );
    expect(r.text).toMatch(/VirtualServices that send traffic to payment-service \(1\):\n {2}production\/checkout/);
    expect(r.text).toContain('mirror to payment-service.production.svc.cluster.local');
    expect(r.text).toContain(
      'production/payment-service: host payment-service.production.svc.cluster.local; tls ISTIO_MUTUAL',
    );
    expect(r.text).toContain('subset v2: pods with version=v2');
  });

  it('reads pod logs through the API server (tail, previous), with secrets redacted', async () => {
    const r = await call('pod_logs', { name: 'payment-7d9f', tail: 50, previous: true });
    expect(r.isError).toBe(false);
    expect(r.text).toBe(
      [
        '3 lines of the logs of pod payment-7d9f in production (previous instance)',
        '2026-12-04T01:00:00Z starting /containerLogs/production/payment-7d9f/app previous=true',
        '2026-12-04T01:00:01Z connecting with password=***',
        '2026-12-04T01:00:02Z tailLines=50',
      ].join('\n'),
    );
    // The API server, not the pack, went to the node: the pack's only way out is the API server.
    expect(kubelet.requests.at(-1)).toMatch(/^\/containerLogs\/production\/payment-7d9f\/app\?/);
    const refused = await call('pod_logs', { name: 'payment-7d9f', since: 'yesterday' });
    expect(refused.text).toContain('since "yesterday" is not a duration');
  });

  it('reads nothing its ServiceAccount is not granted (Secrets), and says which grant is missing', async () => {
    const r = await call('get', { kind: 'secrets' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('is not one the pack lists');
    // A namespace on the allow-list without the RoleBinding: RBAC refuses, and the answer names the fix.
    const wide = startPack(`${NS},staging`);
    try {
      const url = await listeningUrl(wide);
      const other = new MeshClient({ servers: { kubernetes: url } });
      const s = await other.callTool('kubernetes', 'get', { kind: 'pods', namespace: 'staging' });
      expect(s.isError).toBe(true);
      expect(s.text).toContain('the pack may not read pods in staging (403');
      expect(s.text).toContain('grant the pack the meshmcp-kubernetes-pack ClusterRole');
      await other.close();
    } finally {
      wide.kill('SIGTERM');
    }
  });

  it('is unready, with the reason, when its token is refused', async () => {
    writeFileSync(join(dir, 'bad-token'), 'not-a-token');
    const bad = startPack(NS, 'bad-token');
    try {
      const url = await listeningUrl(bad);
      const res = await fetch(url.replace(/\/mcp$/, '/health'));
      expect(res.status).toBe(503);
      expect(JSON.stringify(await res.json())).toContain("refused the pack's token");
    } finally {
      bad.kill('SIGTERM');
    }
  });
});
