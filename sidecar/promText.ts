// A small, bounded parser for the Prometheus text exposition format (and the OpenMetrics text it overlaps with).
// It never throws on bad input: a malformed line is skipped and reported, so one odd exporter line cannot hide the
// rest of an app's metrics.

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'gaugehistogram'
  | 'info'
  | 'stateset'
  | 'unknown';

export interface Sample {
  /** the series name as exposed, e.g. http_request_duration_seconds_bucket */
  name: string;
  /** label names to values, in exposition order (a null-prototype record: any label name is safe) */
  labels: Record<string, string>;
  value: number;
  /** milliseconds since the epoch, when the line carries one */
  timestamp?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  /** the kept samples; empty for families the caller chose not to keep */
  samples: Sample[];
  /** samples seen for this family, kept or not */
  sampleCount: number;
}

export interface ParseIssue {
  line: number;
  message: string;
}

export interface ParseOptions {
  /** samples kept across all families; more set truncated (default 100000) */
  maxSamples?: number;
  /** longer lines are skipped as issues (default 65536 characters) */
  maxLineLength?: number;
  /** issues recorded; more are counted in issueCount only (default 20) */
  maxIssues?: number;
  /** labels per sample (default 128) */
  maxLabels?: number;
  /** keep samples only of families this accepts; the others are still listed with their counts */
  keepFamily?: (name: string) => boolean;
}

export interface ParseResult {
  families: MetricFamily[];
  issues: ParseIssue[];
  issueCount: number;
  /** samples were dropped because maxSamples was reached */
  truncated: boolean;
  lines: number;
}

const TYPES = new Set<string>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'gaugehistogram',
  'info',
  'stateset',
  'unknown',
]);

/** Series-name suffixes that belong to a family of the given type. */
const SUFFIXES: Partial<Record<MetricType, string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
};

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export class LineError extends Error {}

/** Parses exposition text into families; see ParseOptions for the bounds. */
export function parsePromText(text: string, opts: ParseOptions = {}): ParseResult {
  const maxSamples = opts.maxSamples ?? 100_000;
  const maxLineLength = opts.maxLineLength ?? 65_536;
  const maxIssues = opts.maxIssues ?? 20;
  const maxLabels = opts.maxLabels ?? 128;
  const byName = new Map<string, MetricFamily>();
  const keep = new Map<MetricFamily, boolean>();
  const issues: ParseIssue[] = [];
  let issueCount = 0;
  let kept = 0;
  let truncated = false;
  let current: MetricFamily | undefined;
  let lineNo = 0;

  const issue = (message: string) => {
    issueCount++;
    if (issues.length < maxIssues) issues.push({ line: lineNo, message });
  };
  const family = (name: string): MetricFamily => {
    let f = byName.get(name);
    if (!f) {
      f = { name, type: 'untyped', samples: [], sampleCount: 0 };
      byName.set(name, f);
      keep.set(f, opts.keepFamily ? opts.keepFamily(name) : true);
    }
    return f;
  };

  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > maxLineLength) {
      issue(`line longer than ${maxLineLength} characters skipped`);
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE|UNIT)\s+(\S+)(?:\s+(.*))?$/.exec(trimmed);
      if (!m) continue; // a plain comment, or OpenMetrics' # EOF
      const [, kind, rawName, rest = ''] = m;
      const name = rawName!.startsWith('"') ? unquote(rawName!) : rawName!;
      const f = family(name);
      current = f;
      if (kind === 'HELP') f.help = unescapeHelp(rest);
      else if (kind === 'UNIT') f.unit = rest;
      else if (TYPES.has(rest.toLowerCase())) f.type = rest.toLowerCase() as MetricType;
      else issue(`unknown metric type ${JSON.stringify(rest)} for ${name}`);
      continue;
    }
    let sample: Sample;
    try {
      sample = parseSampleLine(trimmed, maxLabels);
    } catch (err) {
      issue(err instanceof LineError ? err.message : 'unparseable sample line');
      continue;
    }
    const f = familyOf(sample.name, current, byName) ?? family(sample.name);
    current = f;
    f.sampleCount++;
    if (!keep.get(f)) continue;
    if (kept >= maxSamples) {
      truncated = true;
      continue;
    }
    f.samples.push(sample);
    kept++;
  }
  return { families: [...byName.values()], issues, issueCount, truncated, lines: lineNo };
}

