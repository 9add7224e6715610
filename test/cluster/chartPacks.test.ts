// The chart's mcpSidecars helpers rendered by the real `helm template`, as a team's own chart uses them (a copy of
// templates/_mcpsidecars.tpl and the chart's mcpSidecars values): the sidecar and the packs as containers of the
// app's pod, kubernetes on localhost:8081 (with its grants), prometheus on localhost:8082 and logs on localhost:8083
// (the app's log volume read-only), with the sidecar's Node flags and `--pack`, and a clear failure when the
// prometheus pack has no Prometheus.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { SIDECAR_NODE_FLAGS } from '../../sidecar/nodeFlags.js';
import { ROOT } from '../support/cli.js';
import { requireTool } from './tools/tools.js';

let dir: string;
/** A pack's container command: the sidecar bundle with its Node flags and `--pack`. */
const packCommand = (pack: string) => [
  'node',
  ...SIDECAR_NODE_FLAGS,
  'dist/sidecar-bundle/meshmcp-sidecar.mjs',
  '--pack',
  pack,
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshmcp-chart-packs-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: team-app\nversion: 0.1.0\n');
  copyFileSync(join(ROOT, 'istio/chart/templates/_mcpsidecars.tpl'), join(dir, 'templates/_mcpsidecars.tpl'));
  const values = parse(readFileSync(join(ROOT, 'istio/chart/values.yaml'), 'utf8'));
  writeFileSync(join(dir, 'values.yaml'), stringify({ mcpSidecars: values.mcpSidecars }));
  writeFileSync(
    join(dir, 'templates/deployment.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: payment-service }',
      'spec:',
      '  selector: { matchLabels: { app: payment-service } }',
      '  template:',
      '    metadata: { labels: { app: payment-service } }',
      '    spec:',
      '      containers:',
      '        - name: payment-service',
      '          image: payment-service:1',
      '        {{- include "meshmcp.mcpSidecars.containers" (dict "Values" .Values "serviceName" "payment-service") | nindent 8 }}',
      '        {{- include "meshmcp.mcpSidecars.packs" (dict "Values" .Values) | nindent 8 }}',
      '      volumes:',
      '        - name: logs',
      '          emptyDir: {}',
      '        {{- include "meshmcp.mcpSidecars.volumes" (dict "Values" .Values "serviceName" "payment-service") | nindent 8 }}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'templates/rbac.yaml'),
    '{{ include "meshmcp.mcpSidecars.kubernetesRbac" (dict "Values" .Values "namespace" .Release.Namespace "serviceAccount" "payment-service") }}\n',
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function helmTemplate(set: string[]): Promise<{ code: number; out: string; err: string }> {
  const helm = requireTool('helm');
  return new Promise((resolve) => {
    execFile(helm, ['template', 'team', dir, ...set.flatMap((s) => ['--set', s])], (err, out, stderr) =>
      resolve({ code: err ? 1 : 0, out, err: stderr }),
    );
  });
}

describe('the chart’s mcpSidecars helpers, rendered by helm', () => {
  it('adds the prometheus pack beside the sidecar: localhost:8082, the Node flags, --pack prometheus', async () => {
    const r = await helmTemplate([
      'mcpSidecars.enabled=true',
      'mcpSidecars.prometheus.enabled=true',
      'mcpSidecars.prometheus.prometheusUrl=http://prometheus.monitoring.svc:9090',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [deployment] = parseAllDocuments(r.out).map((d) => d.toJS());
    const containers = deployment.spec.template.spec.containers as Array<Record<string, any>>;
    expect(containers.map((c) => c.name)).toEqual(['payment-service', 'mcp-sidecar', 'mcp-prometheus']);
    const pack = containers[2]!;
    expect(pack.command).toEqual(packCommand('prometheus'));
    expect(pack.ports).toEqual([{ name: 'mcp-prometheus', containerPort: 8082, protocol: 'TCP' }]);
    expect(pack.env).toEqual(
      expect.arrayContaining([
        { name: 'MCP_HOST', value: '127.0.0.1' },
        { name: 'MCP_PORT', value: '8082' },
        { name: 'PROMETHEUS_URL', value: 'http://prometheus.monitoring.svc:9090' },
      ]),
    );
    expect(pack.image).toBe(containers[1]!.image);
    expect(pack.resources.limits.memory).toBe('64Mi');
    expect(pack.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('adds the logs pack with the app’s log volume read-only, alone or beside the prometheus pack', async () => {
    for (const withPrometheus of [false, true]) {
      const r = await helmTemplate([
        'mcpSidecars.enabled=true',
        'mcpSidecars.logs.enabled=true',
        ...(withPrometheus
          ? ['mcpSidecars.prometheus.enabled=true', 'mcpSidecars.prometheus.prometheusUrl=http://prometheus:9090']
          : []),
      ]);
      expect(r.err).toBe('');
      const [deployment] = parseAllDocuments(r.out).map((d) => d.toJS());
      const containers = deployment.spec.template.spec.containers as Array<Record<string, any>>;
      expect(containers.map((c) => c.name)).toEqual([
        'payment-service',
        'mcp-sidecar',
        ...(withPrometheus ? ['mcp-prometheus'] : []),
        'mcp-logs',
      ]);
      const logs = containers.at(-1)!;
      expect(logs.command.slice(-2)).toEqual(['--pack', 'logs']);
      expect(logs.ports).toEqual([{ name: 'mcp-logs', containerPort: 8083, protocol: 'TCP' }]);
      expect(logs.volumeMounts).toEqual([{ name: 'logs', mountPath: '/var/log/app', readOnly: true }]);
      expect(logs.env).toEqual(expect.arrayContaining([{ name: 'LOG_DIR', value: '/var/log/app' }]));
    }
  });

  it('adds the kubernetes pack on localhost:8081 and grants the pod’s ServiceAccount its ClusterRoles', async () => {
    const r = await helmTemplate([
      'mcpSidecars.enabled=true',
      'mcpSidecars.kubernetes.enabled=true',
      'mcpSidecars.kubernetes.namespaces=production\\,staging',
      'mcpSidecars.kubernetes.nodes=true',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out)
      .map((d) => d.toJS())
      .filter(Boolean);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    const containers = deployment.spec.template.spec.containers as Array<Record<string, any>>;
    expect(containers.map((c) => c.name)).toEqual(['payment-service', 'mcp-sidecar', 'mcp-kubernetes']);
    const pack = containers[2]!;
    expect(pack.command).toEqual(packCommand('kubernetes'));
    expect(pack.ports).toEqual([{ name: 'mcp-kubernetes', containerPort: 8081, protocol: 'TCP' }]);
    expect(pack.env).toEqual([
      { name: 'MCP_PORT', value: '8081' },
      { name: 'MCP_HOST', value: '127.0.0.1' },
      { name: 'MCP_NAMESPACES', value: 'production,staging' },
    ]);
    const grants = docs.filter((d) => d.kind !== 'Deployment');
    expect(
      grants.map((g) => `${g.kind} ${g.metadata.namespace ?? '-'}/${g.metadata.name} -> ${g.roleRef.name}`),
    ).toEqual([
      'ClusterRoleBinding -/payment-service-default-kubernetes-pack-nodes -> meshmcp-kubernetes-pack-nodes',
      'RoleBinding production/payment-service-kubernetes-pack -> meshmcp-kubernetes-pack',
      'RoleBinding staging/payment-service-kubernetes-pack -> meshmcp-kubernetes-pack',
    ]);
    for (const g of grants)
      expect(g.subjects).toEqual([{ kind: 'ServiceAccount', name: 'payment-service', namespace: 'default' }]);
  });

  it('the chart’s kubernetes pack ClusterRoles are istio/base’s', async () => {
    const helm = requireTool('helm');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        helm,
        ['template', 'meshmcp', join(ROOT, 'istio/chart'), '--namespace', 'platform-tools'],
        (err, o, e) => (err ? reject(new Error(e)) : resolve(o)),
      ),
    );
    const rules = (text: string) =>
      Object.fromEntries(
        parseAllDocuments(text)
          .map((d) => d.toJS())
          .filter((d) => d?.kind === 'ClusterRole' && String(d.metadata.name).startsWith('meshmcp-kubernetes-pack'))
          .map((d) => [d.metadata.name, d.rules]),
      );
    const chart = rules(out);
    expect(Object.keys(chart).sort()).toEqual(['meshmcp-kubernetes-pack', 'meshmcp-kubernetes-pack-nodes']);
    expect(chart).toEqual(rules(readFileSync(join(ROOT, 'istio/base/rbac.yaml'), 'utf8')));
  });

  it('gives the logs pack the gateway and its delegate key from a Secret for trace_request, and refuses one without', async () => {
    const on = [
      'mcpSidecars.enabled=true',
      'mcpSidecars.logs.enabled=true',
      'mcpSidecars.logs.gatewayUrl=https://mcp.example.com/mcp',
    ];
    const r = await helmTemplate([...on, 'mcpSidecars.logs.gatewayKeySecret=logs-pack-key']);
    expect(r.err).toBe('');
    const [deployment] = parseAllDocuments(r.out).map((d) => d.toJS());
    const logs = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'mcp-logs');
    expect(logs.env).toEqual(
      expect.arrayContaining([
        { name: 'MESHMCP_GATEWAY_URL', value: 'https://mcp.example.com/mcp' },
        { name: 'MESHMCP_GATEWAY_KEY', valueFrom: { secretKeyRef: { name: 'logs-pack-key', key: 'key' } } },
      ]),
    );
    const missing = await helmTemplate(on);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('mcpSidecars.logs.gatewayKeySecret is required with gatewayUrl');
  });

  it('renders no pack unless asked, and refuses a pack without a Prometheus, naming the value', async () => {
    const plain = await helmTemplate(['mcpSidecars.enabled=true']);
    expect(plain.code).toBe(0);
    const [deployment] = parseAllDocuments(plain.out).map((d) => d.toJS());
    expect(deployment.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual([
      'payment-service',
      'mcp-sidecar',
    ]);
    const missing = await helmTemplate(['mcpSidecars.enabled=true', 'mcpSidecars.prometheus.enabled=true']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain(
      'mcpSidecars.prometheus.prometheusUrl is required when the prometheus pack is enabled',
    );
  });
});
