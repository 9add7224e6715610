// The deployment manifests under istio/, checked without a cluster: they parse, Istio objects match Istio's CRD
// schemas, workloads are restricted and bounded, and every name the parts share agrees with the product's own
// parsers (the render config, tools.yaml, the RBAC apply and discovery document, the filter's stats tags).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { RequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRenderConfig } from '../../control/render/index.js';
import { SIDECAR_NODE_FLAGS } from '../../sidecar/nodeFlags.js';
import { parseToolsConfig } from '../../sidecar/toolsConfig/parse.js';
import { ROOT } from '../support/cli.js';
import { find, injectionTemplate, istioFiles, objects, parseYamlFile, read, yamlFiles } from './support.js';

/** The MCP sidecar's pod budget. */
const SIDECAR_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '50m', memory: '64Mi' } };

/** Validates an Istio object against its CRD schema; v1 kinds the models package lacks share the v1beta1 schema. */
function validateIstio(o: any): void {
  const obj = structuredClone(o);
  const beta = (version: string) => ({ ...obj, apiVersion: version });
  switch (`${o.apiVersion} ${o.kind}`) {
    case 'networking.istio.io/v1 Gateway':
      new Gateway(beta('networking.istio.io/v1beta1')).validate();
      return;
    case 'networking.istio.io/v1 VirtualService':
      new VirtualService(beta('networking.istio.io/v1beta1')).validate();
      return;
    case 'security.istio.io/v1 AuthorizationPolicy':
      new AuthorizationPolicy(obj).validate();
      return;
    case 'security.istio.io/v1 RequestAuthentication':
      new RequestAuthentication(obj).validate();
      return;
    case 'security.istio.io/v1 PeerAuthentication':
      new PeerAuthentication(beta('security.istio.io/v1beta1')).validate();
      return;
    case 'install.istio.io/v1alpha1 IstioOperator':
      new IstioOperator(obj).validate();
      return;
    default:
      throw new Error(`no schema check for ${o.apiVersion} ${o.kind}`);
  }
}

const ISTIO_GROUP = /\.istio\.io\//;

describe('every manifest parses', () => {
  it('finds the folders the issue asks for, each with a README', () => {
    const files = istioFiles();
    for (const dir of ['base', 'security', 'gateway', 'overlays', 'services', 'chart', 'flux', 'dashboards', 'proxy']) {
      expect(
        files.some((f) => f.startsWith(`${dir}/`)),
        dir,
      ).toBe(true);
      if (dir !== 'overlays' && dir !== 'services') expect(files, dir).toContain(`${dir}/README.md`);
    }
    expect(files).toContain('README.md');
    expect(files).toContain('operator.yaml');
    expect(files).toContain('services/payment-service/README.md');
    expect(files).toContain('overlays/README.md');
  });

  it.each(yamlFiles().map((f) => [f]))('%s', (file) => {
    expect(parseYamlFile(file).length).toBeGreaterThan(0);
  });

  it('holds no machine-specific absolute path', () => {
    for (const file of istioFiles()) expect(read(file), file).not.toMatch(/\/(work|home|tmp)\/[a-z]/);
  });
});

describe('Istio objects against the Istio CRD schemas', () => {
  const istio = objects().filter(
    (d) => ISTIO_GROUP.test(`${d.obj.apiVersion}/`) || d.obj.apiVersion.includes('istio.io'),
  );

  it('covers every kind shipped', () => {
    const kinds = new Set(istio.map((d) => d.obj.kind));
    for (const k of ['IstioOperator', 'Gateway', 'VirtualService', 'PeerAuthentication', 'AuthorizationPolicy'])
      expect(kinds).toContain(k);
    expect(kinds).toContain('RequestAuthentication');
  });

  it.each(istio.map((d) => [`${d.file} ${d.obj.kind} ${d.obj.metadata.name}`, d.obj]))('%s', (_n, obj) => {
    validateIstio(obj);
  });

  it('catches a broken object (the validators are live)', () => {
    const vs = structuredClone(find('VirtualService', 'meshmcp-entry'));
    vs.spec.http[0].match[0].uri = { exact: 5 };
    expect(() => validateIstio(vs)).toThrow();
  });
});

/** Every pod template shipped, with where it came from. */
function podSpecs(): [string, any][] {
  const out: [string, any][] = [];
  for (const d of objects()) {
    if (d.obj.kind === 'Deployment') out.push([`${d.file} ${d.obj.metadata.name}`, d.obj.spec.template.spec]);
  }
  return out;
}

