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
];

/** The tool label of a request that is not a tools/call. */
export function methodLabel(method: string): string {
  if (method.length === 0) return 'none';
  for (let i = 0; i < KNOWN_METHODS.length; i++) if (KNOWN_METHODS[i] === method) return method;
  if (method.startsWith('notifications/')) return 'notifications';
  return 'other';
}

/** One metered request: the prefix is mcp_gateway (gateway mode) or mcp_inbound (sidecar mode). */
export function meterRequest(prefix: string, service: string, tool: string, status: string, durationMs: u64): void {
  const labels = '.service.' + service + '.tool.' + tool;
  incrementMetric(metric(METRIC_COUNTER, prefix + '_requests_total' + labels + '.status.' + status));
  recordMetric(metric(METRIC_HISTOGRAM, prefix + '_request_duration_milliseconds' + labels), durationMs);
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
