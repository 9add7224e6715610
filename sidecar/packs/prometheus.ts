// The prometheus pack (`meshmcp sidecar --pack prometheus`): an MCP server of read-only tools over one Prometheus's
// HTTP API (PROMETHEUS_URL): instant and range queries (a range answered as statistics and a sparkline per series),
// alerts, targets, series, label values and metric metadata. Every parameter travels URL-encoded in the query
// string, names are checked against Prometheus's own grammar, and every answer is bounded.
import { ToolError } from '../errors.js';
import { budgetMs, toolResult } from '../toolSupport.js';
import { parseDuration } from '../toolsConfig/common/fields.js';
import { prometheusApi, queryPrometheus } from '../toolsConfig/prometheus/execute.js';
import type { Tool, ToolContext } from '../types.js';

const MAX_ROWS = 50;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

function base(ctx: ToolContext): string {
  const url = ctx.settings.prometheusUrl;
  if (!url)
    throw new ToolError(
      'no Prometheus is configured for the prometheus pack: set PROMETHEUS_URL (or --prometheus-url)',
    );
  return url.replace(/\/+$/, '');
}

/** GET <prometheus>/api/v1/<path>?<params>: its `data` when the status is success, else a ToolError with the reason. */
async function apiGet(ctx: ToolContext, path: string, params: URLSearchParams): Promise<unknown> {
  const answer = await prometheusApi(ctx, base(ctx), `/api/v1/${path}`, params, {
    timeoutMs: budgetMs(undefined, ctx),
    narrow: 'narrow the request',
    refused: 'refused the request',
  });
  return answer.data;
}

function shown<T>(all: T[], what: string, lines: string[], limit = MAX_ROWS): T[] {
  if (all.length > limit) lines.push(`… ${all.length - limit} more ${what} not shown`);
  return all.slice(0, limit);
}

const labelText = (l: Record<string, string> = {}) =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');

const query: Tool = {
  name: 'query',
  description:
    'Runs an instant PromQL query and returns the current value of each series (at most 50 shown). Use it for "what is ' +
    'X right now", e.g. `up`, `sum by (job) (rate(http_requests_total[5m]))`.',
  inputSchema: {
    type: 'object',
    properties: { query: { type: 'string', minLength: 1, maxLength: 4000, description: 'the PromQL expression' } },
    required: ['query'],
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus query', ...READ_ONLY },
  async run(args, ctx) {
    const promql = String(args['query']);
    const r = await queryPrometheus({ maxSeries: MAX_ROWS }, base(ctx), promql, ctx);
    return toolResult(`PromQL: ${promql}\n${r.lines.join('\n')}`, { query: promql, ...r.data });
  },
};

const queryRange: Tool = {
  name: 'query_range',
  description:
    'Runs a PromQL query over a time range and answers per series with last, min, max and average and a sparkline of ' +
    'the trend (at most 50 series). Use it for "how did X change over the last hour".',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, maxLength: 4000, description: 'the PromQL expression' },
      range: { type: 'string', default: '1h', description: 'how far back, e.g. 15m, 1h, 1d (at most 7d)' },
      step: { type: 'string', default: '1m', description: 'the resolution, e.g. 15s, 1m (at most 11000 points)' },
    },
    required: ['query'],
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus range query', ...READ_ONLY },
  async run(args, ctx) {
    const promql = String(args['query']);
    const rangeMs = durationArg(args['range'] ?? '1h', 'range');
    const stepMs = durationArg(args['step'] ?? '1m', 'step');
    if (rangeMs > 7 * 86_400_000) throw new ToolError('range may be at most 7d');
    if (rangeMs / stepMs > 11_000) throw new ToolError('range / step makes more than 11000 points; raise step');
    const r = await queryPrometheus({ maxSeries: MAX_ROWS, range: { rangeMs, stepMs } }, base(ctx), promql, ctx, true);
    return toolResult(
      `PromQL: ${promql} over ${args['range'] ?? '1h'} at ${args['step'] ?? '1m'} steps\n${r.lines.join('\n')}`,
      {
        query: promql,
        range_seconds: rangeMs / 1000,
        step_seconds: stepMs / 1000,
        ...r.data,
      },
    );
  },
};