function expectRestricted(where: string, pod: any, c: any): void {
  const sc = c.securityContext ?? {};
  const psc = pod.securityContext ?? {};
  expect(sc.runAsNonRoot ?? psc.runAsNonRoot, `${where} ${c.name} runAsNonRoot`).toBe(true);
  expect(sc.allowPrivilegeEscalation, `${where} ${c.name} allowPrivilegeEscalation`).toBe(false);
  expect(sc.capabilities?.drop, `${where} ${c.name} capabilities`).toEqual(['ALL']);
  expect(sc.capabilities?.add, `${where} ${c.name} capabilities.add`).toBeUndefined();
  expect(sc.privileged ?? false, `${where} ${c.name} privileged`).toBe(false);
  expect((sc.seccompProfile ?? psc.seccompProfile)?.type, `${where} ${c.name} seccomp`).toBe('RuntimeDefault');
  expect(sc.runAsUser ?? psc.runAsUser, `${where} ${c.name} runAsUser`).not.toBe(0);
}

describe('workloads', () => {
  it.each(podSpecs())('%s: restricted, bounded, probed', (where, pod) => {
    expect(pod.hostNetwork ?? false).toBe(false);
    for (const c of pod.containers) {
      expectRestricted(where, pod, c);
      expect(c.resources?.requests?.cpu, `${where} ${c.name}`).toBeDefined();
      expect(c.resources?.requests?.memory, `${where} ${c.name}`).toBeDefined();
      expect(c.resources?.limits?.memory, `${where} ${c.name}`).toBeDefined();
      expect(c.readinessProbe, `${where} ${c.name}`).toBeDefined();
      expect(c.livenessProbe, `${where} ${c.name}`).toBeDefined();
    }
  });

  it('the control Deployment: 2 replicas spread over nodes, probes, a PDB, the downward-API lease settings', () => {
    const d = find('Deployment', 'meshmcp-control', 'platform-tools');
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.affinity.podAntiAffinity).toBeDefined();
    const c = pod.containers[0];
    expect(c.command).toEqual(['node', 'bin/meshmcp.js', 'control']);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({
      HOST: '0.0.0.0',
      PORT: '8080',
      POD_NAMESPACE: 'metadata.namespace',
      POD_NAME: 'metadata.name',
      MESHMCP_CONFIG: '/etc/meshmcp/mesh.yaml',
    });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    const pdb = find('PodDisruptionBudget', 'meshmcp-control', 'platform-tools');
    expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
    const svc = find('Service', 'meshmcp-control', 'platform-tools');
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
    const ns = find('Namespace', 'platform-tools');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('every env setting of the control and the sidecar exists in the product', async () => {
    const { CONTROL_OPTIONS } = await import('../../control/flags.js');
    const { SIDECAR_OPTIONS } = await import('../../sidecar/config.js');
    const control = new Set(CONTROL_OPTIONS.map((o) => o.env));
    const sidecar = new Set(SIDECAR_OPTIONS.map((o: { env?: string }) => o.env));
    for (const e of find('Deployment', 'meshmcp-control').spec.template.spec.containers[0].env)
      expect(control.has(e.name), e.name).toBe(true);
    for (const e of injectionTemplate().spec.containers[0].env) expect(sidecar.has(e.name), e.name).toBe(true);
  });
});

describe('the meshmcp injection template', () => {
  const t = injectionTemplate();
  const sidecar = t.spec.containers.find((c: any) => c.name === 'mcp-sidecar');

  it("gives the sidecar its pod budget, restricted, with probes and the image's Node flags", () => {
    expect(sidecar.resources).toEqual(SIDECAR_RESOURCES);
    expectRestricted('template', {}, sidecar);
    expect(sidecar.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 3000 });
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 3000 });
    expect(sidecar.command).toEqual(['node', ...SIDECAR_NODE_FLAGS, 'dist/sidecar-bundle/meshmcp-sidecar.mjs']);
  });

  it('takes SERVICE_NAME from the app label and mounts tools, logs and the filter module', () => {
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e]));
    expect(env.SERVICE_NAME.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['app']");
    expect(env.MCP_HOST.value).toBe('0.0.0.0');
    expect(env.MCP_PORT.value).toBe('3000');
    expect(env.TOOLS_CONFIG.value).toBe('/etc/mcp/tools.yaml');
    expect(env.LOG_DIR.value).toBe('/var/log/app');
    const mounts = Object.fromEntries(sidecar.volumeMounts.map((m: any) => [m.mountPath, m]));
    expect(mounts['/etc/mcp'].readOnly).toBe(true);
    expect(mounts['/var/log/app'].readOnly).toBe(true);
    const proxy = t.spec.containers.find((c: any) => c.name === 'istio-proxy');
    const { settings } = parseRenderConfig(read('base/mesh.yaml'), 'base/mesh.yaml');
    expect(proxy.volumeMounts.map((m: any) => m.mountPath)).toContain((settings.module as { file: string }).file);
    expect(t.metadata.labels['mcp-enabled']).toBe('true');
  });

  it('the chart mirrors it in mcpSidecars', () => {
    const values = parse(read('chart/values.yaml'));
    expect(values.mcpSidecars.sidecar.resources).toEqual(SIDECAR_RESOURCES);
    expect(values.mcpSidecars.sidecar.port).toBe(3000);
    // the container's command, a flow sequence on one line of the template
    const command = /^\s*command: (\[.*\])$/m.exec(read('chart/templates/_mcpsidecars.tpl'))?.[1];
    expect(parse(command ?? 'null')).toEqual([
      'node',
      ...SIDECAR_NODE_FLAGS,
      'dist/sidecar-bundle/meshmcp-sidecar.mjs',
    ]);
  });
});

