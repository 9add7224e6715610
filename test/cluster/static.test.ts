// The real tools over the deployment files, no cluster needed: `istioctl validate -f` on every Kubernetes manifest
// under istio/ (chart templates excepted: `helm template` renders them), on every `kustomize build` output and on
// every golden render output that is not an -invalid case; `istioctl analyze --use-kube=false` over them;
// `helm lint` and `helm template` of the chart; `kustomize build` of istio/base and every overlay. All clean.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/cli.js';
import { requireTool } from './tools/tools.js';

const ISTIO = join(ROOT, 'istio');
const GOLDEN = join(ROOT, 'test/golden/render');
const work = mkdtempSync(join(tmpdir(), 'meshmcp-cluster-static-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  /** stdout alone (a build's YAML). */
  out: string;
  /** stderr alone: where the tools report problems. */
  err: string;
}

function run(bin: string, args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr.trim() });
    });
  });
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** A Kubernetes manifest: every document has apiVersion and kind, and none is a kustomize or helm file. */
function isManifest(file: string): boolean {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d) => d !== null && d !== undefined);
  return (
    docs.length > 0 &&
    docs.every(
      (d) =>
        typeof d === 'object' &&
        typeof d['apiVersion'] === 'string' &&
        typeof d['kind'] === 'string' &&
        !String(d['apiVersion']).startsWith('kustomize.config.k8s.io/'),
    )
  );
}

const yamlUnderIstio = walk(ISTIO)
  .filter((f) => /\.ya?ml$/.test(f))
  .filter((f) => !relative(ISTIO, f).startsWith(join('chart', 'templates')))
  .sort();
const manifests = yamlUnderIstio.filter(isManifest);
const goldenOutputs = walk(GOLDEN)
  .filter((f) => f.endsWith('.out.yaml') && !f.includes('-invalid'))
  .sort();
const kustomizeDirs = [
  join(ISTIO, 'base'),
  ...(existsSync(join(ISTIO, 'overlays'))
    ? readdirSync(join(ISTIO, 'overlays'))
        .map((d) => join(ISTIO, 'overlays', d))
        .filter((d) => existsSync(join(d, 'kustomization.yaml')))
    : []),
];
const chart = join(ISTIO, 'chart');

/** What the istio/ author has not written yet: those checks are skipped, and the list says so. */
const absent = [
  ...[join(ISTIO, 'base', 'kustomization.yaml'), join(chart, 'Chart.yaml')].filter((f) => !existsSync(f)),
  ...(kustomizeDirs.length < 2 ? ['istio/overlays/*/kustomization.yaml'] : []),
].map((f) => relative(ROOT, f));
if (absent.length > 0) {
  console.warn(`cluster tier: static checks skipped for files that do not exist yet: ${absent.join(', ')}`);
}

const rel = (f: string) => relative(ROOT, f);
const both = (r: Run) => `${r.out.trim()}\n${r.err}`.trim();
const clean = (r: Run, what: string) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${both(r)}`);
  if (/\berror\b|\[ERROR\]/i.test(r.err)) throw new Error(`${what} reported errors:\n${r.err}`);
};

/** kustomize build of each dir, written to a file so istioctl can validate it; filled by the kustomize test. */
const built = new Map<string, string>();

describe('kustomize, helm and istioctl on istio/ and the golden render outputs', () => {
  it.skipIf(!existsSync(join(ISTIO, 'base', 'kustomization.yaml')))(
    'kustomize build of istio/base and every overlay',
    async () => {
      const kustomize = requireTool('kustomize');
      for (const dir of kustomizeDirs) {
        const r = await run(kustomize, ['build', dir]);
        clean(r, `kustomize build ${rel(dir)}`);
        const file = join(work, `kustomize-${rel(dir).replaceAll('/', '-')}.yaml`);
        writeFileSync(file, r.out);
        built.set(rel(dir), file);
      }
      expect(built.size).toBe(kustomizeDirs.length);
    },
  );

  it.skipIf(!existsSync(join(chart, 'Chart.yaml')))('helm lint and helm template of istio/chart', async () => {
    const helm = requireTool('helm');
    const lint = await run(helm, ['lint', chart]);
    clean(lint, 'helm lint istio/chart');
    expect(both(lint)).toMatch(/0 chart\(s\) failed/);
    const template = await run(helm, ['template', 'meshmcp', chart]);
    clean(template, 'helm template istio/chart');
    const docs = parseAllDocuments(template.out).filter((d) => d.toJS() !== null);
    expect(docs.length).toBeGreaterThan(0);
    const file = join(work, 'helm-template.yaml');
    writeFileSync(file, template.out);
    built.set('helm template istio/chart', file);
  });

  it('istioctl validate -f on every manifest under istio/, every build output and every golden render output', async () => {
    const istioctl = requireTool('istioctl');
    const files = [...manifests, ...built.values(), ...goldenOutputs];
    expect(files.length).toBeGreaterThan(0);
    // The check is not vacuous: an AuthorizationPolicy with an unknown action fails it.
    const bad = join(work, 'bad-authorizationpolicy.yaml');
    writeFileSync(
      bad,
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: y}\nspec: {action: BOGUS}\n',
    );
    const refused = await run(istioctl, ['validate', '-f', bad]);
    expect(refused.code, both(refused)).not.toBe(0);
    const failures: string[] = [];
    for (const f of files) {
      const r = await run(istioctl, ['validate', '-f', f]);
      if (r.code !== 0 || /\berror\b/i.test(r.err)) failures.push(`${rel(f)} (exit ${r.code}):\n${both(r)}`);
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });

  it('istioctl analyze --use-kube=false over istio/ with its build outputs, and over each golden render output', async () => {
    const istioctl = requireTool('istioctl');
    const sets: Array<{ what: string; files: string[] }> = [
      { what: 'istio/ manifests and build outputs', files: [...manifests, ...built.values()] },
      ...goldenOutputs.map((f) => ({ what: rel(f), files: [f] })),
    ];
    const failures: string[] = [];
    for (const s of sets) {
      if (s.files.length === 0) continue;
      const r = await run(istioctl, ['analyze', '--use-kube=false', '--failure-threshold', 'Error', ...s.files]);
      if (r.code !== 0 || /^Error \[/m.test(both(r))) failures.push(`${s.what} (exit ${r.code}):\n${both(r)}`);
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
});
