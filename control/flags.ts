// Flags and environment of `meshmcp control` (one spec gives parsing, defaults and --help), resolved once at start.

import type { OptionSpec, OptionValues } from '../shared/options.js';
import { commaList, UsageError } from '../shared/options.js';
import { DNS_LABEL } from './catalogRules.js';

export const CONTROL_OPTIONS: OptionSpec[] = [
  {
    flag: 'config',
    env: 'MESHMCP_CONFIG',
    type: 'string',
    description:
      'mesh settings and gateway policy (YAML; see control/render/README.md); its `shard: <name>` makes this ' +
      'control service and its gateway one shard of the mesh, serving --allowed-namespaces (README.md, Scale)',
  },
  {
    flag: 'services-file',
    env: 'SERVICES_FILE',
    type: 'string',
    description: 'discover services from this YAML file instead of Kubernetes (see control/discovery/README.md)',
  },
  {
    flag: 'allowed-namespaces',
    env: 'ALLOWED_NAMESPACES',
    type: 'string',
    default: 'production,staging',
    description:
      'namespaces whose mcp-enabled=true Services are discovered (comma-separated); with a shard, its slice of the ' +
      'mesh: each namespace in one shard only',
  },
  {
    flag: 'discovery-interval',
    env: 'DISCOVERY_INTERVAL',
    type: 'number',
    default: 300,
    description: 'seconds between full relists of Kubernetes, a safety net for a quiet watch',
  },
  {
    flag: 'cache-ttl',
    env: 'CACHE_TTL',
    type: 'number',
    default: 300,
    description: "seconds a service's tools/list may go uncollected (each is asked at its own slot within it)",
  },
  {
    flag: 'collect-timeout',
    env: 'COLLECT_TIMEOUT',
    type: 'number',
    default: 5,
    description: "seconds one sidecar's tools/list may take",
  },
  {
    flag: 'collect-concurrency',
    env: 'COLLECT_CONCURRENCY',
    type: 'number',
    default: 8,
    description: 'sidecars asked for their tools at the same time',
  },
  {
    flag: 'grace-period',
    env: 'GRACE_PERIOD',
    type: 'number',
    default: 600,
    description: 'seconds a sidecar that stopped answering keeps its last known tools (marked unhealthy)',
  },
  {
    flag: 'watch-lists',
    env: 'WATCH_LISTS',
    type: 'boolean',
    default: true,
    description:
      'hold a session open to each MCP server of its own and collect it again as soon as it announces a list change',
  },
  {
    flag: 'apply',
    env: 'APPLY',
    type: 'boolean',
    default: (v) => v['services-file'] === undefined,
    defaultText: 'true with Kubernetes discovery, false with --services-file',
    description: 'server-side apply the rendered Istio resources (the leader replica only)',
  },
  {
    flag: 'apply-concurrency',
    env: 'APPLY_CONCURRENCY',
    type: 'number',
    default: 8,
    description:
      'requests to the API server in flight at once while applying, within each stage of the safe order ' +
      '(control/apply/README.md)',
  },
  {
    flag: 'dry-run',
    env: 'DRY_RUN',
    type: 'boolean',
    default: false,
    description: 'print the diff of what apply would change instead of changing it',
  },
  {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    type: 'string',
    description: 'kubeconfig file; default: in-cluster service account, else ~/.kube/config',
  },
  {
    flag: 'lease-namespace',
    env: 'POD_NAMESPACE',
    type: 'string',
    default: 'meshmcp-system',
    description: 'namespace of the leader-election Lease',
  },
  {
    flag: 'lease-name',
    env: 'LEASE_NAME',
    type: 'string',
    defaultText: 'meshmcp-control, or meshmcp-control-<shard> with a shard',
    description: 'name of the leader-election Lease (one per shard: the replicas of a shard elect one applier)',
  },
  {
    flag: 'identity',
    env: 'POD_NAME',
    type: 'string',
    description: "this replica's name in the Lease",
    defaultText: 'the host name',
  },
  {
    flag: 'filter-config-dir',
    env: 'FILTER_CONFIG_DIR',
    type: 'string',
    description: 'also write the rendered filter configurations as JSON files here (for host fronts, e.g. meshmcp dev)',
  },
  {
    flag: 'wasm-plugin',
    env: 'WASM_PLUGIN',
    type: 'boolean',
    default: false,
    description: 'render Istio WasmPlugin resources instead of EnvoyFilters (see control/render/README.md)',
  },
  {
    flag: 'allowed-origins',
    env: 'ALLOWED_ORIGINS',
    type: 'string',
    defaultText: 'https://<each gateway host>',
    description:
      'browser origins allowed to call the MCP endpoint (comma-separated; http://localhost:* allows any port of a host); ' +
      'other Origins get 403',
  },
  { flag: 'port', env: 'PORT', type: 'number', default: 8080, description: 'port of the MCP endpoint and probes' },
  {
    flag: 'host',
    env: 'HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'address to bind (0.0.0.0 in a pod; the gateway is its only client)',
  },
  {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    type: 'string',
    default: 'info',
    description: 'trace, debug, info, warn, error or fatal',
  },
];