describe('the control configuration', () => {
  const base = parseRenderConfig(read('base/mesh.yaml'), 'base/mesh.yaml');

  it('parses with the real parser and names the objects shipped', () => {
    const ns = find('Namespace', 'platform-tools').metadata.name;
    expect(base.settings.control.namespace).toBe(ns);
    const d = find('Deployment', 'meshmcp-control');
    expect(d.metadata.namespace).toBe(ns);
    expect(d.spec.template.spec.serviceAccountName).toBe(base.settings.control.serviceAccount);
    const svc = find('Service', base.settings.control.route, ns);
    expect(base.settings.control.host).toBe(`${svc.metadata.name}.${ns}.svc.cluster.local`);
    expect(svc.spec.ports.map((p: any) => p.port)).toContain(base.settings.control.port);
    const [gwNs, gwName] = base.settings.gateway.gatewayRef.split('/');
    const gw = find('Gateway', gwName!, gwNs);
    expect(gw.spec.selector).toEqual(base.settings.gateway.selector);
    expect(gw.spec.servers[0].hosts).toEqual(base.settings.gateway.hosts);
    expect(base.settings.module).toEqual({ file: '/etc/istio/extensions/meshmcp.wasm' });
  });

  it('the entry VirtualService stays inside the rendered control route', () => {
    const vs = find('VirtualService', 'meshmcp-entry');
    expect(vs.spec.gateways).toEqual([base.settings.gateway.gatewayRef]);
    expect(vs.spec.hosts).toEqual(base.settings.gateway.hosts);
    for (const route of vs.spec.http) {
      expect(route.route).toEqual([
        { destination: { host: base.settings.control.host, port: { number: base.settings.control.port } } },
      ]);
      for (const m of route.match) {
        const onControl = m.headers?.['x-meshmcp-service']?.exact === base.settings.control.route;
        expect(onControl || m.withoutHeaders?.['x-meshmcp-service'] !== undefined).toBe(true);
      }
    }
  });

  it('the policies name the gateway and control identities the config names', () => {
    const td = base.settings.trustDomain;
    const gateway = `${td}/ns/${base.settings.gateway.namespace}/sa/${base.settings.gateway.serviceAccount}`;
    const control = `${td}/ns/${base.settings.control.namespace}/sa/${base.settings.control.serviceAccount}`;
    const deny = find('AuthorizationPolicy', 'meshmcp-sidecar-port');
    expect(deny.spec.action).toBe('DENY');
    expect(deny.spec.rules[0].from[0].source.notPrincipals).toEqual([gateway, control]);
    const allow = find('AuthorizationPolicy', 'meshmcp-control');
    expect(allow.spec.rules[0].from[0].source.principals).toEqual([gateway]);
    const ra = find('RequestAuthentication', 'meshmcp-jwt');
    expect(ra.spec.selector.matchLabels).toEqual(base.settings.gateway.selector);
    const jwt = base.policy.identity.find((i) => 'jwt' in i) as { jwt: { metadataKey: string } };
    expect(jwt.jwt.metadataKey).toBe('payload');
    expect(base.oauth.authorizationServers).toContain(ra.spec.jwtRules[0].issuer);
  });

  it('the chart default config parses too and agrees with the base', () => {
    const values = parse(read('chart/values.yaml'));
    // As templates/_helpers.tpl writes it for a release in platform-tools (JSON is YAML).
    const config = structuredClone(values.config);
    config.control.namespace = 'platform-tools';
    config.control.host = `${config.control.route}.platform-tools.svc.cluster.local`;
    const chart = parseRenderConfig(JSON.stringify(config), 'chart/values.yaml config');
    expect(chart.settings.control).toEqual(base.settings.control);
    expect(chart.settings.gateway).toEqual(base.settings.gateway);
  });
});

