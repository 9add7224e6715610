// Where the cluster tier's tools are (build.sh builds them; versions.env names their versions), and whether all are.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export type ToolName = 'etcd' | 'kube-apiserver' | 'istioctl' | 'helm' | 'kustomize';

/** The variables of versions.env (KUBERNETES_VERSION=v1.34.4, ...). */
export function toolVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(HERE, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The same directory as build.sh: MESHMCP_TOOLS_CACHE, else $XDG_CACHE_HOME or ~/.cache, then meshmcp/cluster-tools. */
export function toolsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['MESHMCP_TOOLS_CACHE']) return env['MESHMCP_TOOLS_CACHE'];
  const base = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(base, 'meshmcp', 'cluster-tools');
}

const VERSION_OF: Record<ToolName, string> = {
  etcd: 'ETCD_VERSION',
  'kube-apiserver': 'KUBERNETES_VERSION',
  istioctl: 'ISTIO_VERSION',
  helm: 'HELM_VERSION',
  kustomize: 'KUSTOMIZE_VERSION',
};

export const TOOL_NAMES = Object.keys(VERSION_OF) as ToolName[];

/** The binary's path in the cache, whether or not it was built. */
export function toolPath(name: ToolName): string {
  const version = toolVersions()[VERSION_OF[name]];
  if (!version) throw new Error(`test/cluster/tools/versions.env has no ${VERSION_OF[name]}`);
  return join(toolsCacheDir(), `${name}-${version}`, name);
}

/** The binary's path; throws with how to build it when it is not there. */
export function requireTool(name: ToolName): string {
  const path = toolPath(name);
  if (!existsSync(path)) {
    const log = join(dirname(path), 'build.log');
    throw new Error(
      `${name} is not built (${path} is missing); run bash test/cluster/tools/build.sh` +
        (existsSync(log) ? ` and see why the last build failed in ${log}` : ''),
    );
  }
  return path;
}

export function allToolsBuilt(): boolean {
  return TOOL_NAMES.every((t) => existsSync(toolPath(t)));
}

/** The cluster tier runs when asked to (MESHMCP_CLUSTER=1, which builds the tools first) or its tools are there. */
export function clusterTierEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['MESHMCP_CLUSTER'] === '1' || allToolsBuilt();
}
