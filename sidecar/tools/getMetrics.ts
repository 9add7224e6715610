// get_metrics: scrapes the app's Prometheus endpoint and returns a compact, filtered table of its series.
import {
  type Bucket,
  belongs,
  estimateQuantile,
  formatSeries,
  formatValue,
  type MetricFamily,
  parsePromText,
} from '../promText.js';
import { capText, formatBytes, requestTimeout, toolResult, upstreamError } from '../toolSupport.js';
import type { Tool } from '../types.js';
import { compileSafeRegex } from './safeRegex.js';

// The sidecar lives in a 64Mi pod with Node's ~40 MB floor, so a scrape and its parsed samples must stay small: a
// 4 MiB scrape parsed to 100k samples crashed a sidecar on its shipped heap limit (sidecar/nodeFlags.ts), and 1 MiB
// still pushed RSS past 64 MiB. A larger scrape is parsed up to this point and the result says so.
const MAX_SCRAPE_BYTES = 512 * 1024;
const MAX_SAMPLES = 5_000;
const MAX_ROW_CHARS = 300;
/** The regex in match runs over series strings cut to this length. */
const MAX_SUBJECT = 1024;

export interface MetricRow {
  series: string;
  type: string;
  /** plain samples: the value; histograms and summaries: their count */
  value: number | string;
  sum?: number | string;
  /** histograms: estimated; summaries: as exposed */
  quantiles?: Record<string, number | string>;
}

export const getMetrics: Tool = {
  name: 'get_metrics',
  title: 'App metrics',
  description:
    "Scrapes this service's Prometheus metrics endpoint and returns matching series as a compact table " +
    '(`name{labels} value`). Histograms are summarized per label set as count, sum and p50/p90/p99 estimated from ' +
    'the buckets; summaries as count, sum and their quantiles. Use it to read request rates, error counts, latencies, ' +
    'queue depths or pool usage right now. `name` selects families: an exact family or series name, or a prefix ' +
    '(e.g. `http_` or `process_`) when nothing has exactly that name. `match` is a regular expression tested against each row ' +
    'as `name{labels}` (e.g. `status="5..`). Says how many rows matched and how many are shown; raise `limit` or ' +
    'narrow the filters when rows are left out. Values are raw counters (not rates).',
  inputSchema: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
        maxLength: 200,
        description: 'metric family name, or a name prefix; omit for all families',
      },
      match: {
        type: 'string',
        maxLength: 256,
        description: 'regular expression over `name{labels}` of each row, e.g. `code="5..` or `route="/pay`',
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 500,
        default: 50,
        description: 'most rows to return (default 50)',
      },
    },
    additionalProperties: false,
  },
  annotations: { title: 'App metrics', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const name = typeof args['name'] === 'string' && args['name'] !== '' ? args['name'] : undefined;
    const matchSrc = typeof args['match'] === 'string' && args['match'] !== '' ? args['match'] : undefined;
    const limit = typeof args['limit'] === 'number' ? Math.min(500, Math.max(1, Math.floor(args['limit']))) : 50;
    const match = matchSrc === undefined ? undefined : compileSafeRegex(matchSrc, 'match');
    const url = ctx.settings.appUrl + ctx.settings.metricsPath;
    let res: Awaited<ReturnType<typeof ctx.http.request>>;
    try {
      res = await ctx.http.request(url, {
        timeoutMs: requestTimeout(ctx, 8000),
        maxBytes: MAX_SCRAPE_BYTES,
        endpoint: 'metrics',
        headers: { accept: 'text/plain;version=0.0.4;q=0.9, */*;q=0.1' },
        signal: ctx.signal,
      });
    } catch (err) {
      throw upstreamError(
        `scraping the app's metrics endpoint ${url} failed`,
        err,
        `Check that the app is running on ${ctx.settings.appUrl} and exposes Prometheus metrics at ` +
          `${ctx.settings.metricsPath} (setting METRICS_PATH).`,
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw upstreamError(
        `the app's metrics endpoint ${url} answered ${res.status}`,
        capText(res.body.trim(), 200) || 'empty body',
        `Check that ${ctx.settings.metricsPath} (setting METRICS_PATH) is the app's Prometheus endpoint.`,
      );
    }
    // A cut scrape ends mid-line: drop the partial last line rather than report a bogus value.
    const body = res.truncated ? res.body.slice(0, res.body.lastIndexOf('\n') + 1) : res.body;
    // Types are known only after parsing, so keep every family the name could select: itself, its prefixes
    // (a series name like http_requests_total selects family http_requests) and the names it prefixes.
    const parsed = parsePromText(body, {
      maxSamples: MAX_SAMPLES,
      keepFamily: name === undefined ? undefined : (f) => f.startsWith(name) || name.startsWith(f),
    });
    const exactFamilies = name === undefined ? [] : parsed.families.filter((f) => belongs(name, f));
    const exact = exactFamilies.length > 0;
    const selected =
      name === undefined
        ? parsed.families
        : exact
          ? exactFamilies
          : parsed.families.filter((f) => f.name.startsWith(name));

    let matched = 0;
    const rows: MetricRow[] = [];
    for (const f of selected) {
      for (const row of familyRows(f)) {
        if (match && !match.test(row.series.slice(0, MAX_SUBJECT))) continue;
        matched++;
        if (rows.length < limit) rows.push(row);
      }
    }

    const lines: string[] = [];
    const scope = name === undefined ? 'all families' : exact ? `family ${name}` : `families starting with ${name}`;
    lines.push(
      `${matched} series matched, ${rows.length} shown (${scope}${matchSrc ? `, match /${matchSrc}/` : ''}; ` +
        `${parsed.families.length} families, ${formatBytes(res.bytes)} scraped from ${ctx.settings.metricsPath})`,
    );
    for (const r of rows) lines.push(capText(renderRow(r), MAX_ROW_CHARS));
    const notes: string[] = [];
    if (matched > rows.length)
      notes.push(`${matched - rows.length} more rows: raise limit (max 500) or narrow name/match`);
    if (res.truncated) notes.push(`the scrape exceeded ${formatBytes(MAX_SCRAPE_BYTES)}; only its beginning was read`);
    if (parsed.truncated) notes.push('too many samples; later ones were not read');
    if (parsed.issueCount > 0) {
      const first = parsed.issues[0];
      notes.push(
        `${parsed.issueCount} malformed lines skipped${first ? ` (line ${first.line}: ${first.message})` : ''}`,
      );
    }
    if (matched === 0) notes.push(nothingMatchedHint(parsed.families, name));
    for (const n of notes) lines.push(`note: ${n}`);
    return toolResult(lines.join('\n'), {
      url,
      matched,
      shown: rows.length,
      families: parsed.families.length,
      scrape_bytes: res.bytes,
      scrape_truncated: res.truncated,
      rows,
      notes,
    });
  },
};

