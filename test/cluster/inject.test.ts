// The `meshmcp` injection template of istio/operator.yaml, rendered by Istio's own injection code (`istioctl
// kube-inject`) with the injector config, values and mesh config `istioctl manifest generate -f istio/operator.yaml`
// renders, over istio/services/payment-service/deployment.yaml and variants of it, with classic and with native
// (init container) sidecars. Proves the sidecar, volumes, labels and annotations it adds, that it merges with Istio's
// `sidecar` template (one istio-proxy, Istio's own plus our mounts), that re-injection changes nothing but Istio's
// status bookkeeping, and that a real kube-apiserver admits every injected pod in a namespace enforcing the
// restricted Pod Security Standard.
//
// kube-inject runs on files only, with `--revision default`. Without a revision it first asks the cluster for the
// default one (cli.Context.RevisionOrDefault starts an informer and waits for its sync with no deadline), which hangs
// when no cluster answers. With --injectConfigFile, --meshConfigFile and --valuesFile it reads nothing else from a
// cluster. The cluster form is no better: when the injector config comes from the istio-sidecar-injector ConfigMap,
// kube-inject never reads the values (neither that ConfigMap's nor --valuesFile) and Istio's sidecar template fails.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi, loadYaml } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { SIDECAR_NODE_FLAGS } from '../../sidecar/nodeFlags.js';
import { ROOT } from '../support/cli.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { requireTool } from './tools/tools.js';

const ISTIOCTL_TIMEOUT_MS = 120_000;
const DEPLOYMENT = join(ROOT, 'istio/services/payment-service/deployment.yaml');
const TEMPLATES = 'inject.istio.io/templates';
const IMAGE = 'meshmcp/meshmcp:0.1.0';
const NODE_COMMAND = ['node', ...SIDECAR_NODE_FLAGS, 'dist/sidecar-bundle/meshmcp-sidecar.mjs'];
const SIDECAR_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '50m', memory: '64Mi' } };
/** What the template adds to istio-proxy, besides what Istio derives from the rest of the pod. */
const PROXY_MOUNTS = [
  { name: 'meshmcp-wasm', mountPath: '/etc/istio/extensions/meshmcp.wasm', subPath: 'meshmcp.wasm', readOnly: true },
  { name: 'meshmcp-bootstrap', mountPath: '/etc/istio/custom-bootstrap', readOnly: true },
];
const BOOTSTRAP_ENV = { name: 'ISTIO_BOOTSTRAP_OVERRIDE', value: '/etc/istio/custom-bootstrap/custom_bootstrap.json' };

const work = mkdtempSync(join(tmpdir(), 'meshmcp-cluster-inject-'));
let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** istioctl with a deadline; never reads a kubeconfig of the machine it runs on. */
function istioctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      requireTool('istioctl'),
      args,
      {
        cwd: ROOT,
        maxBuffer: 256 * 1024 * 1024,
        timeout: ISTIOCTL_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        env: { ...process.env, KUBECONFIG: join(work, 'no-kubeconfig'), ...env },
      },
      (err, stdout, stderr) => {
        const timedOut = err !== null && (err as { killed?: boolean }).killed === true;
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        const note = timedOut ? `(killed after ${ISTIOCTL_TIMEOUT_MS / 1000} s)\n` : '';
        resolve({ code, out: stdout, err: note + stderr.trim() });
      },
    );
  });
}

function ok(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`istioctl ${what} exited ${r.code}; its stderr:\n${r.err}`);
  return r.out;
}

const docs = (text: string): any[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o !== null && typeof o === 'object');

/** The variants injected, in this order, after the file itself (whose Deployment is `payment`). */
const VARIANTS = ['payment', 'plain', 'defaults', 'custom'] as const;
type Variant = (typeof VARIANTS)[number];
const MODES = ['classic', 'native'] as const;
type Mode = (typeof MODES)[number];

