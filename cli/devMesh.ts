// What the local mesh is made of, as pure functions: its ports, the control service's services file and mesh/policy
// file (a dev API key policy with an admin and a read-only group), and the client configurations it prints.
import { createHash } from 'node:crypto';
import { clientConfigText } from './clientConfigs.js';

export const DEV_SERVICES = ['payment-service', 'user-service', 'mqtt-publisher'] as const;
/** The prometheus pack's service name in the local mesh (it runs when Prometheus does). */
export const PACK_SERVICE = 'prometheus';
/** The logs pack's service name in the local mesh: it reads every demo app's log directory and traces request ids. */
export const LOGS_SERVICE = 'logs';
/** The kubernetes pack's service name in the local mesh (it runs with --kubeconfig). */
export const KUBE_SERVICE = 'kubernetes';
/** The logs pack's principal at the gateway: its delegate key acts for the caller, within its own rights. */
export const LOGS_PACK_PRINCIPAL = 'dev-logs-pack';
/**
 * Logs the read-only group may not read (payment-service's could hold card data): the policy a caller brings to
 * logs__trace_request, which then never asks that service for them.
 */
export const READONLY_DENIED_LOGS = ['payment-service__get_logs'];
/**
 * server-everything's tools the read-only group may not call: one prints the server's environment, one fetches any
 * URL it is given. Held on /mcp and on /mcp/everything alike.
 */
export const READONLY_DENIED_UPSTREAM = ['everything__get-env', 'everything__gzip-file-as-resource'];
/**
 * MCP servers of their own in the local mesh, fronted with no meshmcp sidecar (README "Bring your own MCP server"):
 * the published server-everything (2025-11-25, sessions) and the conformance suite's test server (both revisions).
 */
export const UPSTREAM_SERVERS = [
  { name: 'everything', path: '/mcp', protocols: ['2025-11-25'], bridge: false },
  { name: 'conformance', path: '/mcp', protocols: ['2025-11-25', '2026-07-28'], bridge: false },
  // The conformance server speaking 2025-11-25 only, behind a meshmcp sidecar in bridge mode (DevPorts.bridge): a
  // 2026-07-28 client gets its requests for input as input_required.
  { name: 'bridged', path: '/mcp', protocols: ['2025-11-25'], bridge: true },
] as const;
export const DEV_NAMESPACE = 'dev';
export const TRUST_DOMAIN = 'cluster.local';
export const GATEWAY_SPIFFE = `spiffe://${TRUST_DOMAIN}/ns/istio-system/sa/meshmcp-ingressgateway-service-account`;
export const podSpiffe = (service: string): string => `spiffe://${TRUST_DOMAIN}/ns/${DEV_NAMESPACE}/sa/${service}`;

/** The tool packs' ports, each with its pod proxy's. */
interface PackPorts {
  /** the prometheus pack's MCP port and its pod proxy's (used when Prometheus runs) */
  pack: number;
  packProxy: number;
  /** the logs pack's MCP port and its pod proxy's */
  logsPack: number;
  logsPackProxy: number;
  /** the kubernetes pack's MCP port and its pod proxy's (used with --kubeconfig) */
  kubePack: number;
  kubePackProxy: number;
}

export interface DevPorts extends PackPorts {
  gateway: number;
  gatewayAdmin: number;
  control: number;
  app: (i: number) => number;
  sidecar: (i: number) => number;
  front: (i: number) => number;
  prometheus: number;
  /** each of UPSTREAM_SERVERS' own MCP port and its pod proxy's */
  upstream: (i: number) => number;
  upstreamProxy: (i: number) => number;
  /** the bridge sidecar in front of the one of UPSTREAM_SERVERS with `bridge` */
  bridge: number;
}

type DevService = (typeof DEV_SERVICES)[number];

