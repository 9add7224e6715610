// Executor of tools.yaml `prometheus` tools: instant or range PromQL through ctx.http, summarised per series.
import { ToolError } from '../../errors.js';
import { budgetMs, capText, toolResult } from '../../toolSupport.js';
import type { HttpResponse, ToolContext, ToolResult } from '../../types.js';
import { formatDuration } from '../common/fields.js';
import { argText } from '../common/template.js';
import { type PrometheusSpec, type PromPart, SAFE_TOKEN } from './spec.js';

const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/** Escapes a value for the PromQL string literal it sits in; a raw (backtick) string cannot escape, so it refuses. */
export function promString(value: string, quote: string, name: string): string {
  if (quote === '`') {
    if (value.includes('`')) throw new ToolError(`argument ${name} may not contain a backtick`);
    return value;
  }
  return value
    .replace(/\\/g, '\\\\')
    .replace(quote === '"' ? /"/g : /'/g, `\\${quote}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

export function renderPromQL(parts: readonly PromPart[], args: Record<string, unknown>, serviceName: string): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const name = 'param' in part ? part.param : '$SERVICE_NAME';
    const raw = 'param' in part ? args[part.param] : serviceName;
    if (raw === undefined) throw new ToolError(`argument ${name} is required`);
    const value = argText(raw);
    if (part.quote) out += promString(value, part.quote, name);
    else if (typeof raw === 'number' && Number.isFinite(raw)) out += String(raw);
    // The parser only lets enum strings stand outside quotes; the check stays so a bad value can never splice.
    else if (SAFE_TOKEN.test(value)) out += value;
    else throw new ToolError(`argument ${name} ${JSON.stringify(value)} cannot stand unquoted in PromQL`);
  }
  return out;
}

interface PromAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: unknown };
}
type Sample = [number, string];
interface Series {
  metric?: Record<string, string>;
  value?: Sample;
  values?: Sample[];
}

