// A mock of the Kubernetes API server for the kubernetes pack's benchmark (bench/kubePackCgroup.ts): the bench has
// no kube-apiserver (the cluster tier, test/cluster/kubernetesPack.test.ts, proves the pack against the real one).
// Plain http on loopback, with the bearer token checked, answering the GETs of the pack's `get pods`, `events` and
// `nodes` with lists shaped and sized like a real cluster's: each pod is bench/fixtures/injectedPod.json (a pod as
// Istio's injector and the kubelet leave it: labels, annotations with sidecar.istio.io/status, managedFields, an
// init container, the app, istio-proxy and the MCP sidecar with env and resources, conditions and container
// statuses; ~12 KiB of JSON) with its own names, times and addresses, so that a 250-pod list comes close to the
// pack's 3 MiB cap. The label selector `bench=over-cap` answers a list just over the cap.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

export const NAMESPACE = 'bench';
/** The label selector whose pod list is just over the pack's cap. */
export const OVER_CAP_SELECTOR = 'bench=over-cap';
/** The most objects one list answers, as `listIn` asks (a real API server pages the rest with `continue`). */
export const PAGE = 250;
export const NODES = 6;
const EVENTS = 400;
const APPS = ['payment-service', 'order-service', 'inventory', 'checkout', 'catalog', 'notifications', 'ledger'];
const T0 = Date.parse('2026-12-01T08:00:00Z');
/** the letters of generated Kubernetes names */
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

const time = (offsetS: number) => new Date(T0 + offsetS * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const sha = (seed: string) => createHash('sha256').update(seed).digest('hex');
const uid = (seed: string) => sha(seed).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5');
const suffix = (seed: string, n: number) =>
  [
    ...sha(seed)
      .slice(0, n * 2)
      .matchAll(/../g),
  ]
    .map(([h]) => NAME_CHARS[Number.parseInt(h, 16) % 27])
    .join('');
const podName = (i: number) => {
  const app = APPS[i % APPS.length]!;
  return `${app}-${suffix(app, 10)}-${suffix(`pod ${i}`, 5)}`;
};

interface PodObject {
  spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> };
  status: {
    conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses: Array<Record<string, unknown>>;
  };
}