/** Where each part of a local mesh listens when all of it takes one run of ports (devPortRun). */
export interface DevPortRun extends PackPorts {
  gateway: number;
  admin: number;
  control: number;
  prometheus: number;
  app: Record<DevService, number>;
  sidecar: Record<DevService, number>;
  proxy: Record<DevService, number>;
  /** the first of UPSTREAM_SERVERS' own ports and the first of their pod proxies' (one each, in that order) */
  upstream: number;
  upstreamProxy: number;
  /** the bridge sidecar in front of the one of UPSTREAM_SERVERS with `bridge` */
  bridge: number;
}

/** How many ports a local mesh takes on one run: every part's, each once (tests and benchmarks). */
export const DEV_PORT_RUN_LENGTH = 11 + 3 * DEV_SERVICES.length + 2 * UPSTREAM_SERVERS.length;

/** Every part of a local mesh on base .. base + DEV_PORT_RUN_LENGTH - 1, no port twice. */
export function devPortRun(base: number): DevPortRun {
  const n = DEV_SERVICES.length;
  const u = UPSTREAM_SERVERS.length;
  const per = (first: number) =>
    Object.fromEntries(DEV_SERVICES.map((s, i) => [s, first + i])) as Record<DevService, number>;
  const after = base + 4 + 3 * n;
  return {
    gateway: base,
    admin: base + 1,
    control: base + 2,
    prometheus: base + 3,
    app: per(base + 4),
    sidecar: per(base + 4 + n),
    proxy: per(base + 4 + 2 * n),
    pack: after,
    packProxy: after + 1,
    logsPack: after + 2,
    logsPackProxy: after + 3,
    kubePack: after + 4,
    kubePackProxy: after + 5,
    upstream: after + 6,
    upstreamProxy: after + 6 + u,
    bridge: after + 6 + 2 * u,
  };
}

/** The `meshmcp dev` flags that put its parts where devPortRun says (every port flag it has). */
export function devPortRunFlags(p: DevPortRun): string[] {
  const first = DEV_SERVICES[0];
  return [
    ...['--port', String(p.gateway), '--admin-port', String(p.admin), '--control-port', String(p.control)],
    ...['--prometheus-port', String(p.prometheus)],
    ...['--app-base-port', String(p.app[first]), '--sidecar-base-port', String(p.sidecar[first])],
    ...['--proxy-base-port', String(p.proxy[first])],
    ...['--pack-port', String(p.pack), '--pack-proxy-port', String(p.packProxy)],
    ...['--logs-pack-port', String(p.logsPack), '--logs-pack-proxy-port', String(p.logsPackProxy)],
    ...['--kube-pack-port', String(p.kubePack), '--kube-pack-proxy-port', String(p.kubePackProxy)],
    ...['--upstream-base-port', String(p.upstream), '--upstream-proxy-base-port', String(p.upstreamProxy)],
    ...['--bridge-port', String(p.bridge)],
  ];
}

export interface DevKeys {
  admin: string;
  readonly: string;
  /** the logs pack's delegate key (in a file only it reads; never printed) */
  logsPack: string;
}

/** Every port the mesh listens on, for the check before anything starts. */
export function allPorts(p: DevPorts, withPrometheus: boolean, withKube = false): Array<[string, number]> {
  const out: Array<[string, number]> = [
    ['gateway', p.gateway],
    ['gateway admin', p.gatewayAdmin],
    ['control service', p.control],
  ];
  DEV_SERVICES.forEach((s, i) => {
    out.push([`${s} app`, p.app(i)], [`${s} sidecar`, p.sidecar(i)], [`${s} pod proxy`, p.front(i)]);
  });
  out.push(['logs pack', p.logsPack], ['logs pack pod proxy', p.logsPackProxy]);
  UPSTREAM_SERVERS.forEach((u, i) => {
    out.push([`${u.name} MCP server`, p.upstream(i)], [`${u.name} pod proxy`, p.upstreamProxy(i)]);
    if (u.bridge) out.push([`${u.name} bridge sidecar`, p.bridge]);
  });
  if (withPrometheus) {
    out.push(['prometheus', p.prometheus], ['prometheus pack', p.pack], ['prometheus pack pod proxy', p.packProxy]);
  }
  if (withKube) out.push(['kubernetes pack', p.kubePack], ['kubernetes pack pod proxy', p.kubePackProxy]);
  return out;
}