/** The family a series belongs to: the current one when it matches (the usual, contiguous case), else by suffix. */
function familyOf(
  name: string,
  current: MetricFamily | undefined,
  byName: Map<string, MetricFamily>,
): MetricFamily | undefined {
  if (current && belongs(name, current)) return current;
  const exact = byName.get(name);
  if (exact) return exact;
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created', '_gsum', '_gcount', '_info']) {
    if (!name.endsWith(suffix)) continue;
    const f = byName.get(name.slice(0, -suffix.length));
    if (f && belongs(name, f)) return f;
  }
  return undefined;
}

/** True when a series called name is part of family f (f itself, or f plus a suffix its type allows). */
export function belongs(name: string, f: Pick<MetricFamily, 'name' | 'type'>): boolean {
  if (name === f.name) return true;
  if (!name.startsWith(f.name)) return false;
  return (SUFFIXES[f.type] ?? []).includes(name.slice(f.name.length));
}

/** Parses one sample line: name{labels} value [timestamp] [# exemplar]. Throws LineError. */
export function parseSampleLine(line: string, maxLabels = 128): Sample {
  let i = 0;
  let name = '';
  if (NAME_START.test(line[0] ?? '')) {
    while (i < line.length && NAME_CHAR.test(line[i]!)) i++;
    name = line.slice(0, i);
  }
  const labels: Record<string, string> = Object.create(null);
  let labelCount = 0;
  if (line[i] === '{') {
    i++;
    for (;;) {
      i = skipSpaces(line, i);
      if (line[i] === '}') {
        i++;
        break;
      }
      let label: string;
      if (line[i] === '"') {
        const q = readQuoted(line, i);
        label = q.value;
        i = skipSpaces(line, q.end);
        // Prometheus 3 quotes a UTF-8 metric name as the first bare string inside the braces.
        if (line[i] !== '=') {
          if (name !== '' || labelCount > 0) throw new LineError(`expected '=' after label ${JSON.stringify(label)}`);
          name = label;
          if (line[i] === ',') i++;
          continue;
        }
      } else {
        const start = i;
        if (!/[a-zA-Z_]/.test(line[i] ?? '')) throw new LineError(`bad label name at column ${i + 1}`);
        while (i < line.length && /[a-zA-Z0-9_]/.test(line[i]!)) i++;
        label = line.slice(start, i);
        i = skipSpaces(line, i);
      }
      if (line[i] !== '=') throw new LineError(`expected '=' after label ${label}`);
      i = skipSpaces(line, i + 1);
      if (line[i] !== '"') throw new LineError(`label ${label} value must be quoted`);
      const v = readQuoted(line, i);
      if (++labelCount > maxLabels) throw new LineError(`more than ${maxLabels} labels`);
      labels[label] = v.value;
      i = skipSpaces(line, v.end);
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new LineError(`expected ',' or '}' after label ${label}`);
    }
  }
  if (name === '') throw new LineError('sample line without a metric name');
  const rest = line.slice(i);
  if (rest !== '' && !/^\s/.test(rest)) throw new LineError(`unexpected ${JSON.stringify(rest[0])} after ${name}`);
  // An OpenMetrics exemplar follows " # "; it is not part of the sample.
  const hash = rest.indexOf(' # ');
  const fields = (hash === -1 ? rest : rest.slice(0, hash)).trim().split(/\s+/);
  if (fields[0] === undefined || fields[0] === '') throw new LineError(`${name} has no value`);
  if (fields.length > 2) throw new LineError(`${name} has unexpected text after the timestamp`);
  const value = parseValue(fields[0]);
  if (value === undefined) throw new LineError(`${name} has a value that is not a number: ${fields[0].slice(0, 40)}`);
  const sample: Sample = { name, labels, value };
  if (fields[1] !== undefined) {
    const ts = Number(fields[1]);
    if (!NUMBER.test(fields[1]) || !Number.isFinite(ts)) throw new LineError(`${name} has a bad timestamp`);
    sample.timestamp = ts;
  }
  return sample;
}

