// The kubernetes pack in the local mesh: `meshmcp dev --kubeconfig <file>` turns the kubeconfig's current context
// into the pack's flags (its API server, CA and bearer token written to files of the mesh's work directory), since
// the pack itself reads only what a pod has: a token file and a CA file.
import { writeFileSync } from 'node:fs';
import type https from 'node:https';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface DevKubernetes {
  /** `--kube-api-url … --kube-token-file … [--kube-ca-file …] --namespaces …` for `meshmcp sidecar --pack kubernetes` */
  flags: string[];
  server: string;
  namespaces: string;
}

/**
 * Reads the kubeconfig's current context: the cluster's server and CA, and the user's bearer token (a token, a token
 * file or an exec plugin's). A user that authenticates with a client certificate has no token to give the pack: the
 * error says what to do instead.
 */
export async function devKubernetes(
  kubeconfig: string,
  namespaces: string | undefined,
  workDir: string,
): Promise<DevKubernetes> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfig);
  } catch (err) {
    throw new Error(`cannot read the kubeconfig ${kubeconfig}: ${(err as Error).message}`);
  }
  const cluster = kc.getCurrentCluster();
  const context = kc.getContextObject(kc.getCurrentContext());
  if (!cluster || !context)
    throw new Error(
      `the kubeconfig ${kubeconfig} has no current context with a cluster: set one with kubectl config use-context`,
    );
  const opts: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const auth = String((opts.headers as Record<string, unknown>)['Authorization'] ?? '');
  const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  if (!token)
    throw new Error(
      `the kubeconfig user of context ${context.name} has no bearer token (a client certificate cannot be handed to the ` +
        'kubernetes pack, which reads a ServiceAccount token as in a pod): make one, e.g. ' +
        '`kubectl create token meshmcp-kubernetes-pack -n <namespace>`, and put it in a context of its own',
    );
  const flags = ['--kube-api-url', cluster.server];
  const tokenFile = join(workDir, 'kubernetes-pack.token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  flags.push('--kube-token-file', tokenFile);
  if (opts.ca) {
    const caFile = join(workDir, 'kubernetes-pack-ca.crt');
    writeFileSync(caFile, opts.ca as string | Buffer);
    flags.push('--kube-ca-file', caFile);
  }
  const ns = namespaces ?? context.namespace ?? 'default';
  flags.push('--namespaces', ns);
  return { flags, server: cluster.server, namespaces: ns };
}
