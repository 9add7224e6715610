// The sidecar's settings: flags, the documented environment names, defaults, and --help, resolved once at start.

import { existsSync, readFileSync } from 'node:fs';
import { commaList, type OptionSpec, type OptionValues, parseOptions, UsageError } from '../shared/options.js';
import type { BridgeSettings, KubernetesSettings, SidecarSettings } from './types.js';

/** The tool packs `--pack` can serve. */
export const PACKS = ['kubernetes', 'prometheus', 'logs'];

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const SA_CA = `${SA_DIR}/ca.crt`;

export const SIDECAR_OPTIONS: OptionSpec[] = [
  { flag: 'port', env: 'MCP_PORT', type: 'number', default: 3000, description: 'port of the MCP endpoint (/mcp)' },
  {
    flag: 'host',
    env: 'MCP_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'address to bind; the Istio injection template sets 0.0.0.0 so istio-proxy can reach it',
  },
  { flag: 'service-name', env: 'SERVICE_NAME', type: 'string', description: 'name of the service this sidecar serves' },
  {
    flag: 'service-port',
    env: 'SERVICE_PORT',
    type: 'number',
    default: 8080,
    description: 'port of the app container on localhost',
  },
  {
    flag: 'app-url',
    env: 'APP_URL',
    type: 'string',
    default: (v) => `http://localhost:${v['service-port'] ?? 8080}`,
    defaultText: 'http://localhost:$SERVICE_PORT',
    description: 'base URL of the app',
  },
  {
    flag: 'envoy-admin-url',
    env: 'ENVOY_ADMIN_URL',
    type: 'string',
    default: 'http://localhost:15000',
    description: 'Envoy admin API of the pod (read-only endpoints only)',
  },
  { flag: 'prometheus-url', env: 'PROMETHEUS_URL', type: 'string', description: 'Prometheus for prometheus tools' },
  {
    flag: 'pack',
    env: 'MCP_PACK',
    type: 'string',
    description:
      'serve a tool pack instead of the generic tools: kubernetes (in a pod, or --kube-api-url), prometheus (needs --prometheus-url) or logs (LOG_DIR)',
  },
  {
    flag: 'kube-api-url',
    env: 'KUBERNETES_API_URL',
    type: 'string',
    defaultText: 'https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (in a pod)',
    description: 'kubernetes pack: the API server',
  },
  {
    flag: 'kube-token-file',
    env: 'KUBERNETES_TOKEN_FILE',
    type: 'string',
    default: `${SA_DIR}/token`,
    description: 'kubernetes pack: the ServiceAccount token (re-read as it rotates)',
  },
  {
    flag: 'kube-ca-file',
    env: 'KUBERNETES_CA_FILE',
    type: 'string',
    default: SA_CA,
    description: "kubernetes pack: the CA of the API server's certificate",
  },
  {
    flag: 'namespaces',
    env: 'MCP_NAMESPACES',
    type: 'string',
    defaultText: "the pod's own namespace",
    description: 'kubernetes pack: comma-separated namespaces it may read, or * for all',
  },
  {
    flag: 'tools-config',
    env: 'TOOLS_CONFIG',
    type: 'string',
    default: '/etc/mcp/tools.yaml',
    description: 'service-specific tools (optional; reloaded on change)',
  },
  { flag: 'log-dir', env: 'LOG_DIR', type: 'string', default: '/var/log/app', description: 'app log directory' },
  { flag: 'health-path', env: 'HEALTH_PATH', type: 'string', default: '/health', description: 'app health path' },
  { flag: 'metrics-path', env: 'METRICS_PATH', type: 'string', default: '/metrics', description: 'app metrics path' },
  {
    flag: 'endpoints',
    env: 'CHECK_ENDPOINTS',
    type: 'string',
    defaultText: 'the health and metrics paths',
    description: 'comma-separated app paths check_endpoints probes',
  },
  {
    flag: 'allowed-hosts',
    env: 'MCP_ALLOWED_HOSTS',
    type: 'string',
    description: 'comma-separated Host values accepted on /mcp (checked when set, always when bound to loopback)',
  },
  {
    flag: 'allowed-origins',
    env: 'MCP_ALLOWED_ORIGINS',
    type: 'string',
    description: 'comma-separated browser Origins accepted on /mcp (none but localhost on loopback by default)',
  },
  {
    flag: 'max-body-bytes',
    env: 'MCP_MAX_BODY_BYTES',
    type: 'number',
    default: 262144,
    description: 'largest accepted MCP request body',
  },
  {
    flag: 'tool-timeout-ms',
    env: 'MCP_TOOL_TIMEOUT_MS',
    type: 'number',
    default: 10000,
    description: 'default time limit of one tool call',
  },
  {
    flag: 'gateway-url',
    env: 'MESHMCP_GATEWAY_URL',
    type: 'string',
    description:
      "the meshmcp gateway's MCP endpoint (https://mcp.example.com/mcp), for the logs pack's trace_request, which " +
      'calls every service’s get_logs through it for its caller; the only host it reaches',
  },
  {
    flag: 'gateway-key-file',
    env: 'MESHMCP_GATEWAY_KEY_FILE',
    type: 'string',
    description:
      'a file holding the delegate API key trace_request presents to the gateway (a key marked delegate: true); ' +
      'else the key itself in MESHMCP_GATEWAY_KEY (no flag: a key on the command line shows in ps)',
  },
  {
    flag: 'gateway-key-header',
    env: 'MESHMCP_GATEWAY_KEY_HEADER',
    type: 'string',
    default: 'authorization',
    description:
      "the header that carries that key: authorization sends Authorization: Bearer <key> (the gateway's apiKey " +
      "source needs bearer: true), any other name sends the key as its value (the source's header, e.g. x-api-key)",
  },
  {
    flag: 'bridge',
    env: 'MCP_BRIDGE_UPSTREAM',
    type: 'string',
    description:
      'bridge mode: /mcp fronts the MCP server at this loopback http URL in the pod (http://127.0.0.1:3001/mcp) ' +
      'instead of serving tools, and relays its requests for input (elicitation, sampling, roots) between the ' +
      'client and the server when their revisions differ',
  },
  {
    flag: 'bridge-protocols',
    env: 'MCP_BRIDGE_PROTOCOLS',
    type: 'string',
    description: 'bridge mode: the revisions the server speaks, comma-separated: 2025-11-25, 2026-07-28 (required)',
  },
  {
    flag: 'bridge-max-held',
    env: 'MCP_BRIDGE_MAX_HELD',
    type: 'number',
    default: 256,
    description: 'bridge mode: exchanges in flight or held at once; more are refused (503)',
  },
  {
    flag: 'bridge-hold-ms',
    env: 'MCP_BRIDGE_HOLD_MS',
    type: 'number',
    default: 300_000,
    description: 'bridge mode: the longest one exchange is held, from its first request; then it is ended',
  },
  {
    flag: 'bridge-timeout-ms',
    env: 'MCP_BRIDGE_TIMEOUT_MS',
    type: 'number',
    default: 60_000,
    description: 'bridge mode: how long the server has to start an answer, and between two messages a client waits for',
  },
  { flag: 'log-level', env: 'LOG_LEVEL', type: 'string', default: 'info', description: 'debug, info, warn or error' },
];