function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : formatValue(v);
}

function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

/** One row per plain sample; one row per label set for histograms and summaries. */
function familyRows(f: MetricFamily): MetricRow[] {
  if (f.type !== 'histogram' && f.type !== 'summary' && f.type !== 'gaugehistogram') {
    return f.samples.map((s) => ({ series: formatSeries(s.name, s.labels), type: f.type, value: jsonNumber(s.value) }));
  }
  const isSummary = f.type === 'summary';
  const groups = new Map<string, { buckets: Bucket[]; quantiles: [string, number][]; sum?: number; count?: number }>();
  const rows: MetricRow[] = [];
  for (const s of f.samples) {
    const key = formatSeries(f.name, s.labels, ['le', 'quantile']);
    let g = groups.get(key);
    if (!g) {
      g = { buckets: [], quantiles: [] };
      groups.set(key, g);
    }
    const suffix = s.name.slice(f.name.length);
    if (suffix === '_bucket' && s.labels['le'] !== undefined) {
      const le = s.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels['le']);
      g.buckets.push({ le, count: s.value });
    } else if (suffix === '_sum' || suffix === '_gsum') g.sum = s.value;
    else if (suffix === '_count' || suffix === '_gcount') g.count = s.value;
    else if (suffix === '' && isSummary && s.labels['quantile'] !== undefined) {
      g.quantiles.push([`q${s.labels['quantile']}`, s.value]);
    } else if (suffix !== '_created') {
      rows.push({ series: formatSeries(s.name, s.labels), type: f.type, value: jsonNumber(s.value) });
    }
  }
  for (const [series, g] of groups) {
    if (g.count === undefined && g.buckets.length === 0 && g.quantiles.length === 0) continue;
    const count = g.count ?? g.buckets.find((b) => b.le === Number.POSITIVE_INFINITY)?.count ?? Number.NaN;
    const row: MetricRow = { series, type: f.type, value: jsonNumber(count) };
    if (g.sum !== undefined) row.sum = jsonNumber(g.sum);
    const quantiles: Record<string, number | string> = {};
    if (isSummary) for (const [q, v] of g.quantiles) quantiles[q] = jsonNumber(v);
    else {
      for (const q of [0.5, 0.9, 0.99]) {
        const est = estimateQuantile(q, g.buckets);
        if (est !== undefined) quantiles[`p${Math.round(q * 100)}`] = jsonNumber(round(est));
      }
    }
    if (Object.keys(quantiles).length) row.quantiles = quantiles;
    rows.push(row);
  }
  return rows;
}

function renderRow(r: MetricRow): string {
  const show = (v: number | string) => (typeof v === 'number' ? formatValue(v) : v);
  if (r.type !== 'histogram' && r.type !== 'summary' && r.type !== 'gaugehistogram')
    return `${r.series} ${show(r.value)}`;
  let out = `${r.series} ${r.type} count=${show(r.value)}`;
  if (r.sum !== undefined) out += ` sum=${show(r.sum)}`;
  const approx = r.type === 'summary' ? '=' : '≈';
  for (const [q, v] of Object.entries(r.quantiles ?? {})) out += ` ${q}${approx}${show(v)}`;
  return out;
}

function nothingMatchedHint(families: MetricFamily[], name: string | undefined): string {
  if (families.length === 0) return 'the endpoint exposed no metrics';
  const needle = (name ?? '').toLowerCase().replace(/_(total|count|sum|bucket)$/, '');
  const similar = needle
    ? families.filter((f) => f.name.toLowerCase().includes(needle.split('_')[0] ?? needle)).map((f) => f.name)
    : [];
  const names = (similar.length ? similar : families.map((f) => f.name)).slice(0, 20);
  return `nothing matched; ${similar.length ? 'similar' : 'some'} families: ${names.join(', ')}`;
}