function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function labels(metric: Record<string, string> = {}): string {
  const { __name__: name = '', ...rest } = metric;
  const inner = Object.entries(rest)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `${name}{${inner}}`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** The values as one bar per point, scaled between their min and max: a trend a chat line can show. */
export function sparkline(values: number[], width = 40): string {
  const vals = values.filter(Number.isFinite);
  if (vals.length === 0) return '';
  // Down-sample to at most width points by averaging buckets.
  const per = Math.ceil(vals.length / width);
  const points: number[] = [];
  for (let i = 0; i < vals.length; i += per) {
    const bucket = vals.slice(i, i + per);
    points.push(bucket.reduce((a, b) => a + b, 0) / bucket.length);
  }
  const min = Math.min(...points);
  const max = Math.max(...points);
  return points.map((v) => BARS[max === min ? 0 : Math.round(((v - min) / (max - min)) * (BARS.length - 1))]).join('');
}

function summarise(
  resultType: string,
  raw: unknown,
  maxSeries: number,
  withSparkline = false,
): { lines: string[]; data: Record<string, unknown> } {
  if (resultType === 'scalar' || resultType === 'string') {
    const [, v] = (raw as Sample | undefined) ?? [0, ''];
    const shown = resultType === 'scalar' ? fmtNum(Number(v)) : v;
    return { lines: [`${resultType}: ${shown}`], data: { result_type: resultType, value: shown } };
  }
  const all = Array.isArray(raw) ? (raw as Series[]) : [];
  const shownSeries = all.slice(0, maxSeries);
  const lines: string[] = [];
  const series = shownSeries.map((s) => {
    if (resultType === 'matrix') {
      const vals = (s.values ?? []).map(([, v]) => Number(v)).filter(Number.isFinite);
      const last = vals.at(-1);
      const stats = {
        metric: s.metric ?? {},
        points: s.values?.length ?? 0,
        last: last ?? null,
        min: vals.length ? Math.min(...vals) : null,
        max: vals.length ? Math.max(...vals) : null,
        avg: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null,
      };
      const f = (n: number | null) => (n === null ? 'n/a' : fmtNum(n));
      const spark = withSparkline ? sparkline(vals) : '';
      lines.push(
        `${labels(s.metric)} last=${f(stats.last)} min=${f(stats.min)} max=${f(stats.max)} avg=${f(stats.avg)} (${stats.points} points)${spark ? ` ${spark}` : ''}`,
      );
      return spark ? { ...stats, sparkline: spark } : stats;
    }
    const v = Number(s.value?.[1]);
    lines.push(`${labels(s.metric)} ${fmtNum(v)}`);
    return { metric: s.metric ?? {}, value: Number.isFinite(v) ? v : String(s.value?.[1]) };
  });
  if (all.length === 0) lines.push('(no series: the query matched nothing)');
  if (all.length > shownSeries.length) {
    lines.push(
      `… ${all.length - shownSeries.length} more series not shown (aggregate, e.g. sum by (label) (...), or raise max_series)`,
    );
  }
  return {
    lines,
    data: { result_type: resultType, series, series_total: all.length, series_shown: shownSeries.length },
  };
}

/**
 * GET <base><path>?<params> of Prometheus's HTTP API, bounded: the answer when its status is success, else a
 * ToolError that says why. `narrow` is the fix for an answer over 2 MiB; `refused` words Prometheus's own refusal
 * ("rejected the query").
 */
export async function prometheusApi<T>(
  ctx: ToolContext,
  base: string,
  path: string,
  params: URLSearchParams,
  wording: { timeoutMs: number; narrow: string; refused: string },
): Promise<{ data?: T; warnings?: string[] }> {
  let res: HttpResponse;
  try {
    res = await ctx.http.request(`${base}${path}${params.size ? `?${params}` : ''}`, {
      timeoutMs: wording.timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
      endpoint: `prometheus:${path.split('/').slice(0, 4).join('/')}`,
      headers: { accept: 'application/json' },
      signal: ctx.signal,
    });
  } catch (err) {
    throw new ToolError(`Prometheus at ${base} did not answer: ${(err as Error).message}`);
  }
  if (res.truncated)
    throw new ToolError(`Prometheus answered more than ${MAX_RESPONSE_BYTES} bytes; ${wording.narrow}`);
  let answer: Omit<PromAnswer, 'data'> & { data?: T };
  try {
    answer = JSON.parse(res.body);
  } catch {
    throw new ToolError(
      `Prometheus at ${base} answered HTTP ${res.status} with a body that is not JSON: ${capText(res.body, 200)}`,
    );
  }
  if (answer.status !== 'success') {
    throw new ToolError(
      `Prometheus ${wording.refused} (${answer.errorType ?? `HTTP ${res.status}`}): ${answer.error ?? 'no reason given'}`,
    );
  }
  return answer;
}

/** One PromQL query (instant, or a range when spec.range) summarised per series; throws ToolError with the reason. */
export async function queryPrometheus(
  spec: Pick<PrometheusSpec, 'timeoutMs' | 'range' | 'maxSeries'>,
  base: string,
  promql: string,
  ctx: ToolContext,
  withSparkline = false,
): Promise<{ lines: string[]; data: Record<string, unknown> }> {
  const timeoutMs = budgetMs(spec.timeoutMs, ctx);
  const params = new URLSearchParams({ query: promql, timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s` });
  let endpoint = '/api/v1/query';
  if (spec.range) {
    const end = Date.now() / 1000;
    params.set('start', String(end - spec.range.rangeMs / 1000));
    params.set('end', String(end));
    params.set('step', String(spec.range.stepMs / 1000));
    endpoint = '/api/v1/query_range';
  }
  const answer = await prometheusApi<PromAnswer['data']>(ctx, base, endpoint, params, {
    timeoutMs,
    narrow: 'narrow the query (aggregate with sum by (...) or topk)',
    refused: 'rejected the query',
  });
  if (!answer.data) throw new ToolError('Prometheus rejected the query: its answer has no data');
  const out = summarise(answer.data.resultType ?? 'vector', answer.data.result, spec.maxSeries, withSparkline);
  if (answer.warnings?.length) out.lines.push(`warnings: ${answer.warnings.join('; ')}`);
  return out;
}

export async function runPrometheus(
  spec: PrometheusSpec,
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<ToolResult> {
  const base = (spec.prometheusUrl ?? ctx.settings.prometheusUrl)?.replace(/\/+$/, '');
  if (!base) {
    throw new ToolError(
      'no Prometheus is configured for this sidecar: set PROMETHEUS_URL (or --prometheus-url) on the mcp-sidecar ' +
        'container, or prometheus_url in this tool’s config in tools.yaml',
    );
  }
  const rendered = spec.queries.map((q) => ({
    name: q.name,
    promql: renderPromQL(q.parts, args, ctx.settings.serviceName),
  }));
  const window = spec.range ? { range_seconds: spec.range.rangeMs / 1000, step_seconds: spec.range.stepMs / 1000 } : {};
  if (spec.single) {
    const { promql } = rendered[0]!;
    const r = await queryPrometheus(spec, base, promql, ctx);
    return toolResult(`PromQL: ${promql}\n${r.lines.join('\n')}`, { query: promql, ...window, ...r.data });
  }
  const settled = await Promise.allSettled(rendered.map((q) => queryPrometheus(spec, base, q.promql, ctx)));
  const sections: string[] = [];
  const queries: Record<string, unknown> = {};
  settled.forEach((s, i) => {
    const { name, promql } = rendered[i]!;
    if (s.status === 'fulfilled') {
      sections.push(`## ${name}: ${promql}\n${s.value.lines.join('\n')}`);
      queries[name] = { query: promql, ...s.value.data };
    } else {
      const msg = (s.reason as Error).message;
      sections.push(`## ${name}: ${promql}\nerror: ${msg}`);
      queries[name] = { query: promql, error: msg };
    }
  });
  // Partial answers are still useful to the model; only a total failure is an error.
  const failed = settled.every((s) => s.status === 'rejected');
  return toolResult(sections.join('\n\n'), { ...window, queries }, failed);
}

/** One line on what the tool does, for its description. */
export function describePrometheus(spec: PrometheusSpec): string {
  const range = spec.range
    ? ` over the last ${formatDuration(spec.range.rangeMs)} at ${formatDuration(spec.range.stepMs)} steps (min/max/avg/last per series)`
    : ' (current values)';
  const qs = spec.single
    ? `PromQL ${spec.queries[0]!.text}`
    : `PromQL queries ${spec.queries.map((q) => `${q.name}: ${q.text}`).join('; ')}`;
  const self = spec.queries.some((q) => q.parts.some((x) => typeof x !== 'string' && 'env' in x));
  return `Runs ${qs} against Prometheus${range}${self ? '; $SERVICE_NAME is this service' : ''}.`;
}
