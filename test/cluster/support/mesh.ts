// What the cluster tier puts into its fresh API server before the control code runs: Istio's CRDs (from istioctl's
// embedded charts), the namespaces, and exactly the ServiceAccount and RBAC objects of istio/base; then a token of
// that ServiceAccount, so the code under test runs with those grants and nothing more.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../../support/cli.js';
import { requireTool } from '../tools/tools.js';
import type { Cluster } from './cluster.js';

const run = promisify(execFile);

export const CONTROL_NAMESPACE = 'platform-tools';
export const CONTROL_SERVICE_ACCOUNT = 'meshmcp-control';
export const TEST_MANAGER = 'meshmcp-cluster-test';
/** The namespaces istio/base grants the control service in (ALLOWED_NAMESPACES and the gateway's). */
export const MESH_NAMESPACES = ['production', 'staging', 'istio-system'];
const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Obj = KubernetesObject & { metadata: { name: string; namespace?: string } } & Record<string, unknown>;

/**
 * Multi-document YAML → objects. Through client-node's loadYaml, which builds its typed models for the kinds it
 * knows: KubernetesObjectApi serializes those models by their TypeScript property names, so a plain object would
 * lose every field whose JSON name differs (a CRD's x-kubernetes-int-or-string, for one).
 */
export function parseYamlObjects(text: string, source: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const o = doc.toJS() as Obj | null;
    if (o && typeof o === 'object' && o.kind) out.push(loadYaml(doc.toString()) as Obj);
  }
  return out;
}

/** Istio's CustomResourceDefinitions, as the istioctl we built embeds them (its base chart). */
export async function istioCrds(): Promise<Obj[]> {
  const istioctl = requireTool('istioctl');
  const { stdout } = await run(istioctl, ['manifest', 'generate', '--set', 'profile=minimal'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const crds = parseYamlObjects(stdout, 'istioctl manifest generate').filter(
    (o) => o.kind === 'CustomResourceDefinition',
  );
  if (crds.length === 0) throw new Error('istioctl manifest generate --set profile=minimal printed no CRDs');
  return crds;
}

/**
 * The ServiceAccount and every RBAC object of istio/base, read by kind from its YAML files. Fails, naming what is
 * missing, when istio/base does not (yet) hold the meshmcp-control ServiceAccount and its grants.
 */
export function baseRbac(): Obj[] {
  const dir = join(ROOT, 'istio', 'base');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  } catch {
    throw new Error('istio/base is missing: the cluster tier applies its ServiceAccount and RBAC objects');
  }
  const objects = files.flatMap((f) => parseYamlObjects(readFileSync(join(dir, f), 'utf8'), `istio/base/${f}`));
  const picked = objects.filter(
    (o) =>
      RBAC_KINDS.has(o.kind!) ||
      (o.kind === 'ServiceAccount' &&
        o.metadata.name === CONTROL_SERVICE_ACCOUNT &&
        o.metadata.namespace === CONTROL_NAMESPACE),
  );
  const missing: string[] = [];
  if (!picked.some((o) => o.kind === 'ServiceAccount')) {
    missing.push(`ServiceAccount ${CONTROL_NAMESPACE}/${CONTROL_SERVICE_ACCOUNT}`);
  }
  if (!picked.some((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) missing.push('a ClusterRole or Role');
  if (!picked.some((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) missing.push('a binding');
  if (missing.length > 0) {
    throw new Error(`istio/base lacks ${missing.join(', ')} (read from ${files.join(', ') || 'no YAML files'})`);
  }
  return picked;
}

/** Server-side apply as the given identity, in order. */
export async function applyObjects(kc: KubeConfig, objects: readonly Obj[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) {
    try {
      await client.patch(structuredClone(o), undefined, undefined, TEST_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const e = err as { code?: number; body?: unknown; message?: string };
      throw new Error(
        `applying ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} failed (${e.code}): ${String(e.body ?? e.message).slice(0, 600)}`,
      );
    }
  }
}

/**
 * The objects of the given kinds in the given namespaces that match a label selector, as the identity sees them: by
 * id (`<Kind> <namespace>/<name>`), with their resourceVersions.
 */
export async function listedObjects(
  kc: KubeConfig,
  kinds: ReadonlyArray<{ apiVersion: string; kind: string }>,
  namespaces: readonly string[],
  labelSelector: string,
): Promise<Map<string, string>> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const out = new Map<string, string>();
  for (const k of kinds) {
    for (const ns of namespaces) {
      const list = await client.list(
        k.apiVersion,
        k.kind,
        ns,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      for (const o of list.items as KubernetesObject[]) {
        out.set(`${k.kind} ${o.metadata?.namespace}/${o.metadata?.name}`, String(o.metadata?.resourceVersion));
      }
    }
  }
  return out;
}

/** Polls until fn() is truthy, or fails with `what` after limitMs. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  const why = last ? `; last error: ${String((last as Error).message ?? last).slice(0, 300)}` : '';
  throw new Error(`${what} did not happen within ${limitMs / 1000} s${why}`);
}

/** p, or a failure naming what did not happen within ms (and detail(), e.g. the last log lines). */
export async function within<T>(what: string, ms: number, p: Promise<T>, detail: () => string = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms / 1000} s. ${detail()}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function installCrds(admin: KubeConfig): Promise<void> {
  const crds = await istioCrds();
  await applyObjects(admin, crds);
  const client = KubernetesObjectApi.makeApiClient(admin);
  for (const crd of crds) {
    await waitUntil(`CRD ${crd.metadata.name} Established`, async () => {
      const live = (await client.read({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crd.metadata.name },
      })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
  // Established is not yet served: the storage of a new resource answers 429 "storage is (re)initializing" for a
  // moment. Wait until every served version lists.
  for (const crd of crds) {
    const spec = crd['spec'] as {
      group: string;
      scope: string;
      names: { kind: string };
      versions: Array<{ name: string; served: boolean }>;
    };
    for (const v of spec.versions.filter((x) => x.served)) {
      await waitUntil(`listing ${spec.names.kind} ${spec.group}/${v.name}`, async () => {
        await client.list(
          `${spec.group}/${v.name}`,
          spec.names.kind,
          spec.scope === 'Namespaced' ? 'default' : undefined,
        );
        return true;
      });
    }
  }
}

export interface Mesh {
  cluster: Cluster;
  /** system:masters: only for the test's own setup and checks. */
  admin: KubeConfig;
  /** The ServiceAccount platform-tools/meshmcp-control: the only identity the control code under test gets. */
  control: KubeConfig;
  controlToken: string;
}

/** CRDs, namespaces, istio/base's ServiceAccount and RBAC, and a token of that ServiceAccount. */
export async function prepareMesh(cluster: Cluster): Promise<Mesh> {
  const admin = cluster.kubeConfig(cluster.adminToken, 'admin');
  const rbac = baseRbac();
  await installCrds(admin);
  const namespaces = [...new Set([CONTROL_NAMESPACE, ...MESH_NAMESPACES])].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  }));
  await applyObjects(admin, namespaces);
  await applyObjects(admin, rbac);
  const core = admin.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: CONTROL_SERVICE_ACCOUNT,
    namespace: CONTROL_NAMESPACE,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [], expirationSeconds: 7200 },
    },
  });
  const controlToken = tr.status?.token;
  if (!controlToken) throw new Error('the TokenRequest for the meshmcp-control ServiceAccount returned no token');
  return {
    cluster,
    admin,
    control: cluster.kubeConfig(controlToken, CONTROL_SERVICE_ACCOUNT),
    controlToken,
  };
}
