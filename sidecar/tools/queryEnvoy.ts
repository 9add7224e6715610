// query_envoy: GET-only access to an allow-list of read-only Envoy admin endpoints of this pod's istio-proxy.
import { ToolError } from '../errors.js';
import { redactText } from '../redact.js';
import { capText, formatBytes, requestTimeout, toolResult, upstreamError } from '../toolSupport.js';
import type { Tool } from '../types.js';

/**
 * Endpoint → admin path. Nothing else is ever requested: the mutating endpoints (quitquitquit, logging,
 * reset_counters, healthcheck/fail, drain_listeners, runtime_modify, heap profiler, …) are simply not reachable.
 */
const ENDPOINTS = {
  stats: '/stats',
  clusters: '/clusters',
  config_dump: '/config_dump',
  listeners: '/listeners',
  server_info: '/server_info',
  certs: '/certs',
  ready: '/ready',
} as const;
type Endpoint = keyof typeof ENDPOINTS;

/** config_dump sections Envoy can return alone (the repeated fields of its *ConfigDump messages). */
const RESOURCES = [
  'static_clusters',
  'dynamic_active_clusters',
  'dynamic_warming_clusters',
  'static_listeners',
  'dynamic_listeners',
  'static_route_configs',
  'dynamic_route_configs',
  'static_scoped_route_configs',
  'dynamic_scoped_route_configs',
  'static_endpoint_configs',
  'dynamic_endpoint_configs',
  'static_secrets',
  'dynamic_active_secrets',
  'dynamic_warming_secrets',
];

/** Bytes fetched from Envoy; a full config_dump of a large mesh runs to tens of megabytes. */
const MAX_FETCH_BYTES = 512 * 1024;
/** Characters returned to the model. */
const MAX_OUTPUT_CHARS = 48 * 1024;
const FILTER = /^[\x20-\x7e]{1,256}$/;
const MASK = /^[A-Za-z0-9_.,]{1,256}$/;

export const queryEnvoy: Tool = {
  name: 'query_envoy',
  title: 'Envoy admin (read-only)',
  description:
    "Reads this pod's Envoy (istio-proxy) admin API, read-only, to diagnose mesh problems: `stats` (counters such " +
    'as upstream_rq_5xx, upstream_cx_connect_fail, retries, circuit breakers; narrow with `filter`, a regex like ' +
    '`cluster\\.outbound.*payment.*upstream_rq`), `clusters` (upstream hosts with health flags and per-host ' +
    'stats), `config_dump` (the xDS config Istio pushed; huge, so pick a `resource` such as ' +
    'dynamic_active_clusters or dynamic_route_configs, and optionally a `filter` on resource names and a field ' +
    '`mask`), `listeners`, `server_info` (Envoy version, state, uptime), `certs` (mTLS certificate chains and ' +
    'expiry) and `ready` (LIVE or not). `format` json applies to stats, clusters and listeners. Output is ' +
    'capped; the text says when it was cut and how to narrow it.',
  inputSchema: {
    type: 'object',
    properties: {
      endpoint: {
        type: 'string',
        enum: Object.keys(ENDPOINTS),
        description: 'which admin endpoint to read',
      },
      filter: {
        type: 'string',
        maxLength: 256,
        description: 'stats: regex on stat names; config_dump: regex on resource names (name_regex)',
      },
      format: {
        type: 'string',
        enum: ['text', 'json'],
        default: 'text',
        description: 'stats, clusters, listeners: text (default) or json',
      },
      used_only: { type: 'boolean', description: 'stats: only stats that have been written to' },
      resource: {
        type: 'string',
        enum: RESOURCES,
        description: 'config_dump: return only this section (strongly recommended)',
      },
      mask: {
        type: 'string',
        maxLength: 256,
        pattern: '^[A-Za-z0-9_.,]+$',
        description: 'config_dump: comma-separated field mask, e.g. name,cluster.name',
      },
    },
    required: ['endpoint'],
    additionalProperties: false,
  },
  annotations: { title: 'Envoy admin (read-only)', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const endpoint = args['endpoint'];
    // Re-checked here as well as by the schema: this allow-list is the tool's whole safety argument.
    if (typeof endpoint !== 'string' || !Object.hasOwn(ENDPOINTS, endpoint)) {
      throw new ToolError(`endpoint must be one of ${Object.keys(ENDPOINTS).join(', ')}`);
    }
    const pathAndQuery = buildPath(endpoint as Endpoint, args);
    const url = ctx.settings.envoyAdminUrl + pathAndQuery;
    let res: Awaited<ReturnType<typeof ctx.http.request>>;
    try {
      res = await ctx.http.request(url, {
        method: 'GET',
        timeoutMs: requestTimeout(ctx, 8000),
        maxBytes: MAX_FETCH_BYTES,
        endpoint: `envoy${ENDPOINTS[endpoint as Endpoint]}`,
        signal: ctx.signal,
      });
    } catch (err) {
      throw upstreamError(
        `the Envoy admin API at ${ctx.settings.envoyAdminUrl} did not answer ${pathAndQuery}`,
        err,
        'Check that the pod has an istio-proxy sidecar (is the namespace labelled for injection?) and that its ' +
          'admin port is reachable on localhost (ENVOY_ADMIN_URL).',
      );
    }
    // /ready answers 503 while Envoy is not live: that is the answer, not a failure.
    if (res.status >= 400 && endpoint !== 'ready') {
      throw new ToolError(
        `Envoy admin answered ${res.status} for ${pathAndQuery}: ${capText(res.body.trim(), 300) || 'empty body'}` +
          (res.status === 400 ? ' (check filter, resource and mask)' : ''),
      );
    }
    const body = redactText(res.body);
    const cut = res.truncated || body.length > MAX_OUTPUT_CHARS;
    const shown = body.length > MAX_OUTPUT_CHARS ? body.slice(0, MAX_OUTPUT_CHARS) : body;
    const notes: string[] = [];
    if (cut) {
      notes.push(
        `output truncated: ${formatBytes(shown.length)} shown of ${res.truncated ? 'more than ' : ''}` +
          `${formatBytes(res.bytes)}; ${narrowingHint(endpoint as Endpoint, args)}`,
      );
    }
    const header = `GET ${pathAndQuery} → ${res.status} (${formatBytes(res.bytes)})`;
    const text = [header, ...notes.map((n) => `note: ${n}`), '', shown].join('\n');
    return toolResult(text, {
      endpoint,
      path: pathAndQuery,
      status: res.status,
      bytes: res.bytes,
      truncated: cut,
      body: shown,
      notes,
    });
  },
};