/** The rules control/apply/README.md lists, plus discovery's (control/discovery/README.md). */
function expectedRules(): Map<string, Set<string>> {
  const text = readFileSync(join(ROOT, 'control/apply/README.md'), 'utf8');
  const section = text.split('## RBAC the control service needs')[1]!;
  const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const rules = parse(block).rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  rules.push({ apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] });
  rules.push({ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] });
  return flatten(rules);
}

function flatten(rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) {
        const key = `${g}/${res}`;
        const verbs = out.get(key) ?? new Set<string>();
        for (const v of r.verbs) verbs.add(v);
        out.set(key, verbs);
      }
  return out;
}

const asPlain = (m: Map<string, Set<string>>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort(([a], [b]) => String(a).localeCompare(String(b))));

describe('RBAC: least privilege', () => {
  const all = objects().filter((d) => d.file.startsWith('base/'));
  const isPack = (d: { obj: any }) => String(d.obj.metadata?.name).startsWith('meshmcp-kubernetes-pack');
  const roles = all.filter((d) => (d.obj.kind === 'ClusterRole' || d.obj.kind === 'Role') && !isPack(d));
  const packRoles = all.filter((d) => d.obj.kind === 'ClusterRole' && isPack(d));

  it('grants exactly what apply and discovery use, nothing more, no wildcards', () => {
    const granted = roles.flatMap((d) => d.obj.rules);
    for (const r of granted) {
      for (const field of ['apiGroups', 'resources', 'verbs']) expect(r[field]).not.toContain('*');
    }
    expect(asPlain(flatten(granted))).toEqual(asPlain(expectedRules()));
  });

  it('leases only in its own namespace (a Role), and nothing is bound cluster-wide', () => {
    const role = find('Role', 'meshmcp-control-leader', 'platform-tools');
    expect(role.rules.every((r: any) => r.apiGroups.join() === 'coordination.k8s.io')).toBe(true);
    for (const d of roles.filter((x) => x.obj.kind === 'ClusterRole'))
      expect(JSON.stringify(d.obj.rules)).not.toContain('leases');
    // The one exception: each overlay's kubernetes pack reads nodes and namespaces (cluster-scoped, read-only).
    const clusterBindings = objects().filter((d) => d.obj.kind === 'ClusterRoleBinding');
    expect(clusterBindings.map((d) => d.file).sort()).toEqual([
      'overlays/production/kubernetes-pack-nodes.yaml',
      'overlays/staging/kubernetes-pack-nodes.yaml',
    ]);
    for (const b of clusterBindings) {
      expect(b.obj.roleRef.name).toBe('meshmcp-kubernetes-pack-nodes');
      expect(b.obj.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'meshmcp-kubernetes-pack', namespace: b.file.split('/')[1] },
      ]);
    }
  });

  it('lets the kubernetes pack read what its tools show, and nothing else: get and list, no Secrets or ConfigMaps', () => {
    expect(asPlain(flatten(packRoles.flatMap((d) => d.obj.rules)))).toEqual({
      '/events': ['get', 'list'],
      '/namespaces': ['get', 'list'],
      '/nodes': ['get', 'list'],
      '/pods': ['get', 'list'],
      '/pods/log': ['get', 'list'],
      '/services': ['get', 'list'],
      'apps/deployments': ['get', 'list'],
      'discovery.k8s.io/endpointslices': ['get', 'list'],
      'networking.istio.io/destinationrules': ['get', 'list'],
      'networking.istio.io/virtualservices': ['get', 'list'],
    });
  });

  it('binds discovery and the Istio kinds in each allowed namespace and the Istio kinds in the gateway namespace', () => {
    const d = find('Deployment', 'meshmcp-control');
    const allowed = d.spec.template.spec.containers[0].env
      .find((e: any) => e.name === 'ALLOWED_NAMESPACES')
      .value.split(',');
    const bindings = all.filter((x) => x.obj.kind === 'RoleBinding');
    const has = (ns: string, role: string) =>
      bindings.some(
        (b) =>
          b.obj.metadata.namespace === ns &&
          b.obj.roleRef.name === role &&
          b.obj.subjects.some((s: any) => s.name === 'meshmcp-control' && s.namespace === 'platform-tools'),
      );
    for (const ns of allowed) {
      expect(has(ns, 'meshmcp-control-discovery'), ns).toBe(true);
      expect(has(ns, 'meshmcp-control-istio'), ns).toBe(true);
    }
    expect(has('istio-system', 'meshmcp-control-istio')).toBe(true);
    expect(has('istio-system', 'meshmcp-control-discovery')).toBe(false);
    expect(has('platform-tools', 'meshmcp-control-leader')).toBe(true);
  });
});