/** Pod `i` of the bench namespace from the fixture; one in 23 crash-looping; `extraEnv` more env vars. */
export function pod(template: string, i: number, extraEnv = 0): PodObject {
  const app = APPS[i % APPS.length]!;
  const n = i % NODES;
  const values: Record<string, string> = {
    APP: app,
    NAME: podName(i),
    HASH: suffix(app, 10),
    KEY: suffix(`key ${i}`, 5),
    UID: uid(`pod ${i}`),
    RSUID: uid(`replicaset ${app}`),
    RV: String(48_000_000 + i * 7),
    CREATED: time(i * 37),
    STARTED: time(i * 37 + 12),
    NODE: `node-${n}`,
    HOSTIP: `10.0.1.${10 + n}`,
    PODIP: `10.244.${n}.${2 + Math.floor(i / NODES)}`,
    VER: `1.${i % 9}`,
    DIGEST: sha(`image ${app}`),
    CIDI: sha(`init ${i}`),
    CID0: sha(`c0 ${i}`),
    CID1: sha(`c1 ${i}`),
    CID2: sha(`c2 ${i}`),
  };
  const p = JSON.parse(template.replace(/\$([A-Z]+\d?)/g, (m, k: string) => values[k] ?? m)) as PodObject;
  for (let k = 0; k < extraEnv; k++) p.spec.containers[0]!.env.push({ name: `FEATURE_${k}`, value: `on-for-${app}` });
  if (i % 23 === 5) {
    Object.assign(p.status.containerStatuses[0]!, {
      ready: false,
      restartCount: 7,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=${app}` } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: time(i * 37 + 600) } },
    });
    for (const c of p.status.conditions.filter((c) => c.type === 'Ready' || c.type === 'ContainersReady')) {
      Object.assign(c, {
        status: 'False',
        reason: 'ContainersNotReady',
        message: `containers with unready status: [${app}]`,
      });
    }
  }
  return p;
}

const list = (kind: string, items: unknown[], more: boolean) =>
  Buffer.from(
    JSON.stringify({
      kind,
      apiVersion: 'v1',
      metadata: {
        resourceVersion: '48100000',
        ...(more ? { continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgxMDAwMDB9' } : {}),
      },
      items,
    }),
  );

/** The pod fixture under `root`. */
export const podTemplate = (root: string): string => readFileSync(`${root}bench/fixtures/injectedPod.json`, 'utf8');

/** A PodList of `n` pods, as one answer's bytes. */
export const podList = (template: string, n: number, extraEnv = 0): Buffer =>
  list(
    'PodList',
    Array.from({ length: n }, (_, i) => pod(template, i, extraEnv)),
    false,
  );

/** The smallest 250-pod list over `capBytes`: each pod a few env vars larger than the others. */
export function overCapPodList(template: string, capBytes: number): Buffer {
  for (let extra = 1; ; extra++) {
    const body = podList(template, PAGE, extra);
    if (body.length > capBytes) return body;
  }
}

function event(i: number) {
  const pod = podName(i % PAGE);
  const app = APPS[i % APPS.length];
  const warning = i % 5 === 0;
  const at = time(i * 41);
  const node = `node-${i % NODES}`;
  return {
    metadata: {
      name: `${pod}.${sha(`event ${i}`).slice(0, 16)}`,
      namespace: NAMESPACE,
      uid: uid(`event ${i}`),
      resourceVersion: String(48_050_000 + i),
      creationTimestamp: at,
      managedFields: [
        {
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: Object.fromEntries(
            ['count', 'firstTimestamp', 'involvedObject', 'lastTimestamp', 'message', 'reason', 'source', 'type'].map(
              (f) => [`f:${f}`, {}],
            ),
          ),
          manager: 'kubelet',
          operation: 'Update',
          time: at,
        },
      ],
    },
    involvedObject: {
      apiVersion: 'v1',
      fieldPath: `spec.containers{${app}}`,
      kind: 'Pod',
      name: pod,
      namespace: NAMESPACE,
      uid: uid(`pod ${i % PAGE}`),
    },
    reason: warning ? 'Unhealthy' : ['Pulled', 'Created', 'Started', 'Scheduled'][i % 4],
    message: warning
      ? `Readiness probe failed: Get "http://10.244.1.17:15020/app-health/${app}/readyz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
      : `Container image "registry.bench.local/${app}:1.${i % 9}.0" already present on machine`,
    source: { component: 'kubelet', host: node },
    firstTimestamp: time(i * 41 - 3600),
    lastTimestamp: at,
    count: 1 + (i % 12),
    type: warning ? 'Warning' : 'Normal',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: node,
  };
}

function node(i: number) {
  const control = i === 0 ? 'node-role.kubernetes.io/control-plane' : undefined;
  return {
    metadata: {
      name: `node-${i}`,
      uid: uid(`node ${i}`),
      resourceVersion: String(48_090_000 + i),
      creationTimestamp: time(-86_400 * 30),
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': `node-${i}`,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm6i.xlarge',
        'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
        ...(control ? { [control]: '' } : {}),
      },
    },
    spec: { podCIDR: `10.244.${i}.0/24`, ...(control ? { taints: [{ effect: 'NoSchedule', key: control }] } : {}) },
    status: {
      capacity: { cpu: '4', memory: '16252928Ki', pods: '110', 'ephemeral-storage': '104845292Ki' },
      allocatable: { cpu: '3920m', memory: '15102976Ki', pods: '110', 'ephemeral-storage': '96625420958' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
        type,
        status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: time(0),
        lastTransitionTime: time(-86_400),
        reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`,
        message: type === 'Ready' ? 'kubelet is posting ready status' : `kubelet has no ${type}`,
      })),
      addresses: [
        { address: `10.0.1.${10 + i}`, type: 'InternalIP' },
        { address: `node-${i}`, type: 'Hostname' },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.22',
        kernelVersion: '6.1.0-27-cloud-amd64',
        kubeletVersion: 'v1.31.2',
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
      images: APPS.map((app, k) => ({
        names: [`registry.bench.local/${app}@sha256:${sha(`image ${app}`)}`, `registry.bench.local/${app}:1.${k}.0`],
        sizeBytes: 48_000_000 + k * 1_000_003,
      })),
    },
  };
}

export interface KubeApiMock {
  url: string;
  /** answers sent, by what they were */
  served: { pods: number; events: number; nodes: number; overCap: number; refused: number };
  /** the bytes of the 250-pod list answered to `get pods` and `nodes` */
  podListBytes: number;
  overCapBytes: number;
  close(): void;
}

/** Starts the mock on 127.0.0.1:0, accepting `Bearer <token>` only; `capBytes` is the pack's list cap. */
export async function startKubeApiMock(root: string, token: string, capBytes: number): Promise<KubeApiMock> {
  const template = podTemplate(root);
  // Each answer serialized once, by its limit: the mock's own work stays out of the pack's timings.
  const cache = new Map<string, Buffer>();
  const once = (key: string, make: () => Buffer) => cache.get(key) ?? (cache.set(key, make()).get(key) as Buffer);
  const pods = (n: number) => once(`pods ${n}`, () => podList(template, n));
  const events = (n: number) =>
    once(`events ${n}`, () =>
      list(
        'EventList',
        Array.from({ length: Math.min(n, EVENTS) }, (_, i) => event(i)),
        n < EVENTS,
      ),
    );
  const nodes = list(
    'NodeList',
    Array.from({ length: NODES }, (_, i) => node(i)),
    false,
  );
  const full = pods(PAGE);
  const overCap = overCapPodList(template, capBytes);
  const served = { pods: 0, events: 0, nodes: 0, overCap: 0, refused: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mock');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? PAGE) || PAGE, PAGE);
    const answer = (body: Buffer, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    if (req.method !== 'GET' || req.headers.authorization !== `Bearer ${token}`) {
      served.refused++;
      return answer(Buffer.from('{"kind":"Status","status":"Failure","message":"Unauthorized","code":401}'), 401);
    }
    if (url.pathname === `/api/v1/namespaces/${NAMESPACE}/pods`) {
      if (url.searchParams.get('labelSelector') === OVER_CAP_SELECTOR) {
        served.overCap++;
        return answer(overCap);
      }
      served.pods++;
      return answer(pods(limit));
    }
    if (url.pathname === `/api/v1/namespaces/${NAMESPACE}/events`) {
      served.events++;
      return answer(events(limit));
    }
    if (url.pathname === '/api/v1/nodes') {
      served.nodes++;
      return answer(nodes);
    }
    answer(Buffer.from(`{"kind":"Status","status":"Failure","message":"${url.pathname} not found","code":404}`), 404);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    served,
    podListBytes: full.length,
    overCapBytes: overCap.length,
    close: () => server.close(),
  };
}