export interface ControlSettings {
  configFile: string;
  servicesFile?: string;
  allowedNamespaces: string[];
  discoveryIntervalMs: number;
  cacheTtlMs: number;
  collectTimeoutMs: number;
  collectConcurrency: number;
  gracePeriodMs: number;
  watchLists: boolean;
  apply: boolean;
  applyConcurrency: number;
  dryRun: boolean;
  wasmPlugin: boolean;
  filterConfigDir?: string;
  /** undefined: https://<each concrete gateway host>. */
  allowedOrigins?: string[];
  kubeconfig?: string;
  /** name undefined: the default for the render configuration's shard (leaseName). */
  lease: { namespace: string; name?: string; identity: string };
  port: number;
  host: string;
  logLevel: LogLevel;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** The Lease a shard's replicas elect their applier with, unless --lease-name names one: one per shard. */
export const leaseName = (shard: string | undefined): string =>
  shard === undefined ? 'meshmcp-control' : `meshmcp-control-${shard}`;

function positive(values: OptionValues, flag: string, max: number): number {
  const v = values[flag] as number;
  if (!(v > 0 && v <= max)) throw new UsageError(`--${flag} must be between 0 and ${max}, got ${v}`);
  return v;
}

function origins(v: unknown): { allowedOrigins?: string[] } {
  if (typeof v !== 'string') return {};
  const list = commaList(v);
  for (const o of list) {
    let ok = false;
    try {
      const anyPort = o.endsWith(':*');
      const u = new URL(anyPort ? `${o.slice(0, -2)}:1` : o);
      ok =
        (u.protocol === 'https:' || u.protocol === 'http:') &&
        (anyPort ? `${u.protocol}//${u.hostname}:*` : u.origin) === o;
    } catch {}
    if (!ok)
      throw new UsageError(`--allowed-origins: ${JSON.stringify(o)} is not an origin like https://mcp.example.com`);
  }
  return { allowedOrigins: list };
}

/** Checks the parsed values and turns them into settings; every problem names the flag and what it accepts. */
export function resolveControlSettings(values: OptionValues, hostname: string): ControlSettings {
  const configFile = values['config'];
  if (typeof configFile !== 'string' || configFile === '') {
    throw new UsageError('--config (or MESHMCP_CONFIG) is required: the mesh settings and gateway policy file');
  }
  const namespaces = commaList(String(values['allowed-namespaces']));
  const bad = namespaces.find((n) => !DNS_LABEL.test(n));
  if (namespaces.length === 0 || bad !== undefined) {
    throw new UsageError(`--allowed-namespaces must list Kubernetes namespace names, got ${JSON.stringify(bad ?? '')}`);
  }
  const logLevel = String(values['log-level']) as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  const port = values['port'] as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${port}`);
  const concurrency = positive(values, 'collect-concurrency', 256);
  const applyConcurrency = values['apply-concurrency'] as number;
  if (!Number.isInteger(applyConcurrency) || applyConcurrency < 1 || applyConcurrency > 64) {
    throw new UsageError(`--apply-concurrency must be a whole number from 1 to 64, got ${applyConcurrency}`);
  }
  return {
    configFile,
    servicesFile: values['services-file'] as string | undefined,
    allowedNamespaces: namespaces,
    discoveryIntervalMs: positive(values, 'discovery-interval', 86400) * 1000,
    cacheTtlMs: positive(values, 'cache-ttl', 86400) * 1000,
    collectTimeoutMs: positive(values, 'collect-timeout', 300) * 1000,
    collectConcurrency: Math.floor(concurrency),
    gracePeriodMs: positive(values, 'grace-period', 86400) * 1000,
    watchLists: values['watch-lists'] !== false,
    apply: values['apply'] === true,
    applyConcurrency,
    dryRun: values['dry-run'] === true,
    wasmPlugin: values['wasm-plugin'] === true,
    ...(typeof values['filter-config-dir'] === 'string' ? { filterConfigDir: values['filter-config-dir'] } : {}),
    ...origins(values['allowed-origins']),
    kubeconfig: values['kubeconfig'] as string | undefined,
    lease: {
      namespace: String(values['lease-namespace']),
      ...(typeof values['lease-name'] === 'string' ? { name: values['lease-name'] } : {}),
      identity: (values['identity'] as string | undefined) ?? hostname,
    },
    port,
    host: String(values['host']),
    logLevel,
  };
}
