// The dedicated MCP gateway as istioctl installs it (`istioctl manifest generate -f istio/operator.yaml`): its own
// Deployment, Service and service account, meshmcp.wasm and the stats bootstrap mounted into it only, and the very
// labels, service account and listener port render defaults to (and istio/base/mesh.yaml sets), so the rendered
// EnvoyFilter selects it and matches its listener.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseRenderConfig, RENDER_DEFAULTS } from '../../control/render/index.js';
import { ROOT } from '../support/cli.js';
import type { Json } from './support/istiod.js';
import { requireTool } from './tools/tools.js';

let docs: Json[];

beforeAll(async () => {
  const istioctl = requireTool('istioctl');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      istioctl,
      ['manifest', 'generate', '-f', join(ROOT, 'istio/operator.yaml')],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: { ...process.env, KUBECONFIG: '/nonexistent' } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`istioctl manifest generate: ${stderr || err}`)) : resolve(stdout),
    );
  });
  docs = parseAllDocuments(out)
    .map((d) => d.toJS() as Json)
    .filter((d) => d?.kind);
});

const find = (kind: string, name: string): Json => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!d) throw new Error(`istioctl generated no ${kind} ${name}`);
  return d;
};

describe('the MCP gateway istioctl installs', () => {
  it('is a gateway of its own, with the labels, service account and listener port render defaults to', () => {
    const deploy = find('Deployment', 'meshmcp-ingressgateway');
    const pod = deploy.spec.template;
    expect(pod.metadata.labels).toMatchObject(RENDER_DEFAULTS.gateway.selector);
    expect(pod.spec.serviceAccountName).toBe(RENDER_DEFAULTS.gateway.serviceAccount);
    expect(find('ServiceAccount', RENDER_DEFAULTS.gateway.serviceAccount).metadata.namespace).toBe('istio-system');
    const https = find('Service', 'meshmcp-ingressgateway').spec.ports.find((p: Json) => p.port === 443);
    expect(https.targetPort).toBe(RENDER_DEFAULTS.gateway.port);
    // istio/base/mesh.yaml, what the control service really runs with, agrees.
    const { settings } = parseRenderConfig(readFileSync(join(ROOT, 'istio/base/mesh.yaml'), 'utf8'), 'mesh.yaml');
    expect(settings.gateway).toMatchObject({
      selector: RENDER_DEFAULTS.gateway.selector,
      serviceAccount: RENDER_DEFAULTS.gateway.serviceAccount,
      port: https.targetPort,
      tls: true,
    });
  });

  it('mounts meshmcp.wasm and the stats bootstrap into its istio-proxy', () => {
    const spec = find('Deployment', 'meshmcp-ingressgateway').spec.template.spec;
    expect(spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'meshmcp-wasm', configMap: { name: 'meshmcp-wasm' } },
        { name: 'meshmcp-bootstrap', configMap: { name: 'meshmcp-bootstrap' } },
      ]),
    );
    const proxy = spec.containers.find((c: Json) => c.name === 'istio-proxy');
    expect(proxy.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'meshmcp-wasm', mountPath: '/etc/istio/extensions', readOnly: true },
        { name: 'meshmcp-bootstrap', mountPath: '/etc/istio/custom-bootstrap', readOnly: true },
      ]),
    );
    expect(proxy.env).toContainEqual({
      name: 'ISTIO_BOOTSTRAP_OVERRIDE',
      value: '/etc/istio/custom-bootstrap/custom_bootstrap.json',
    });
  });

  it("leaves the mesh's shared istio-ingressgateway as the profile makes it", () => {
    const shared = find('Deployment', 'istio-ingressgateway').spec.template;
    expect(shared.metadata.labels.istio).toBe('ingressgateway');
    const spec = shared.spec;
    expect(spec.volumes.map((v: Json) => v.name)).not.toContain('meshmcp-wasm');
    const proxy = spec.containers.find((c: Json) => c.name === 'istio-proxy');
    expect((proxy.env ?? []).map((e: Json) => e.name)).not.toContain('ISTIO_BOOTSTRAP_OVERRIDE');
  });
});
