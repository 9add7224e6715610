// Runs meshmcp-istiod (test/cluster/istiod: istiod's own config generation) over rendered resources and the
// fixture in test/cluster/fixtures/istiod, and reads its answer the way Envoy would: listeners, filter chains,
// HTTP filters in order, and which route (and so which cluster) a request picks.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/cli.js';

export const FIXTURES = join(ROOT, 'test/cluster/fixtures/istiod');

export type Json = any;

export interface ProxySpec {
  name: string;
  type: 'router' | 'sidecar';
  namespace: string;
  pod: string;
  ip: string;
  labels: Record<string, string>;
}

export interface ProxyXds {
  listeners: Json[];
  routes: Json[];
  clusters: Json[];
  extensionConfigs: Json[];
}

export interface PatchEffect {
  kind: 'EnvoyFilter' | 'WasmPlugin';
  namespace: string;
  name: string;
  index: number;
  applyTo?: string;
  changes: boolean;
}

export interface IstiodOutput {
  proxies: Record<string, ProxyXds>;
  patches: PatchEffect[];
  /** istiod's own warning and error log lines (JSON), if any. */
  warnings: Json[];
}

/** The proxies of kubernetes.yaml: the MCP gateway and the payment-service pod. */
export const GATEWAY_PROXY: ProxySpec = {
  name: 'gateway',
  type: 'router',
  namespace: 'istio-system',
  pod: 'meshmcp-ingressgateway-0',
  ip: '192.0.2.1',
  labels: { istio: 'meshmcp-ingressgateway', app: 'meshmcp-ingressgateway' },
};
export const USER_PROXY: ProxySpec = {
  name: 'user',
  type: 'sidecar',
  namespace: 'production',
  pod: 'user-service-0',
  ip: '192.0.2.4',
  labels: { app: 'user-service', 'mcp-enabled': 'true' },
};
/** An MCP server of its own (no meshmcp sidecar), whose sessions the gateway pins to a pod. */
export const EVERYTHING_PROXY: ProxySpec = {
  name: 'everything',
  type: 'sidecar',
  namespace: 'tools',
  pod: 'everything-0',
  ip: '192.0.2.6',
  labels: { app: 'everything', 'mcp-enabled': 'true' },
};
export const PAYMENT_PROXY: ProxySpec = {
  name: 'payment',
  type: 'sidecar',
  namespace: 'production',
  pod: 'payment-service-0',
  ip: '192.0.2.3',
  labels: { app: 'payment-service', 'mcp-enabled': 'true' },
};

/** The harness binary build.sh made; throws with the fix when it is not there. */
export function harnessBinary(): string {
  const dir = execFileSync('bash', [join(ROOT, 'test/cluster/tools/build.sh'), '--harness-dir'], {
    encoding: 'utf8',
  }).trim();
  const bin = join(dir, 'meshmcp-istiod');
  if (!existsSync(bin)) {
    const log = join(dir, 'build.log');
    throw new Error(
      `the istiod harness is not built (${bin} is missing); run bash test/cluster/tools/build.sh` +
        (existsSync(log) ? ` and see ${log}` : ''),
    );
  }
  return bin;
}

/** One harness run: configs (Istio YAML) and kubernetes (YAML) in, istiod's xDS per proxy out. */
export function runIstiod(input: {
  configs: string;
  kubernetes?: string;
  proxies: ProxySpec[];
  checkPatches?: boolean;
}): Promise<IstiodOutput> {
  const bin = harnessBinary();
  const body = JSON.stringify({
    configs: input.configs,
    kubernetes: input.kubernetes ?? readFileSync(join(FIXTURES, 'kubernetes.yaml'), 'utf8'),
    proxies: input.proxies,
    checkPatches: input.checkPatches ?? false,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        reject(new Error(`meshmcp-istiod exited ${code ?? signal}: ${stderr.slice(-4000)}`));
        return;
      }
      const parsed = JSON.parse(Buffer.concat(out).toString('utf8')) as Omit<IstiodOutput, 'warnings'>;
      const warnings = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Json)
        .filter((l) => l.level === 'warn' || l.level === 'error');
      resolve({ ...parsed, warnings });
    });
    child.stdin.end(body);
  });
}

// ---- reading listeners --------------------------------------------------------------------------------------

export function listenerOnPort(xds: ProxyXds, port: number): Json | undefined {
  return xds.listeners.find((l) => l.address?.socketAddress?.portValue === port);
}

export function chains(listener: Json): Json[] {
  return [...(listener.filterChains ?? []), ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])];
}

/** The HTTP connection manager of a chain, if it has one. */
export function hcm(chain: Json): Json | undefined {
  return (chain.filters ?? []).find((f: Json) => f.name === 'envoy.filters.network.http_connection_manager')
    ?.typedConfig;
}

export function httpFilterNames(chain: Json): string[] {
  return (hcm(chain)?.httpFilters ?? []).map((f: Json) => f.name as string);
}

export function httpFilter(chain: Json, name: string): Json | undefined {
  return (hcm(chain)?.httpFilters ?? []).find((f: Json) => f.name === name);
}

/** Every (listener, chain) of a proxy whose HTTP filters include one named `name`. */
export function chainsWithFilter(xds: ProxyXds, name: string): Array<{ listener: Json; chain: Json }> {
  const out: Array<{ listener: Json; chain: Json }> = [];
  for (const l of xds.listeners) {
    for (const c of chains(l)) if (httpFilterNames(c).includes(name)) out.push({ listener: l, chain: c });
  }
  return out;
}