/** The revisions `--bridge-protocols` may name. */
export const BRIDGE_PROTOCOLS = ['2025-11-25', '2026-07-28'];

/** Resolves settings from argv and environment; throws UsageError naming the setting and the fix. */
export function resolveSettings(argv: string[], env: NodeJS.ProcessEnv = process.env): SidecarSettings | 'help' {
  const { values, help } = parseOptions(SIDECAR_OPTIONS, argv, env);
  return help ? 'help' : settingsFromOptions(values, env);
}

/** The settings from parsed SIDECAR_OPTIONS; throws UsageError naming the setting and the fix. */
export function settingsFromOptions(v: OptionValues, env: NodeJS.ProcessEnv = process.env): SidecarSettings {
  const pack = v['pack'] === undefined ? undefined : String(v['pack']);
  if (pack !== undefined && !PACKS.includes(pack)) {
    throw new UsageError(`--pack ${pack} is not a pack of this build: ${PACKS.join(', ')}`);
  }
  const kubernetes = pack === 'kubernetes' ? kubernetesSettings(v, env) : undefined;
  const bridge = bridgeSettings(v);
  if (bridge && pack !== undefined) {
    throw new UsageError(`--bridge and --pack ${pack} do not go together: bridge mode serves the MCP server it fronts`);
  }
  if (pack === 'prometheus' && v['prometheus-url'] === undefined) {
    throw new UsageError('the prometheus pack needs a Prometheus: pass --prometheus-url or set PROMETHEUS_URL');
  }
  const serviceName = v['service-name'] ?? pack;
  if (typeof serviceName !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(serviceName)) {
    throw new UsageError(
      serviceName === undefined
        ? 'the service name is not set: pass --service-name or set SERVICE_NAME (the Kubernetes service name, e.g. payment-service)'
        : `service name ${JSON.stringify(serviceName)} is not a Kubernetes name (lowercase letters, digits and '-', at most 63)`,
    );
  }
  const port = v['port'] as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${port} is not a TCP port`);
  for (const f of ['app-url', 'envoy-admin-url', 'prometheus-url', 'gateway-url', 'kube-api-url'] as const) {
    const u = v[f];
    if (u === undefined) continue;
    try {
      const parsed = new URL(String(u));
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new UsageError(`--${f} ${JSON.stringify(u)} is not an http(s) URL`);
    }
  }
  const keyHeader = String(v['gateway-key-header']).toLowerCase();
  if (!/^[a-z0-9-]{1,64}$/.test(keyHeader) || keyHeader.startsWith('x-meshmcp-') || keyHeader.startsWith('x-caller-')) {
    throw new UsageError(
      `--gateway-key-header ${JSON.stringify(keyHeader)} is not a header name for a key (letters, digits and '-'; not x-meshmcp-* or x-caller-*)`,
    );
  }
  const level = String(v['log-level']);
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    throw new UsageError(`--log-level ${level} is not one of debug, info, warn, error`);
  }
  const healthPath = String(v['health-path']);
  const metricsPath = String(v['metrics-path']);
  const endpoints = commaList(v['endpoints']);
  return {
    port,
    host: String(v['host']),
    serviceName,
    appUrl: String(v['app-url']).replace(/\/+$/, ''),
    envoyAdminUrl: String(v['envoy-admin-url']).replace(/\/+$/, ''),
    prometheusUrl: v['prometheus-url'] === undefined ? undefined : String(v['prometheus-url']).replace(/\/+$/, ''),
    toolsConfig: String(v['tools-config']),
    logDir: String(v['log-dir']),
    endpoints: endpoints.length ? endpoints : [healthPath, metricsPath],
    healthPath,
    metricsPath,
    allowedHosts: commaList(v['allowed-hosts']),
    allowedOrigins: commaList(v['allowed-origins']),
    maxBodyBytes: v['max-body-bytes'] as number,
    toolTimeoutMs: v['tool-timeout-ms'] as number,
    logLevel: level as SidecarSettings['logLevel'],
    ...(pack ? { pack: pack as NonNullable<SidecarSettings['pack']> } : {}),
    ...(v['gateway-url'] === undefined ? {} : { gatewayUrl: String(v['gateway-url']) }),
    ...(v['gateway-key-file'] === undefined ? {} : { gatewayKeyFile: String(v['gateway-key-file']) }),
    gatewayKeyHeader: keyHeader,
    ...(kubernetes ? { kubernetes } : {}),
    ...(bridge ? { bridge } : {}),
  };
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Bridge mode's settings, when --bridge is set: the URL must name a server in the pod (loopback, plain http). */
function bridgeSettings(v: OptionValues): BridgeSettings | undefined {
  const raw = v['bridge'];
  if (raw === undefined) {
    // The other bridge settings have defaults, so only this one can be given on its own.
    if (v['bridge-protocols'] !== undefined) {
      throw new UsageError('--bridge-protocols is a bridge mode setting: it needs --bridge');
    }
    return undefined;
  }
  const fix = '(the MCP server in this pod, e.g. http://127.0.0.1:3001/mcp)';
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new UsageError(`--bridge ${JSON.stringify(raw)} is not a URL ${fix}`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`--bridge ${JSON.stringify(raw)} is not an http:// URL ${fix}`);
  if (!LOOPBACK_HOST.test(url.hostname)) {
    throw new UsageError(`--bridge ${JSON.stringify(raw)} is not on loopback (localhost, 127.x.x.x or [::1]) ${fix}`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`--bridge ${JSON.stringify(raw)} carries credentials, a query or a fragment ${fix}`);
  }
  const protocols = commaList(v['bridge-protocols']);
  const bad = protocols.filter((p) => !BRIDGE_PROTOCOLS.includes(p));
  if (protocols.length === 0 || bad.length > 0) {
    throw new UsageError(
      `${protocols.length === 0 ? 'bridge mode needs --bridge-protocols' : `--bridge-protocols names ${bad.join(', ')}`}: the revisions the server speaks, comma-separated (${BRIDGE_PROTOCOLS.join(', ')})`,
    );
  }
  const whole = (f: string, min: number) => {
    const n = v[f] as number;
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${f} ${n} is not a whole number of at least ${min}`);
    return n;
  };
  return {
    upstreamUrl: url.href,
    protocols: [...new Set(protocols)],
    maxHeld: whole('bridge-max-held', 1),
    holdMs: whole('bridge-hold-ms', 1),
    timeoutMs: whole('bridge-timeout-ms', 1),
  };
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The kubernetes pack's API server (in a pod: the kubernetes Service), token, CA and namespace allow-list. */
function kubernetesSettings(v: OptionValues, env: NodeJS.ProcessEnv): KubernetesSettings {
  let apiUrl = v['kube-api-url'] === undefined ? undefined : String(v['kube-api-url']);
  if (apiUrl === undefined && env['KUBERNETES_SERVICE_HOST']) {
    const host = env['KUBERNETES_SERVICE_HOST'];
    apiUrl = `https://${host.includes(':') ? `[${host}]` : host}:${env['KUBERNETES_SERVICE_PORT'] ?? '443'}`;
  }
  if (apiUrl === undefined)
    throw new UsageError(
      'the kubernetes pack needs an API server: run it in a pod (KUBERNETES_SERVICE_HOST is set there) or pass --kube-api-url',
    );
  const tokenFile = String(v['kube-token-file']);
  let caFile: string | undefined = String(v['kube-ca-file']);
  if (!existsSync(caFile)) {
    // Outside a pod the default CA is not there: the API server's certificate is then checked against the system's.
    if (caFile !== SA_CA) throw new UsageError(`--kube-ca-file ${caFile} does not exist`);
    caFile = undefined;
  }
  let raw = v['namespaces'] === undefined ? undefined : String(v['namespaces']);
  if (raw === undefined) {
    try {
      raw = readFileSync(`${SA_DIR}/namespace`, 'utf8').trim();
    } catch {
      throw new UsageError(
        "the kubernetes pack needs the namespaces it may read: pass --namespaces (or MCP_NAMESPACES) a,b or * for all; in a pod it defaults to the pod's own",
      );
    }
  }
  const namespaces = commaList(raw);
  const allNamespaces = namespaces.includes('*');
  const bad = namespaces.filter((n) => n !== '*' && !NAMESPACE.test(n));
  if (bad.length || namespaces.length === 0)
    throw new UsageError(
      `--namespaces ${JSON.stringify(raw)} is not a list of namespace names (a,b) or *${bad.length ? `: ${bad.join(', ')}` : ''}`,
    );
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    tokenFile,
    caFile,
    namespaces: allNamespaces ? [] : namespaces,
    allNamespaces,
  };
}
