// The mesh view of one service: the Istio VirtualServices that route to it or for it, the DestinationRules that
// shape its traffic, its ready endpoints, and from those where a request to it goes (matches, weights, subsets,
// timeouts, retries, faults, mirrors, TLS mode).
import { toolResult } from '../../toolSupport.js';
import type { Tool, ToolContext } from '../../types.js';
import { onlyNamespace } from './pods.js';
import { kube, listIn, nameSchema, namespaceSchema, namespacesFor, READ_ONLY, timeout } from './scope.js';
import type { Meta, Service } from './types.js';

const ISTIO = '/apis/networking.istio.io/v1';
/** Kubernetes' default cluster domain; a mesh with another gives FQDNs the pack compares as written. */
const CLUSTER_DOMAIN = 'cluster.local';

interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number };
}
interface HttpRoute {
  name?: string;
  match?: Array<Record<string, unknown>>;
  route?: Array<{ destination?: Destination; weight?: number }>;
  redirect?: Record<string, unknown>;
  timeout?: string;
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string };
  fault?: { delay?: Record<string, unknown>; abort?: Record<string, unknown> };
  mirror?: Destination;
}
interface VirtualService {
  metadata?: Meta;
  spec?: {
    hosts?: string[];
    gateways?: string[];
    http?: HttpRoute[];
    tcp?: Array<{ route?: Array<{ destination?: Destination; weight?: number }> }>;
    tls?: Array<{ route?: Array<{ destination?: Destination; weight?: number }> }>;
    exportTo?: string[];
  };
}
interface TrafficPolicy {
  tls?: { mode?: string };
  loadBalancer?: Record<string, unknown>;
  connectionPool?: Record<string, unknown>;
  outlierDetection?: Record<string, unknown>;
}
interface DestinationRule {
  metadata?: Meta;
  spec?: {
    host?: string;
    trafficPolicy?: TrafficPolicy;
    subsets?: Array<{ name: string; labels?: Record<string, string>; trafficPolicy?: TrafficPolicy }>;
    exportTo?: string[];
  };
}
interface EndpointSlice {
  endpoints?: Array<{ conditions?: { ready?: boolean } }>;
}

/** A host as Istio resolves it from a resource in `namespace`: short names are services of that namespace. */
export function fqdn(host: string, namespace: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === '*' || h.startsWith('*.')) return h;
  const parts = h.split('.');
  if (parts.length === 1) return `${h}.${namespace}.svc.${CLUSTER_DOMAIN}`;
  if (parts.length === 2) return `${h}.svc.${CLUSTER_DOMAIN}`;
  if (parts.length === 3 && parts[2] === 'svc') return `${h}.${CLUSTER_DOMAIN}`;
  return h;
}

/** Whether a (possibly wildcard) host names the service's FQDN. */
export function hostMatches(host: string, namespace: string, service: string): boolean {
  const h = fqdn(host, namespace);
  if (h === '*') return true;
  if (h.startsWith('*.')) return service.endsWith(h.slice(1));
  return h === service;
}

const dest = (d: Destination | undefined, ns: string) =>
  d ? `${fqdn(d.host, ns)}${d.subset ? ` subset ${d.subset}` : ''}${d.port?.number ? `:${d.port.number}` : ''}` : '?';

function matchText(m: Array<Record<string, unknown>> | undefined): string {
  if (!m?.length) return 'every request';
  return m
    .map((one) =>
      Object.entries(one)
        .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
        .join(' and '),
    )
    .join(' or ');
}

function routeLines(r: HttpRoute, ns: string): string[] {
  const to = r.redirect
    ? `redirect ${JSON.stringify(r.redirect)}`
    : (r.route ?? [])
        .map((x) => `${dest(x.destination, ns)}${x.weight !== undefined ? ` (${x.weight}%)` : ''}`)
        .join(', ');
  const extras = [
    r.timeout ? `timeout ${r.timeout}` : '',
    r.retries
      ? `retries ${r.retries.attempts ?? '?'}×${r.retries.perTryTimeout ?? ''}${r.retries.retryOn ? ` on ${r.retries.retryOn}` : ''}`
      : '',
    r.fault?.delay ? `fault delay ${JSON.stringify(r.fault.delay)}` : '',
    r.fault?.abort ? `fault abort ${JSON.stringify(r.fault.abort)}` : '',
    r.mirror ? `mirror to ${dest(r.mirror, ns)}` : '',
  ].filter(Boolean);
  return [
    `    ${r.name ? `[${r.name}] ` : ''}${matchText(r.match)} → ${to || 'nowhere'}${extras.length ? `; ${extras.join(', ')}` : ''}`,
  ];
}