/** The admin path with the query the arguments call for; each value is checked and URL-encoded. */
function buildPath(endpoint: Endpoint, args: Record<string, unknown>): string {
  const q = new URLSearchParams();
  const filter = typeof args['filter'] === 'string' && args['filter'] !== '' ? args['filter'] : undefined;
  if (filter !== undefined && !FILTER.test(filter)) {
    throw new ToolError('filter must be 1 to 256 printable ASCII characters');
  }
  const format = args['format'] === 'json' ? 'json' : 'text';
  switch (endpoint) {
    case 'stats':
      if (filter) q.set('filter', filter);
      if (args['used_only'] === true) q.set('usedonly', '');
      if (format === 'json') q.set('format', 'json');
      break;
    case 'clusters':
    case 'listeners':
      if (format === 'json') q.set('format', 'json');
      break;
    case 'config_dump': {
      const resource = args['resource'];
      if (resource !== undefined) {
        if (typeof resource !== 'string' || !RESOURCES.includes(resource)) {
          throw new ToolError(`resource must be one of ${RESOURCES.join(', ')}`);
        }
        q.set('resource', resource);
      }
      const mask = args['mask'];
      if (mask !== undefined && mask !== '') {
        if (typeof mask !== 'string' || !MASK.test(mask)) {
          throw new ToolError('mask must be comma-separated field paths (letters, digits, _ and .)');
        }
        q.set('mask', mask);
      }
      if (filter) q.set('name_regex', filter);
      break;
    }
    default:
      break;
  }
  const qs = q.toString().replace(/usedonly=(&|$)/, 'usedonly$1');
  return ENDPOINTS[endpoint] + (qs ? `?${qs}` : '');
}

function narrowingHint(endpoint: Endpoint, args: Record<string, unknown>): string {
  switch (endpoint) {
    case 'config_dump':
      return args['resource'] === undefined
        ? 'use resource (e.g. dynamic_active_clusters) and filter on names to get a part of it'
        : 'narrow it with filter (a regex on resource names) and mask (fields to keep)';
    case 'stats':
      return 'narrow it with filter (a regex on stat names) or used_only';
    case 'clusters':
      return 'use stats with a filter such as cluster\\.outbound\\|8080\\|\\|payment for one cluster';
    default:
      return 'the rest was left out';
  }
}
