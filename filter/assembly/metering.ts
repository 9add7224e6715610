// Metrics through proxy_define_metric. Envoy stats have no labels, so each label value is a `.label.value` segment
// of the stat name (wasmcustom.mcp_gateway_requests_total.service.S.tool.T.status.X) that Envoy's stats_tags regexes
// turn back into Prometheus labels (filter/README.md lists them). Label values come from the configuration or
// fixed sets, never from the request, so a caller cannot grow the stat count.

import { defineMetric, incrementMetric, METRIC_COUNTER, METRIC_HISTOGRAM, recordMetric } from './abi';

/** Stat ids by full name; Envoy answers the same stat for the same name, so defining once per VM is enough. */
const ids = new Map<string, u32>();

function metric(type: u32, name: string): u32 {
  if (ids.has(name)) return ids.get(name);
  const id = defineMetric(type, name);
  ids.set(name, id);
  return id;
}

/** Methods other than tools/call are metered under their own name when known, else a fixed bucket. */
const KNOWN_METHODS: StaticArray<string> = [
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'subscriptions/listen',
  'tasks/get',
  'tasks/update',
  'tasks/cancel',
];

/** The tool label of a request that is not a tools/call. */
export function methodLabel(method: string): string {
  if (method.length === 0) return 'none';
  for (let i = 0; i < KNOWN_METHODS.length; i++) if (KNOWN_METHODS[i] === method) return method;
  if (method.startsWith('notifications/')) return 'notifications';
  return 'other';
}

/** The stat ids of one (prefix, service, tool): its duration histogram and its request counter per status. */
class ToolMeters {
  duration: u32;
  byStatus: Map<string, u32> = new Map<string, u32>();

  constructor(
    public prefix: string,
    public labels: string,
  ) {
    this.duration = metric(METRIC_HISTOGRAM, prefix + '_request_duration_milliseconds' + labels);
  }

  requests(status: string): u32 {
    if (this.byStatus.has(status)) return this.byStatus.get(status);
    const id = metric(METRIC_COUNTER, this.prefix + '_requests_total' + this.labels + '.status.' + status);
    this.byStatus.set(status, id);
    return id;
  }
}

/**
 * By prefix, service and tool: a request's stats are found by three short lookups, with no name built (the label
 * values are bounded, see above, so these maps are too).
 */
const meters = new Map<string, Map<string, Map<string, ToolMeters>>>();

function toolMeters(prefix: string, service: string, tool: string): ToolMeters {
  if (!meters.has(prefix)) meters.set(prefix, new Map<string, Map<string, ToolMeters>>());
  const byService = meters.get(prefix);
  if (!byService.has(service)) byService.set(service, new Map<string, ToolMeters>());
  const byTool = byService.get(service);
  if (byTool.has(tool)) return byTool.get(tool);
  const m = new ToolMeters(prefix, '.service.' + service + '.tool.' + tool);
  byTool.set(tool, m);
  return m;
}

/** One metered request: the prefix is mcp_gateway (gateway mode) or mcp_inbound (sidecar mode). */
export function meterRequest(prefix: string, service: string, tool: string, status: string, durationMs: u64): void {
  const m = toolMeters(prefix, service, tool);
  incrementMetric(m.requests(status));
  recordMetric(m.duration, durationMs);
}

/** A request the filter refused; reason is the outcome label (unauthenticated, denied, invalid, ...). */
export function meterDenial(prefix: string, service: string, tool: string, reason: string): void {
  const labels = '.service.' + service + '.tool.' + tool;
  if (reason === 'rate_limited') {
    incrementMetric(metric(METRIC_COUNTER, prefix + '_rate_limited_total' + labels));
  } else {
    incrementMetric(metric(METRIC_COUNTER, prefix + '_denials_total' + labels + '.reason.' + reason));
  }
}

/** JWT claim values skipped because they were not text (identity.ts isText): a token's non-string groups or scopes. */
export function meterSkippedClaims(prefix: string, count: i32): void {
  incrementMetric(metric(METRIC_COUNTER, prefix + '_claim_values_skipped_total'), <i64>count);
}

/** Live rate-limit buckets evicted because their slot was full (rateLimit.ts): each such caller restarted full. */
export function meterRateLimitEvictions(prefix: string, count: i32): void {
  incrementMetric(metric(METRIC_COUNTER, prefix + '_rate_limit_evictions_total'), <i64>count);
}