// ---- choosing a route as Envoy does --------------------------------------------------------------------------

export interface Request {
  authority: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
}

function stringMatch(m: Json, value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = m.ignoreCase ? value.toLowerCase() : value;
  const norm = (s: string) => (m.ignoreCase ? s.toLowerCase() : s);
  if ('exact' in m) return v === norm(m.exact);
  if ('prefix' in m) return v.startsWith(norm(m.prefix));
  if ('suffix' in m) return v.endsWith(norm(m.suffix));
  if ('contains' in m) return v.includes(norm(m.contains));
  if ('safeRegex' in m) return new RegExp(`^(?:${m.safeRegex.regex})$`).test(value);
  throw new Error(`string matcher not understood by this reader: ${JSON.stringify(m)}`);
}

/** envoy.config.route.v3.HeaderMatcher: only the forms Istio emits; anything else fails the test loudly. */
function headerMatches(h: Json, headers: Record<string, string>): boolean {
  const value = headers[h.name];
  let matched: boolean;
  if (h.presentMatch !== undefined) matched = (value !== undefined) === h.presentMatch;
  else if (h.stringMatch) matched = stringMatch(h.stringMatch, value);
  else if (h.exactMatch !== undefined) matched = value === h.exactMatch;
  else if (h.prefixMatch !== undefined) matched = value?.startsWith(h.prefixMatch) ?? false;
  else throw new Error(`header matcher not understood by this reader: ${JSON.stringify(h)}`);
  return h.invertMatch ? !matched : matched;
}

function routeMatches(match: Json, req: Request): boolean {
  const path = req.path.split('?')[0]!;
  if ('prefix' in match) {
    if (!(match.caseSensitive === false ? path.toLowerCase() : path).startsWith(match.prefix)) return false;
  } else if ('path' in match) {
    if (path !== match.path) return false;
  } else if ('pathSeparatedPrefix' in match) {
    const p = match.pathSeparatedPrefix;
    if (!(path === p || path.startsWith(`${p}/`))) return false;
  } else if ('safeRegex' in match) {
    if (!new RegExp(`^(?:${match.safeRegex.regex})$`).test(path)) return false;
  } else {
    throw new Error(`route path matcher not understood by this reader: ${JSON.stringify(match)}`);
  }
  const headers: Record<string, string> = {
    ':authority': req.authority,
    ':path': req.path,
    ':method': req.method ?? 'POST',
    ...(req.headers ?? {}),
  };
  return (match.headers ?? []).every((h: Json) => headerMatches(h, headers));
}

function domainMatches(domain: string, host: string): boolean {
  const d = domain.toLowerCase();
  const h = host.toLowerCase();
  if (d === '*') return true;
  if (d === h) return true;
  if (d.endsWith(':*')) return domainMatches(d.slice(0, -2), h.replace(/:\d+$/, ''));
  if (d.startsWith('*')) return h.length > d.length - 1 && h.endsWith(d.slice(1));
  if (d.endsWith('*')) return h.length > d.length - 1 && h.startsWith(d.slice(0, -1));
  return false;
}

/** Envoy's virtual host choice: exact, then suffix wildcards (longest first), then prefix, then `*`. */
export function virtualHostFor(routeConfig: Json, requested: string): Json | undefined {
  // ignore_port_in_host_matching (istiod sets it on gateways): the port is dropped before any domain is compared.
  const authority = routeConfig.ignorePortInHostMatching ? requested.replace(/:\d+$/, '') : requested;
  const vhosts: Json[] = routeConfig.virtualHosts ?? [];
  const all = vhosts.flatMap((v) => (v.domains as string[]).map((d) => ({ v, d })));
  const rank = (d: string) => (d === '*' ? 3 : d.startsWith('*') ? 1 : d.endsWith('*') && !d.endsWith(':*') ? 2 : 0);
  const hits = all.filter(({ d }) => domainMatches(d, authority));
  hits.sort((a, b) => rank(a.d) - rank(b.d) || b.d.length - a.d.length);
  return hits[0]?.v;
}

/** The route Envoy picks for a request in one route configuration: the first whose match holds. */
export function routeFor(routeConfig: Json, req: Request): Json | undefined {
  const vhost = virtualHostFor(routeConfig, req.authority);
  return vhost?.routes?.find((r: Json) => routeMatches(r.match, req));
}

/** Where the request goes: a cluster name, a redirect, a direct response, or 'no route' (Envoy's 404). */
export function destination(routeConfig: Json, req: Request): string {
  const r = routeFor(routeConfig, req);
  if (!r) return 'no route';
  if (r.route?.cluster) return r.route.cluster;
  if (r.route?.weightedClusters) return r.route.weightedClusters.clusters.map((c: Json) => c.name).join('+');
  if (r.redirect) return `redirect ${JSON.stringify(r.redirect)}`;
  if (r.directResponse) return `direct ${r.directResponse.status}`;
  throw new Error(`route action not understood by this reader: ${JSON.stringify(r)}`);
}

export function routeConfigNamed(xds: ProxyXds, name: string): Json {
  const rc = xds.routes.find((r) => r.name === name);
  if (!rc) throw new Error(`no route configuration ${name}; istiod made ${xds.routes.map((r) => r.name).join(', ')}`);
  return rc;
}

/** The RDS name a chain's HTTP connection manager uses. */
export function rdsName(chain: Json): string | undefined {
  return hcm(chain)?.rds?.routeConfigName;
}