/** Variants of the file's Deployment; `plain` keeps its name so Istio's own parts compare one to one. */
function variants(deployment: any): any[] {
  const base = () => structuredClone(deployment);
  const annotations = (d: any) => d.spec.template.metadata.annotations as Record<string, string>;
  const plain = base();
  delete annotations(plain)[TEMPLATES];
  const defaults = base();
  defaults.metadata.name = 'payment-service-defaults';
  defaults.spec.template.metadata.annotations = { [TEMPLATES]: 'sidecar,meshmcp' };
  const custom = base();
  custom.metadata.name = 'payment-service-custom';
  custom.spec.template.metadata.annotations = {
    [TEMPLATES]: 'sidecar,meshmcp',
    'meshmcp.io/sidecar-image': 'registry.example.com/platform/meshmcp:9.9.9',
    'meshmcp.io/tools-configmap': 'shared-mcp-tools',
    'meshmcp.io/service-port': '9090',
    'meshmcp.io/log-volume': 'logs',
    // Bridge mode, in front of the pod's own MCP server.
    'meshmcp.io/bridge-upstream': 'http://127.0.0.1:3001/mcp',
    'meshmcp.io/bridge-protocols': '2025-11-25,2026-07-28',
    // The pod's own metrics: the template must leave them to Istio's metrics merging.
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': '8080',
    'prometheus.io/path': '/stats',
  };
  return [plain, defaults, custom];
}

const injected = {} as Record<Mode, Record<Variant, any>>;
/** The injector inputs manifest generate rendered, and the kube-inject input. */
const files = { config: '', mesh: '', values: '', input: '' };

async function inject(input: string, mode: Mode): Promise<any[]> {
  const r = await istioctl(
    [
      'kube-inject',
      '-f',
      input,
      '--injectConfigFile',
      files.config,
      '--meshConfigFile',
      files.mesh,
      '--valuesFile',
      files.values,
      '--revision',
      'default',
    ],
    // What istiod decides from the nodes' kubelet version (>= 1.33: native) in its default `auto` mode.
    { ENABLE_NATIVE_SIDECARS: mode === 'native' ? 'true' : 'false' },
  );
  return docs(ok(r, `kube-inject (${mode} sidecars)`)).filter((o) => o.kind === 'Deployment');
}

beforeAll(async () => {
  const manifest = docs(ok(await istioctl(['manifest', 'generate', '-f', 'istio/operator.yaml']), 'manifest generate'));
  const configMap = (name: string) => {
    const cm = manifest.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!cm) throw new Error(`istioctl manifest generate -f istio/operator.yaml printed no ConfigMap ${name}`);
    return cm.data as Record<string, string>;
  };
  const injector = configMap('istio-sidecar-injector');
  files.config = join(work, 'inject-config.yaml');
  files.values = join(work, 'values.json');
  files.mesh = join(work, 'mesh.yaml');
  writeFileSync(files.config, injector['config']!);
  writeFileSync(files.values, injector['values']!);
  writeFileSync(files.mesh, configMap('istio')['mesh']!);
  const text = readFileSync(DEPLOYMENT, 'utf8');
  const deployment = docs(text).find((o) => o.kind === 'Deployment');
  files.input = join(work, 'input.yaml');
  writeFileSync(
    files.input,
    `${text}\n---\n${variants(deployment)
      .map((d) => stringify(d))
      .join('---\n')}`,
  );
  for (const mode of MODES) {
    const out = await inject(files.input, mode);
    expect(out.map((d) => d.metadata.name)).toEqual([
      'payment-service',
      'payment-service',
      'payment-service-defaults',
      'payment-service-custom',
    ]);
    injected[mode] = Object.fromEntries(VARIANTS.map((v, i) => [v, out[i]])) as Record<Variant, any>;
  }
});