describe('tools.yaml files', () => {
  const files = istioFiles().filter((f) => f.endsWith('tools.yaml'));

  it('ships the example and one per environment', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'services/payment-service/tools.yaml',
        'overlays/production/services/payment-service/tools.yaml',
        'overlays/staging/services/payment-service/tools.yaml',
      ]),
    );
  });

  it.each(files.map((f) => [f]))('%s validates with the sidecar parser', (file) => {
    const specs = parseToolsConfig(read(file), file, { serviceName: 'payment-service' });
    expect(specs.length).toBeGreaterThan(0);
  });

  it("the example carries payment-service's tools", () => {
    const names = parseToolsConfig(read('services/payment-service/tools.yaml'), 'x', {
      serviceName: 'payment-service',
    }).map((s) => s.name);
    for (const n of ['check_transaction_status', 'retry_failed_payment', 'check_stripe_connection'])
      expect(names).toContain(n);
  });
});

describe('the proxy pieces', () => {
  it("the bootstrap ConfigMap's stats_tags are filter/stats-tags.json", () => {
    const cm = find('ConfigMap', 'meshmcp-bootstrap');
    const boot = JSON.parse(cm.data['custom_bootstrap.json']);
    const tags = JSON.parse(readFileSync(join(ROOT, 'filter/stats-tags.json'), 'utf8'));
    expect(boot).toEqual({ stats_config: { stats_tags: tags } });
  });

  it('proxyStatsMatcher lets the filter metrics through', () => {
    const op = parseYamlFile('operator.yaml')[0] as any;
    const m = op.spec.meshConfig.defaultConfig.proxyStatsMatcher;
    expect(m.inclusionPrefixes.some((p: string) => 'wasmcustom.mcp_gateway_requests_total'.startsWith(p))).toBe(true);
    expect(m.inclusionPrefixes.some((p: string) => 'wasmcustom.mcp_inbound_requests_total'.startsWith(p))).toBe(true);
  });
});

describe('kustomize and Flux layouts', () => {
  const kustomizations = istioFiles().filter((f) => f.endsWith('kustomization.yaml') && !f.startsWith('flux/'));

  it.each(kustomizations.map((f) => [f]))('%s names only files and folders that exist', (file) => {
    const k = parseYamlFile(file)[0] as any;
    const dir = file.slice(0, file.lastIndexOf('/'));
    const paths: string[] = [...(k.resources ?? [])];
    for (const g of k.configMapGenerator ?? []) for (const f of g.files ?? []) paths.push(f.split('=').pop());
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      expect(p, `${file}: ${p}`).not.toMatch(/^[a-z]+:\/\//);
      expect(() =>
        readFileSync(
          join(ROOT, 'istio', dir, p, p.endsWith('.yaml') || p.endsWith('.json') ? '' : 'kustomization.yaml'),
        ),
      ).not.toThrow();
    }
  });

  it('Flux Kustomizations point at folders with a kustomization.yaml', () => {
    for (const d of objects().filter((x) => x.file.startsWith('flux/') && x.obj.kind === 'Kustomization')) {
      const path = d.obj.spec.path.replace(/^\.\//, '');
      expect(() => readFileSync(join(ROOT, path, 'kustomization.yaml')), path).not.toThrow();
    }
    const hr = find('HelmRelease', 'meshmcp');
    expect(() => readFileSync(join(ROOT, hr.spec.chart.spec.chart.replace(/^\.\//, ''), 'Chart.yaml'))).not.toThrow();
  });
});