/** The port of a server of its own's pod that MCP reaches: its bridge sidecar's, or the server's own. */
export const upstreamMcpPort = (p: DevPorts, i: number): number =>
  UPSTREAM_SERVERS[i]?.bridge ? p.bridge : p.upstream(i);

/** The control service's services file: the gateway routes to each pod's proxy; the catalog collects from the sidecar. */
export function servicesYaml(p: DevPorts, withPack = false, withKube = false): string {
  const row = (s: string, front: number, mcp: number) =>
    `  - name: ${s}\n    namespace: ${DEV_NAMESPACE}\n    host: 127.0.0.1\n    port: ${front}\n` +
    `    url: http://127.0.0.1:${mcp}/mcp\n    selector: { app: ${s} }\n`;
  const rows = DEV_SERVICES.map((s, i) => row(s, p.front(i), p.sidecar(i)));
  rows.push(row(LOGS_SERVICE, p.logsPackProxy, p.logsPack));
  if (withPack) rows.push(row(PACK_SERVICE, p.packProxy, p.pack));
  if (withKube) rows.push(row(KUBE_SERVICE, p.kubePackProxy, p.kubePack));
  UPSTREAM_SERVERS.forEach((u, i) => {
    rows.push(
      `  - name: ${u.name}\n    namespace: ${DEV_NAMESPACE}\n    host: 127.0.0.1\n    port: ${p.upstreamProxy(i)}\n` +
        `    url: http://127.0.0.1:${upstreamMcpPort(p, i)}${u.path}\n    selector: { app: ${u.name} }\n` +
        `    upstream: { path: ${u.path}, protocols: [${u.protocols.join(', ')}]${u.bridge ? ', bridge: true' : ''} }\n`,
    );
  });
  return `# Written by meshmcp dev.\nservices:\n${rows.join('')}`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The mesh and policy file: API keys (x-api-key, or Authorization: Bearer) for an admin and a read-only caller; the
 * read-only group may call every tool but those that write (writeTools, full names) and payment-service's logs. The
 * logs pack's delegate key may list tools and read logs, only ever for the caller it names (filter/README.md).
 */
export function meshYaml(p: DevPorts, keys: DevKeys, writeTools: string[], ratePerSecond = 50): string {
  const base = `http://127.0.0.1:${p.gateway}`;
  const denied = writeTools.length > 0 ? writeTools.map((t) => JSON.stringify(t)).join(', ') : '"-none-"';
  const deniedLogs = READONLY_DENIED_LOGS.map((t) => JSON.stringify(t)).join(', ');
  const deniedUpstream = READONLY_DENIED_UPSTREAM.map((t) => JSON.stringify(t)).join(', ');
  return `# Written by meshmcp dev: the local mesh's settings and policy (format: control/render/README.md).
trustDomain: ${TRUST_DOMAIN}
gateway:
  hosts: [127.0.0.1, localhost]
identity:
  - apiKey:
      header: x-api-key
      bearer: true
      keys:
        - { sha256: ${sha256(keys.admin)}, principal: dev-admin, groups: [mcp-admin] }
        - { sha256: ${sha256(keys.readonly)}, principal: dev-readonly, groups: [mcp-readonly] }
        - { sha256: ${sha256(keys.logsPack)}, principal: ${LOGS_PACK_PRINCIPAL}, groups: [mcp-logs-pack], delegate: true }
policy:
  default: deny
  rules:
    - { name: admin, effect: allow, groups: [mcp-admin] }
    - { name: readonly-no-writes, effect: deny, groups: [mcp-readonly], tools: [${denied}] }
    - { name: readonly-no-payment-logs, effect: deny, groups: [mcp-readonly], tools: [${deniedLogs}] }
    - { name: readonly-no-env-or-fetch, effect: deny, groups: [mcp-readonly], tools: [${deniedUpstream}] }
    - { name: readonly, effect: allow, groups: [mcp-readonly] }
    - { name: logs-pack-catalog, effect: allow, groups: [mcp-logs-pack], methods: [initialize, ping, tools/list, server/discover] }
    - { name: logs-pack, effect: allow, groups: [mcp-logs-pack], tools: ["*__get_logs"] }
rateLimits:
  perPrincipal: { capacity: ${Math.min(1_000_000, Math.max(1, Math.round(ratePerSecond * 4)))}, refillPerSecond: ${ratePerSecond} }
  perTool:
    - { tool: "*__retry_failed_payment", capacity: 5, refillPerSecond: 0.1 }   # writes: 5 at once, then 6 a minute
audit: { params: hash, logLevel: info, onBehalfOfHeader: x-chat-user }
protectedResourceMetadata: ${base}/.well-known/oauth-protected-resource
oauth: { resource: ${base}/mcp, resourceName: meshmcp local mesh }
`;
}

/** What `meshmcp dev` prints once the mesh is up: the endpoint, the keys, and client configurations to paste. */
export function banner(
  p: DevPorts,
  keys: DevKeys,
  workDir: string,
  prometheusUrl: string | undefined,
  kube?: { server: string; namespaces: string },
): string {
  const url = `http://127.0.0.1:${p.gateway}/mcp`;
  return `
local mesh is up: ${DEV_SERVICES.length} services, each app with its MCP sidecar behind its pod proxy (mTLS),
the control service and the gateway.

  MCP endpoint   ${url}
  admin key      ${keys.admin}   (group mcp-admin: every tool)
  read-only key  ${keys.readonly}   (group mcp-readonly: no tools that write, no payment-service logs, not everything's get-env or gzip-file-as-resource)
  send it as     Authorization: Bearer <key>   or   x-api-key: <key>
  logs pack      the service ${LOGS_SERVICE}: ${LOGS_SERVICE}__search and ${LOGS_SERVICE}__top_errors over every demo app's logs, ${LOGS_SERVICE}__trace_request <id>
                 across the mesh with your own rights (its delegate key is in ${workDir}/logs-pack.key)
  prometheus     ${prometheusUrl ? `${prometheusUrl}, and its tool pack as the service ${PACK_SERVICE} (${PACK_SERVICE}__query, …)` : 'not running (install the Debian package prometheus for the prometheus tools and pack)'}
  MCP servers    ${UPSTREAM_SERVERS.map((u) => u.name).join(', ')}: MCP servers of their own (no meshmcp sidecar; bridged behind one in bridge
                 mode), in the catalog as <name>__<tool> and each on its own endpoint, under its own names:
                 ${UPSTREAM_SERVERS.map((u) => `${url}/${u.name}`).join(', ')}
  kubernetes     ${kube ? `the service ${KUBE_SERVICE} (${KUBE_SERVICE}__get, …) reads ${kube.server} in ${kube.namespaces}` : 'not running (give a cluster with --kubeconfig for the kubernetes pack)'}
  files, logs    ${workDir}

${clientConfigText({ name: 'meshmcp', url, key: keys.admin })}
or let meshmcp write it: npx meshmcp connect --url ${url} --key <key> --client claude-desktop --install

Try it:
  npx meshmcp list --url ${url} --header "Authorization: Bearer ${keys.admin}"
  npx meshmcp call payment-service__get_health --url ${url} --header "Authorization: Bearer ${keys.admin}"
  npx meshmcp call payment-service__check_transaction_status id=tx_12345 --url ${url} --header "x-api-key: ${keys.readonly}"
  npx meshmcp call ${LOGS_SERVICE}__trace_request request_id=<an x-request-id> --url ${url} --header "x-api-key: ${keys.admin}"

Chat commands, as a bot would answer them (meshmcp chatops serves them to Zulip and Slack):
  mcp list   ·   mcp payment-service get_health${prometheusUrl ? `   ·   mcp ${PACK_SERVICE} query up` : ''}

Ctrl-C stops everything.
`;
}