function durationArg(v: unknown, name: string): number {
  const ms = parseDuration(String(v));
  if (ms === undefined || ms <= 0)
    throw new ToolError(`${name} ${JSON.stringify(v)} is not a duration like 30s, 5m, 1h or 1d`);
  return ms;
}

interface Alert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  activeAt?: string;
  value?: string;
}

const alerts: Tool = {
  name: 'alerts',
  description: 'Lists the alerts Prometheus has firing and pending, with their labels, since when, and their summary.',
  inputSchema: {
    type: 'object',
    properties: { state: { type: 'string', enum: ['firing', 'pending', 'all'], default: 'all' } },
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus alerts', ...READ_ONLY },
  async run(args, ctx) {
    const data = (await apiGet(ctx, 'alerts', new URLSearchParams())) as { alerts?: Alert[] };
    const want = String(args['state'] ?? 'all');
    const all = (data.alerts ?? []).filter((a) => want === 'all' || a.state === want);
    const lines: string[] = [];
    const rows = shown(all, 'alerts', lines).map((a) => {
      const { alertname = '(unnamed)', ...rest } = a.labels ?? {};
      const summary = a.annotations?.['summary'] ?? a.annotations?.['description'] ?? '';
      lines.unshift(
        `${a.state} ${alertname} {${labelText(rest)}} since ${a.activeAt ?? '?'}${summary ? `: ${summary}` : ''}`,
      );
      return { alertname, state: a.state, labels: rest, active_at: a.activeAt, summary };
    });
    if (all.length === 0) lines.push(want === 'all' ? 'no alerts are firing or pending' : `no ${want} alerts`);
    return toolResult(lines.join('\n'), { alerts: rows, total: all.length });
  },
};

interface Target {
  labels?: Record<string, string>;
  scrapePool?: string;
  scrapeUrl?: string;
  health?: string;
  lastError?: string;
  lastScrape?: string;
  lastScrapeDuration?: number;
}

const targets: Tool = {
  name: 'targets',
  description:
    'Lists the scrape targets and their health (up, down, unknown), the last error and the last scrape; unhealthy first.',
  inputSchema: {
    type: 'object',
    properties: { job: { type: 'string', maxLength: 200, description: 'only the targets of this job (scrape pool)' } },
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus targets', ...READ_ONLY },
  async run(args, ctx) {
    const data = (await apiGet(ctx, 'targets', new URLSearchParams({ state: 'active' }))) as {
      activeTargets?: Target[];
    };
    const job = typeof args['job'] === 'string' ? args['job'] : undefined;
    const all = (data.activeTargets ?? [])
      .filter((t) => job === undefined || t.scrapePool === job || t.labels?.['job'] === job)
      .sort((a, b) => Number(a.health === 'up') - Number(b.health === 'up'));
    const lines: string[] = [];
    const rows = shown(all, 'targets', lines).map((t) => {
      const row = {
        job: t.scrapePool ?? t.labels?.['job'],
        instance: t.labels?.['instance'],
        health: t.health,
        last_error: t.lastError || undefined,
        last_scrape: t.lastScrape,
      };
      lines.unshift(`${row.health} ${row.job} ${row.instance}${row.last_error ? `: ${row.last_error}` : ''}`);
      return row;
    });
    if (all.length === 0) lines.push(job ? `no active targets in job ${job}` : 'no active targets');
    const down = all.filter((t) => t.health !== 'up').length;
    return toolResult(`${all.length} targets, ${down} not up\n${lines.join('\n')}`, {
      targets: rows,
      total: all.length,
      not_up: down,
    });
  },
};

const series: Tool = {
  name: 'series',
  description: 'Lists the series (label sets) a selector matches, e.g. `up{job="api"}` (at most 50 shown).',
  inputSchema: {
    type: 'object',
    properties: { match: { type: 'string', minLength: 1, maxLength: 1000, description: 'a series selector' } },
    required: ['match'],
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus series', ...READ_ONLY },
  async run(args, ctx) {
    const params = new URLSearchParams();
    params.append('match[]', String(args['match']));
    params.set('limit', String(MAX_ROWS + 1));
    const all = ((await apiGet(ctx, 'series', params)) as Array<Record<string, string>>) ?? [];
    const lines: string[] = [];
    const rows = shown(all, 'series', lines);
    lines.unshift(
      ...rows.map(
        (l) =>
          `${l['__name__'] ?? ''}{${labelText(Object.fromEntries(Object.entries(l).filter(([k]) => k !== '__name__')))}}`,
      ),
    );
    if (all.length === 0) lines.push('(no series match)');
    return toolResult(lines.join('\n'), { series: rows, more: all.length > MAX_ROWS });
  },
};

const labelValues: Tool = {
  name: 'label_values',
  description: 'Lists the values of a label, e.g. the `job`s or the `namespace`s Prometheus knows (at most 200 shown).',
  inputSchema: {
    type: 'object',
    properties: {
      label: { type: 'string', minLength: 1, maxLength: 200, description: 'a label name, e.g. job' },
      match: { type: 'string', maxLength: 1000, description: 'only series this selector matches' },
    },
    required: ['label'],
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus label values', ...READ_ONLY },
  async run(args, ctx) {
    const label = String(args['label']);
    if (!LABEL_NAME.test(label))
      throw new ToolError(`${JSON.stringify(label)} is not a label name ([A-Za-z_][A-Za-z0-9_]*)`);
    const params = new URLSearchParams();
    if (typeof args['match'] === 'string' && args['match']) params.append('match[]', args['match']);
    const all = ((await apiGet(ctx, `label/${label}/values`, params)) as string[]) ?? [];
    const lines: string[] = [];
    const rows = shown(all, 'values', lines, 200);
    lines.unshift(rows.join(', ') || `(no values of ${label})`);
    return toolResult(`${label}: ${all.length} values\n${lines.join('\n')}`, {
      label,
      values: rows,
      total: all.length,
    });
  },
};

const metadata: Tool = {
  name: 'metadata',
  description:
    'What a metric is: its type (counter, gauge, histogram, summary), help text and unit, from the targets that expose it.',
  inputSchema: {
    type: 'object',
    properties: {
      metric: { type: 'string', minLength: 1, maxLength: 200, description: 'a metric name; omit for up to 50' },
    },
    additionalProperties: false,
  },
  annotations: { title: 'Prometheus metric metadata', ...READ_ONLY },
  async run(args, ctx) {
    const params = new URLSearchParams({ limit: String(MAX_ROWS) });
    if (typeof args['metric'] === 'string') {
      if (!METRIC_NAME.test(args['metric']))
        throw new ToolError(`${JSON.stringify(args['metric'])} is not a metric name`);
      params.set('metric', args['metric']);
    }
    const data =
      ((await apiGet(ctx, 'metadata', params)) as Record<
        string,
        Array<{ type?: string; help?: string; unit?: string }>
      >) ?? {};
    const rows = Object.entries(data).map(([name, list]) => ({ metric: name, ...list[0] }));
    const lines = rows.map((r) => `${r.metric} (${r.type}${r.unit ? `, ${r.unit}` : ''}): ${r.help ?? ''}`);
    if (rows.length === 0)
      lines.push(typeof args['metric'] === 'string' ? `no metadata for ${args['metric']}` : 'no metadata');
    return toolResult(lines.join('\n'), { metadata: rows });
  },
};

/** The pack's tools, in the order `mcp help` shows them. */
export const prometheusPack: Tool[] = [query, queryRange, alerts, targets, series, labelValues, metadata];