const podOf = (mode: Mode, v: Variant) => injected[mode][v].spec.template;
const named = (list: any[] | undefined, name: string) => (list ?? []).find((x) => x.name === name);
const byName = (list: any[] | undefined) => Object.fromEntries((list ?? []).map((x) => [x.name, x]));
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

/** The one istio-proxy: in containers (classic) or in initContainers (native); failing on none or two. */
function proxyOf(pod: any): any {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].filter((c) => c.name === 'istio-proxy');
  expect(all, 'exactly one istio-proxy').toHaveLength(1);
  return all[0];
}

/** The template's mark on a pod; the negative test runs it on a pod without the template and expects it to fail. */
function expectMeshmcp(pod: any): void {
  expect(pod.metadata.labels['mcp-enabled']).toBe('true');
  const sidecar = named(pod.spec.containers, 'mcp-sidecar');
  expect(sidecar, 'the mcp-sidecar container').toBeDefined();
  expect(sidecar.command).toEqual(NODE_COMMAND);
  expect(proxyOf(pod).volumeMounts).toEqual(expect.arrayContaining(PROXY_MOUNTS));
}

describe.each(MODES)('istioctl kube-inject with the meshmcp template, %s sidecars', (mode) => {
  const pod = () => podOf(mode, 'payment');
  const sidecar = () => named(pod().spec.containers, 'mcp-sidecar');

  it('adds the mcp-sidecar container: image, the Node flags, SERVICE_NAME from the app label, the settings', () => {
    expectMeshmcp(pod());
    const c = sidecar();
    expect(c.image).toBe(IMAGE);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.workingDir).toBe('/app');
    expect(c.command).toEqual(NODE_COMMAND);
    expect(c.args).toBeUndefined();
    expect(c.ports).toEqual([{ name: 'mcp', containerPort: 3000, protocol: 'TCP' }]);
    expect(c.env).toEqual([
      { name: 'SERVICE_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'MCP_PORT', value: '3000' },
      { name: 'MCP_HOST', value: '0.0.0.0' },
      { name: 'SERVICE_PORT', value: '8080' },
      { name: 'TOOLS_CONFIG', value: '/etc/mcp/tools.yaml' },
      { name: 'LOG_DIR', value: '/var/log/app' },
      { name: 'PROMETHEUS_URL', value: 'http://prometheus.monitoring.svc:9090' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
    expect(c.envFrom).toEqual([{ secretRef: { name: 'payment-service-admin', optional: true } }]);
    expect(c.resources).toEqual(SIDECAR_RESOURCES);
  });

  it('runs it restricted: non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault', () => {
    expect(sidecar().securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('its probes are rewritten to istio-agent :15020, the originals in istio-proxy ISTIO_KUBE_APP_PROBERS', () => {
    const c = sidecar();
    expect(c.livenessProbe).toEqual({
      httpGet: { path: '/app-health/mcp-sidecar/livez', port: 15020 },
      initialDelaySeconds: 5,
      periodSeconds: 30,
      timeoutSeconds: 3,
    });
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/app-health/mcp-sidecar/readyz', port: 15020 },
      initialDelaySeconds: 2,
      periodSeconds: 10,
      timeoutSeconds: 3,
    });
    const probers = JSON.parse(envOf(proxyOf(pod()))['ISTIO_KUBE_APP_PROBERS']);
    expect(probers).toEqual({
      '/app-health/mcp-sidecar/livez': { httpGet: { path: '/healthz', port: 3000 }, timeoutSeconds: 3 },
      '/app-health/mcp-sidecar/readyz': { httpGet: { path: '/readyz', port: 3000 }, timeoutSeconds: 3 },
      '/app-health/payment-service/livez': { httpGet: { path: '/health', port: 8080 } },
      '/app-health/payment-service/readyz': { httpGet: { path: '/health', port: 8080 } },
    });
    // Nothing else is probed on the MCP port, where kubelet would meet mTLS.
    for (const c2 of pod().spec.containers) {
      for (const p of [c2.livenessProbe, c2.readinessProbe, c2.startupProbe].filter(Boolean)) {
        expect(p.httpGet?.port, `${c2.name} probe`).not.toBe(3000);
      }
    }
  });

  it("mounts the tools ConfigMap (optional, <app>-mcp-tools), the app's log volume and a tmp emptyDir", () => {
    const volumes = byName(pod().spec.volumes);
    expect(volumes['meshmcp-tools']).toEqual({
      name: 'meshmcp-tools',
      configMap: { name: 'payment-service-mcp-tools', optional: true },
    });
    expect(volumes['meshmcp-tmp']).toEqual({ name: 'meshmcp-tmp', emptyDir: { sizeLimit: '16Mi' } });
    // meshmcp.io/log-volume: logs names the app's own volume, so the template adds none.
    expect(volumes['logs']).toEqual({ name: 'logs', emptyDir: { sizeLimit: '256Mi' } });
    expect(volumes['meshmcp-logs']).toBeUndefined();
    expect(sidecar().volumeMounts).toEqual([
      { name: 'meshmcp-tools', mountPath: '/etc/mcp', readOnly: true },
      { name: 'logs', mountPath: '/var/log/app', readOnly: true },
      { name: 'meshmcp-tmp', mountPath: '/tmp' },
    ]);
    const app = named(pod().spec.containers, 'payment-service');
    expect(app.volumeMounts).toEqual([{ name: 'logs', mountPath: '/var/log/app' }]);
  });

  it("istio-proxy is Istio's own (as for the pod without the template) plus meshmcp.wasm, the bootstrap and its env", () => {
    const plain = podOf(mode, 'plain');
    const ours = proxyOf(pod());
    const theirs = proxyOf(plain);
    const { env: ourEnv, volumeMounts: ourMounts, ...ourRest } = ours;
    const { env: theirEnv, volumeMounts: theirMounts, ...theirRest } = theirs;
    expect(ourRest).toEqual(theirRest);
    expect(ourMounts).toEqual([...PROXY_MOUNTS, ...theirMounts]);
    // The env: ours has the bootstrap override and the metrics merge of the sidecar's /metrics; the app probers
    // differ by the sidecar's probes (checked above); the rest is Istio's, unchanged and in its order.
    const mine = ['ISTIO_BOOTSTRAP_OVERRIDE', 'ISTIO_PROMETHEUS_ANNOTATIONS', 'ISTIO_KUBE_APP_PROBERS'];
    expect(ourEnv.filter((e: any) => !mine.includes(e.name))).toEqual(
      theirEnv.filter((e: any) => !mine.includes(e.name)),
    );
    expect(ourEnv[0]).toEqual(BOOTSTRAP_ENV);
    expect(theirEnv.map((e: any) => e.name)).not.toContain('ISTIO_BOOTSTRAP_OVERRIDE');
    expect(envOf(ours)['ISTIO_PROMETHEUS_ANNOTATIONS']).toBe('{"scrape":"true","path":"/metrics","port":"3000"}');
    const volumes = byName(pod().spec.volumes);
    expect(volumes['meshmcp-wasm']).toEqual({ name: 'meshmcp-wasm', configMap: { name: 'meshmcp-wasm' } });
    expect(volumes['meshmcp-bootstrap']).toEqual({
      name: 'meshmcp-bootstrap',
      configMap: { name: 'meshmcp-bootstrap' },
    });
  });

  it(`istio-proxy sits where Istio's sidecar template puts it (${mode === 'native' ? 'an init container, restartPolicy Always' : 'the last container'}); CNI's istio-validation as without the template`, () => {
    const p = pod();
    const plain = podOf(mode, 'plain');
    if (mode === 'native') {
      expect(p.spec.containers.map((c: any) => c.name)).toEqual(['mcp-sidecar', 'payment-service']);
      expect(p.spec.initContainers.map((c: any) => c.name)).toEqual(['istio-validation', 'istio-proxy']);
      expect(proxyOf(p).restartPolicy).toBe('Always');
    } else {
      expect(p.spec.containers.map((c: any) => c.name)).toEqual(['mcp-sidecar', 'payment-service', 'istio-proxy']);
      expect(p.spec.initContainers.map((c: any) => c.name)).toEqual(['istio-validation']);
      expect(proxyOf(p).restartPolicy).toBeUndefined();
    }
    // Istio CNI is on: no istio-init with NET_ADMIN, only the validation container, the same as Istio's alone.
    const validation = named(p.spec.initContainers, 'istio-validation');
    expect(validation.args).toEqual(expect.arrayContaining(['--run-validation', '--skip-rule-apply']));
    expect(validation).toEqual(named(plain.spec.initContainers, 'istio-validation'));
    expect(validation.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(p.spec.securityContext).toEqual(plain.spec.securityContext);
    // Every volume of Istio's is there unchanged; ours are exactly these four.
    const ours = byName(p.spec.volumes);
    for (const v of plain.spec.volumes) expect(ours[v.name], v.name).toEqual(v);
    const added = Object.keys(ours).filter((n) => !plain.spec.volumes.some((v: any) => v.name === n));
    expect(added.sort()).toEqual(['meshmcp-bootstrap', 'meshmcp-tmp', 'meshmcp-tools', 'meshmcp-wasm']);
  });

  it('labels the pod mcp-enabled and points Prometheus at the merged metrics (the sidecar’s /metrics behind :15020)', () => {
    const meta = pod().metadata;
    const plain = podOf(mode, 'plain').metadata;
    expect(meta.labels).toEqual({ ...plain.labels, 'mcp-enabled': 'true' });
    // Istio points Prometheus at :15020 on every pod (Envoy's stats); what the template's prometheus.io annotations
    // add is the sidecar's /metrics merged in, through ISTIO_PROMETHEUS_ANNOTATIONS (checked above).
    expect(meta.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/stats/prometheus',
      // kubectl logs/exec still default to the app.
      'kubectl.kubernetes.io/default-container': 'payment-service',
    });
    expect(envOf(proxyOf(podOf(mode, 'plain')))['ISTIO_PROMETHEUS_ANNOTATIONS']).toBeUndefined();
    // Every other annotation is the same as Istio's alone: the template removes and changes none.
    const { [TEMPLATES]: templates, 'sidecar.istio.io/status': _ours, ...rest } = meta.annotations;
    const { 'sidecar.istio.io/status': _theirs, ...plainRest } = plain.annotations;
    expect(templates).toBe('sidecar,meshmcp');
    expect(rest).toEqual(plainRest);
    const status = JSON.parse(meta.annotations['sidecar.istio.io/status']);
    expect(status.containers).toEqual(mode === 'native' ? ['mcp-sidecar'] : ['mcp-sidecar', 'istio-proxy']);
    expect(status.initContainers).toEqual(
      mode === 'native' ? ['istio-validation', 'istio-proxy'] : ['istio-validation'],
    );
  });

  it('without meshmcp.io annotations: an emptyDir meshmcp-logs, payment-service-mcp-tools, no Prometheus URL or Secret', () => {
    const p = podOf(mode, 'defaults');
    expectMeshmcp(p);
    const c = named(p.spec.containers, 'mcp-sidecar');
    expect(byName(p.spec.volumes)['meshmcp-logs']).toEqual({
      name: 'meshmcp-logs',
      emptyDir: { sizeLimit: '256Mi' },
    });
    expect(named(c.volumeMounts, 'meshmcp-logs')).toEqual({
      name: 'meshmcp-logs',
      mountPath: '/var/log/app',
      readOnly: true,
    });
    expect(byName(p.spec.volumes)['meshmcp-tools'].configMap).toEqual({
      name: 'payment-service-mcp-tools',
      optional: true,
    });
    const env = envOf(c);
    expect(env['SERVICE_PORT']).toBe('8080');
    expect(env['PROMETHEUS_URL']).toBeUndefined();
    expect(env['MCP_BRIDGE_UPSTREAM']).toBeUndefined();
    expect(env['MCP_BRIDGE_PROTOCOLS']).toBeUndefined();
    expect(c.envFrom).toBeUndefined();
    expect(c.image).toBe(IMAGE);
  });

  it("with them: image, tools ConfigMap and port as annotated; the pod's own prometheus.io annotations kept for the merge", () => {
    const p = podOf(mode, 'custom');
    expectMeshmcp(p);
    const c = named(p.spec.containers, 'mcp-sidecar');
    expect(c.image).toBe('registry.example.com/platform/meshmcp:9.9.9');
    expect(envOf(c)['SERVICE_PORT']).toBe('9090');
    expect(envOf(c)['MCP_BRIDGE_UPSTREAM']).toBe('http://127.0.0.1:3001/mcp');
    expect(envOf(c)['MCP_BRIDGE_PROTOCOLS']).toBe('2025-11-25,2026-07-28');
    expect(byName(p.spec.volumes)['meshmcp-tools'].configMap).toEqual({ name: 'shared-mcp-tools', optional: true });
    expect(byName(p.spec.volumes)['meshmcp-logs']).toBeUndefined();
    // All of the pod's annotations stay (Istio rewrites the prometheus.io ones to its agent).
    const {
      'prometheus.io/scrape': _s,
      'prometheus.io/port': _p,
      'prometheus.io/path': _a,
      ...own
    } = injected[mode].custom.spec.template.metadata.annotations;
    expect(own).toMatchObject({
      [TEMPLATES]: 'sidecar,meshmcp',
      'meshmcp.io/tools-configmap': 'shared-mcp-tools',
      'sidecar.istio.io/interceptionMode': 'REDIRECT',
      'istio.io/rev': 'default',
    });
    expect(p.metadata.annotations['prometheus.io/port']).toBe('15020');
    expect(JSON.parse(envOf(proxyOf(p))['ISTIO_PROMETHEUS_ANNOTATIONS'])).toEqual({
      scrape: 'true',
      port: '8080',
      path: '/stats',
    });
  });

  it('a pod without the annotation gets Istio alone: no mcp-sidecar, no meshmcp volumes or label', () => {
    const p = podOf(mode, 'plain');
    expect(p.metadata.annotations[TEMPLATES]).toBeUndefined();
    expect(p.spec.containers.map((c: any) => c.name)).not.toContain('mcp-sidecar');
    expect(p.spec.volumes.map((v: any) => v.name).filter((n: string) => n.startsWith('meshmcp-'))).toEqual([]);
    expect(p.metadata.labels['mcp-enabled']).toBeUndefined();
    expect(proxyOf(p).image).toBe(proxyOf(pod()).image);
    // The checks above fail on it.
    expect(() => expectMeshmcp(p)).toThrow();
  });

  it('injecting the injected YAML again changes nothing but the bookkeeping of meshmcp-logs', async () => {
    const again = join(work, `injected-${mode}.yaml`);
    writeFileSync(again, VARIANTS.map((v) => stringify(injected[mode][v])).join('---\n'));
    const out = await inject(again, mode);
    expect(out).toHaveLength(VARIANTS.length);
    const STATUS = 'sidecar.istio.io/status';
    VARIANTS.forEach((v, i) => {
      const first = structuredClone(injected[mode][v]);
      const second = structuredClone(out[i]);
      const before = JSON.parse(first.spec.template.metadata.annotations[STATUS]);
      const after = JSON.parse(second.spec.template.metadata.annotations[STATUS]);
      // The second time the template finds meshmcp-logs in the pod, takes it for the app's own and adds none, so
      // Istio's status no longer lists it as injected. The volume itself stays as it was.
      expect(after.volumes, v).toEqual(before.volumes.filter((n: string) => n !== 'meshmcp-logs'));
      delete first.spec.template.metadata.annotations[STATUS];
      delete second.spec.template.metadata.annotations[STATUS];
      expect({ ...after, volumes: [] }, v).toEqual({ ...before, volumes: [] });
      expect(second, v).toEqual(first);
    });
  });
});

describe('the injected pods on a real kube-apiserver', () => {
  const NAMESPACE = 'meshmcp-inject';
  let admin: KubeConfig;

  beforeAll(async () => {
    cluster = await startCluster();
    admin = cluster.kubeConfig(cluster.adminToken, 'admin');
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({
      body: {
        metadata: {
          name: NAMESPACE,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
    });
    // No controller-manager runs to create it, and pods need their ServiceAccount.
    await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: 'default' } } });
  });

  /** Creates the pod; resolves with the refusal (code and message), or undefined when it was created. */
  async function create(name: string, template: any): Promise<{ code: number; message: string } | undefined> {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name, namespace: NAMESPACE },
      spec: template.spec,
    };
    const client = KubernetesObjectApi.makeApiClient(admin);
    try {
      await client.create(loadYaml(JSON.stringify(pod)) as any);
      return undefined;
    } catch (err) {
      const e = err as { code?: number; body?: unknown; message?: string };
      const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? e.message);
      return { code: e.code ?? 0, message: body };
    }
  }

  it.each(MODES)('admits every %s injected pod in a namespace enforcing restricted Pod Security', async (mode) => {
    const core = admin.makeApiClient(CoreV1Api);
    for (const v of VARIANTS) {
      const name = `${v}-${mode}`;
      const refused = await create(name, podOf(mode, v));
      expect(refused, `${name}: ${refused?.message}\n${cluster?.logTail()}`).toBeUndefined();
      const live = await core.readNamespacedPod({ name, namespace: NAMESPACE });
      const sent = podOf(mode, v).spec;
      expect(live.spec?.containers.map((c) => c.name)).toEqual(sent.containers.map((c: any) => c.name));
      expect(live.spec?.initContainers?.map((c) => `${c.name}:${c.restartPolicy ?? ''}`)).toEqual(
        sent.initContainers.map((c: any) => `${c.name}:${c.restartPolicy ?? ''}`),
      );
    }
  });

  it('refuses what would fail: istio-init capabilities (no CNI), and a second, image-less istio-proxy', async () => {
    const withNetAdmin = structuredClone(podOf('classic', 'payment'));
    named(withNetAdmin.spec.initContainers, 'istio-validation').securityContext.capabilities = {
      add: ['NET_ADMIN', 'NET_RAW'],
      drop: ['ALL'],
    };
    const r1 = await create('net-admin', withNetAdmin);
    expect(r1?.code).toBe(403);
    expect(r1?.message).toMatch(/violates PodSecurity \\?"restricted:latest\\?"/);
    // The template's istio-proxy overrides left under `containers` while Istio's istio-proxy is an init container.
    const duplicate = structuredClone(podOf('native', 'payment'));
    duplicate.spec.containers.push({ name: 'istio-proxy', env: [BOOTSTRAP_ENV], volumeMounts: PROXY_MOUNTS });
    const r2 = await create('duplicate-proxy', duplicate);
    expect(r2?.code).toBe(422);
    expect(r2?.message).toMatch(/Duplicate value: \\?"istio-proxy\\?"/);
    expect(r2?.message).toMatch(/image: Required value/);
  });
});