/** Go's ParseFloat spellings the format allows: decimals, exponents, NaN, ±Inf (any case). */
export function parseValue(token: string): number | undefined {
  const t = token.toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (NUMBER.test(token)) return Number(token);
  if (/^[+-]?0x[0-9a-f]+$/i.test(token))
    return token.startsWith('-') ? -Number(token.slice(1)) : Number(token.replace('+', ''));
  return undefined;
}

function skipSpaces(s: string, i: number): number {
  while (s[i] === ' ' || s[i] === '\t') i++;
  return i;
}

/** Reads a double-quoted string starting at i with the format's escapes (\\, \", \n). */
function readQuoted(s: string, i: number): { value: string; end: number } {
  let out = '';
  let j = i + 1;
  while (j < s.length) {
    const c = s[j]!;
    if (c === '"') return { value: out, end: j + 1 };
    if (c === '\\' && j + 1 < s.length) {
      const n = s[j + 1]!;
      out += n === 'n' ? '\n' : n === '\\' || n === '"' ? n : `\\${n}`;
      j += 2;
      continue;
    }
    out += c;
    j++;
  }
  throw new LineError('unterminated quoted string');
}

function unquote(s: string): string {
  try {
    return readQuoted(s, 0).value;
  } catch {
    return s;
  }
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** name{a="1",b="2"} with values escaped as in the format; labels in omit are left out (e.g. le, quantile). */
export function formatSeries(name: string, labels: Record<string, string>, omit: readonly string[] = []): string {
  const parts: string[] = [];
  for (const k of Object.keys(labels)) {
    if (omit.includes(k)) continue;
    const key = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) ? k : `"${escapeLabelValue(k)}"`;
    parts.push(`${key}="${escapeLabelValue(labels[k]!)}"`);
  }
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

/** The format's spelling of a value: NaN, +Inf, -Inf, or the shortest exact decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

export interface Bucket {
  /** upper bound, +Inf for the last */
  le: number;
  /** cumulative count */
  count: number;
}

/**
 * Estimates quantile q (0..1) from cumulative histogram buckets the way PromQL's histogram_quantile does: linear
 * interpolation inside the bucket the rank falls in. Undefined when there is nothing to estimate from.
 */
export function estimateQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  if (!(q >= 0 && q <= 1)) return undefined;
  const sorted = buckets.filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.count)).sort((a, b) => a.le - b.le);
  const last = sorted[sorted.length - 1];
  if (!last || last.le !== Number.POSITIVE_INFINITY || sorted.length < 2) return undefined;
  const total = last.count;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let idx = sorted.findIndex((b) => b.count >= rank);
  if (idx === -1) idx = sorted.length - 1;
  // The rank lands in the open-ended bucket: the best bound known is the last finite one.
  if (idx === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  const upper = sorted[idx]!;
  if (idx === 0 && upper.le <= 0) return upper.le;
  const lowerLe = idx === 0 ? 0 : sorted[idx - 1]!.le;
  const lowerCount = idx === 0 ? 0 : sorted[idx - 1]!.count;
  const inBucket = upper.count - lowerCount;
  if (inBucket <= 0) return upper.le;
  return lowerLe + (upper.le - lowerLe) * ((rank - lowerCount) / inBucket);
}
