// The kubernetes pack's identity in the cluster tier: its ServiceAccount and grants exactly as
// `kustomize build istio/overlays/production` gives them (its ClusterRoles came with istio/base), and a token of it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { ROOT } from '../../support/cli.js';
import { requireTool } from '../tools/tools.js';
import { applyObjects, type Mesh, parseYamlObjects } from './mesh.js';

export const PACK_NAMESPACE = 'production';
export const PACK_SERVICE_ACCOUNT = 'meshmcp-kubernetes-pack';

const kustomize = (path: string) =>
  new Promise<string>((resolve, reject) =>
    execFile(requireTool('kustomize'), ['build', join(ROOT, path)], { maxBuffer: 8 << 20 }, (err, out, stderr) =>
      err ? reject(new Error(`kustomize build ${path}: ${stderr}`)) : resolve(out),
    ),
  );

/** Applies the pack's ServiceAccount, RoleBinding and nodes ClusterRoleBinding; returns a token of it. */
export async function grantKubernetesPack(mesh: Mesh): Promise<string> {
  const overlay = parseYamlObjects(await kustomize('istio/overlays/production'), 'istio/overlays/production');
  const grants = overlay.filter(
    (o) =>
      ['ServiceAccount', 'RoleBinding', 'ClusterRoleBinding'].includes(String(o.kind)) &&
      String(o.metadata.name).includes('kubernetes-pack'),
  );
  const kinds = grants.map((o) => o.kind).sort();
  if (kinds.join() !== 'ClusterRoleBinding,RoleBinding,ServiceAccount')
    throw new Error(`istio/overlays/production gives the kubernetes pack ${kinds.join(', ') || 'nothing'}`);
  await applyObjects(mesh.admin, grants);
  const tr = await mesh.admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: PACK_SERVICE_ACCOUNT,
    namespace: PACK_NAMESPACE,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [], expirationSeconds: 3600 },
    },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`the TokenRequest for ${PACK_SERVICE_ACCOUNT} returned no token`);
  return token;
}