describe.each(MODES)('the kubernetes pack’s Deployment (istio/packs/kubernetes), injected with %s sidecars', (mode) => {
  let pod: any;
  beforeAll(async () => {
    const [d] = await inject(join(ROOT, 'istio/packs/kubernetes/deployment.yaml'), mode);
    pod = d.spec.template;
  });

  it('is the mcp-sidecar the template completes, serving the pack: MCP_PACK kept, one istio-proxy with the module', () => {
    expectMeshmcp(pod);
    expect(pod.spec.containers.map((c: any) => c.name)).toEqual(
      mode === 'native' ? ['mcp-sidecar'] : ['mcp-sidecar', 'istio-proxy'],
    );
    const sidecar = named(pod.spec.containers, 'mcp-sidecar');
    expect(sidecar.image).toBe(IMAGE);
    expect(envOf(sidecar)).toMatchObject({
      MCP_PACK: 'kubernetes',
      MCP_PORT: '3000',
      MCP_HOST: '0.0.0.0',
      SERVICE_NAME: { fieldRef: { fieldPath: "metadata.labels['app']" } },
    });
    expect(sidecar.resources).toEqual(SIDECAR_RESOURCES);
    expect(pod.spec.serviceAccountName).toBe('meshmcp-kubernetes-pack');
    expect(pod.metadata.labels).toMatchObject({ app: 'kubernetes', 'mcp-enabled': 'true' });
  });

  it('is admitted by the real kube-apiserver under restricted Pod Security', async () => {
    const admin = cluster!.kubeConfig(cluster!.adminToken, 'admin');
    const core = admin.makeApiClient(CoreV1Api);
    await core
      .createNamespacedServiceAccount({
        namespace: 'meshmcp-inject',
        body: { metadata: { name: 'meshmcp-kubernetes-pack' } },
      })
      .catch(() => {});
    const client = KubernetesObjectApi.makeApiClient(admin);
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...pod.metadata, name: `kubernetes-pack-${mode}`, namespace: 'meshmcp-inject' },
      spec: pod.spec,
    };
    await expect(client.create(loadYaml(JSON.stringify(body)) as any)).resolves.toBeDefined();
  });
});