function policyText(p: TrafficPolicy | undefined): string {
  if (!p) return '';
  return [
    p.tls?.mode ? `tls ${p.tls.mode}` : '',
    p.loadBalancer ? `loadBalancer ${JSON.stringify(p.loadBalancer)}` : '',
    p.connectionPool ? `connectionPool ${JSON.stringify(p.connectionPool)}` : '',
    p.outlierDetection ? `outlierDetection ${JSON.stringify(p.outlierDetection)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

async function meshRoutes(ctx: ToolContext, name: string, namespace: string) {
  const service = `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
  const api = kube(ctx);
  const scope = namespacesFor(ctx, undefined);
  const [svc, slices, vsList, drList] = await Promise.all([
    api
      .json<Service>(`/api/v1/namespaces/${namespace}/services/${name}`, {
        timeoutMs: timeout(ctx),
        signal: ctx.signal,
        what: `service ${name} in ${namespace}`,
      })
      .catch((err: Error) => err),
    listIn<EndpointSlice>(ctx, '/apis/discovery.k8s.io/v1', 'endpointslices', [namespace], {
      labelSelector: `kubernetes.io/service-name=${name}`,
    }),
    listIn<VirtualService>(ctx, ISTIO, 'virtualservices', scope),
    listIn<DestinationRule>(ctx, ISTIO, 'destinationrules', scope),
  ]);
  const ns = (o: { metadata?: Meta }) => o.metadata?.namespace ?? '';
  const routesTo = (vs: VirtualService) =>
    [
      ...(vs.spec?.http ?? []).flatMap((r) => [...(r.route ?? []).map((x) => x.destination), r.mirror]),
      ...[...(vs.spec?.tcp ?? []), ...(vs.spec?.tls ?? [])].flatMap((r) => (r.route ?? []).map((x) => x.destination)),
    ]
      .filter((d): d is Destination => d !== undefined)
      .some((d) => hostMatches(d.host, ns(vs), service));
  const forIt = vsList.items.filter((vs) => (vs.spec?.hosts ?? []).some((h) => hostMatches(h, ns(vs), service)));
  const toIt = vsList.items.filter((vs) => !forIt.includes(vs) && routesTo(vs));
  const rules = drList.items.filter((dr) => dr.spec?.host !== undefined && hostMatches(dr.spec.host, ns(dr), service));

  const endpoints = slices.items.flatMap((s) => s.endpoints ?? []);
  const ready = endpoints.filter((e) => e.conditions?.ready !== false).length;
  const lines: string[] = [];
  if (svc instanceof Error) lines.push(`service ${service}: ${svc.message}`);
  else {
    const ports = (svc.spec?.ports ?? []).map(
      (p) => `${p.name ? `${p.name} ` : ''}${p.port}→${p.targetPort ?? p.port}`,
    );
    lines.push(
      `service ${service}: ${svc.spec?.type ?? 'ClusterIP'} ${svc.spec?.clusterIP ?? ''}, ports ${ports.join(', ') || 'none'}, ${ready} of ${endpoints.length} endpoints ready`,
    );
  }
  lines.push(`VirtualServices for ${name} (${forIt.length}):`);
  for (const vs of forIt) {
    lines.push(
      `  ${ns(vs)}/${vs.metadata?.name}: hosts ${(vs.spec?.hosts ?? []).join(', ')}${vs.spec?.gateways?.length ? `; gateways ${vs.spec.gateways.join(', ')}` : '; mesh traffic'}`,
    );
    for (const r of vs.spec?.http ?? []) lines.push(...routeLines(r, ns(vs)));
  }
  if (!forIt.length) lines.push('  (none: requests to it go straight to its endpoints, round robin)');
  lines.push(`VirtualServices that send traffic to ${name} (${toIt.length}):`);
  for (const vs of toIt) {
    lines.push(
      `  ${ns(vs)}/${vs.metadata?.name}: hosts ${(vs.spec?.hosts ?? []).join(', ')}${vs.spec?.gateways?.length ? `; gateways ${vs.spec.gateways.join(', ')}` : ''}`,
    );
    for (const r of (vs.spec?.http ?? []).filter((r) =>
      [...(r.route ?? []).map((x) => x.destination), r.mirror].some((d) => d && hostMatches(d.host, ns(vs), service)),
    ))
      lines.push(...routeLines(r, ns(vs)));
  }
  if (!toIt.length) lines.push('  (none)');
  lines.push(`DestinationRules for ${name} (${rules.length}):`);
  for (const dr of rules) {
    const pol = policyText(dr.spec?.trafficPolicy);
    lines.push(`  ${ns(dr)}/${dr.metadata?.name}: host ${dr.spec?.host}${pol ? `; ${pol}` : ''}`);
    for (const s of dr.spec?.subsets ?? []) {
      const sp = policyText(s.trafficPolicy);
      lines.push(
        `    subset ${s.name}: pods with ${
          Object.entries(s.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(',') || 'any labels'
        }${sp ? `; ${sp}` : ''}`,
      );
    }
  }
  if (!rules.length) lines.push('  (none: Istio’s defaults, ISTIO_MUTUAL inside the mesh, round robin)');
  if (vsList.more || drList.more) lines.push('… the API server has more Istio resources than were read');
  return toolResult(lines.join('\n'), {
    service,
    endpoints: { ready, total: endpoints.length },
    virtual_services: forIt.map((vs) => ({
      namespace: ns(vs),
      name: vs.metadata?.name,
      hosts: vs.spec?.hosts,
      gateways: vs.spec?.gateways ?? [],
      http: vs.spec?.http ?? [],
    })),
    routed_from: toIt.map((vs) => ({ namespace: ns(vs), name: vs.metadata?.name, hosts: vs.spec?.hosts })),
    destination_rules: rules.map((dr) => ({
      namespace: ns(dr),
      name: dr.metadata?.name,
      host: dr.spec?.host,
      traffic_policy: dr.spec?.trafficPolicy ?? null,
      subsets: dr.spec?.subsets ?? [],
    })),
  });
}

export const meshRoutesTool: Tool = {
  name: 'mesh_routes',
  description:
    'The Istio view of one service: the VirtualServices that route requests for it (matches, weights, subsets, ' +
    'timeouts, retries, faults, mirrors) or send traffic to it, its DestinationRules (subsets, TLS mode, load ' +
    'balancing, outlier detection) and its ready endpoints: where a request to the service actually goes.',
  inputSchema: {
    type: 'object',
    properties: { service: nameSchema('the Kubernetes Service name'), namespace: namespaceSchema },
    required: ['service'],
    additionalProperties: false,
  },
  annotations: { title: 'Istio routes of a service', ...READ_ONLY },
  run: (args, ctx) => meshRoutes(ctx, String(args['service']), onlyNamespace(ctx, args['namespace'])),
};