describe.each(MODES)(
  'an MCP server of its own (istio/services/conformance-server), injected with %s sidecars',
  (mode) => {
    let pod: any;
    beforeAll(async () => {
      const [d] = await inject(join(ROOT, 'istio/services/conformance-server/deployment.yaml'), mode);
      pod = d.spec.template;
    });

    it('the meshmcp-proxy template gives istio-proxy the module and the bootstrap, and adds no MCP sidecar', () => {
      expect(pod.spec.containers.map((c: any) => c.name)).toEqual(
        mode === 'native' ? ['server'] : ['server', 'istio-proxy'],
      );
      const proxy = proxyOf(pod);
      expect(proxy.image, "Istio's own istio-proxy, completed").toBeDefined();
      expect(proxy.volumeMounts).toEqual(expect.arrayContaining(PROXY_MOUNTS));
      expect(proxy.env).toEqual(expect.arrayContaining([BOOTSTRAP_ENV]));
      expect(byName(pod.spec.volumes)).toMatchObject({
        'meshmcp-wasm': { configMap: { name: 'meshmcp-wasm' } },
        'meshmcp-bootstrap': { configMap: { name: 'meshmcp-bootstrap' } },
      });
      expect(named(pod.spec.volumes, 'meshmcp-tools')).toBeUndefined();
      expect(pod.metadata.labels).toMatchObject({ app: 'conformance', 'mcp-enabled': 'true' });
    });

    it('is admitted by the real kube-apiserver under restricted Pod Security', async () => {
      const admin = cluster!.kubeConfig(cluster!.adminToken, 'admin');
      const client = KubernetesObjectApi.makeApiClient(admin);
      const body = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...pod.metadata, name: `conformance-server-${mode}`, namespace: 'meshmcp-inject' },
        spec: pod.spec,
      };
      await expect(client.create(loadYaml(JSON.stringify(body)) as any)).resolves.toBeDefined();
    });
  },
);
