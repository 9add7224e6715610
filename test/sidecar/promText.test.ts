// The Prometheus text parser on real-looking exposition: escapes, special values, histograms, summaries, OpenMetrics
// extras, malformed lines and the bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  estimateQuantile,
  formatSeries,
  formatValue,
  type MetricFamily,
  parsePromText,
  parseSampleLine,
  parseValue,
} from '../../sidecar/promText.js';

const EXPOSITION = `# HELP http_requests_total Total HTTP requests.\\nSecond line with a \\\\ backslash.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200",path="/pay"} 1027 1700000000000
http_requests_total{method="POST",code="500",path="/pay"} 3
http_requests_total{method="GET",code="200",path="/a \\"quoted\\" \\\\ path\\nline2"} 1

# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/pay",le="0.05"} 24054
http_request_duration_seconds_bucket{route="/pay",le="0.1"} 33444
http_request_duration_seconds_bucket{route="/pay",le="0.2"} 100392
http_request_duration_seconds_bucket{route="/pay",le="0.5"} 129389
http_request_duration_seconds_bucket{route="/pay",le="1"} 133988
http_request_duration_seconds_bucket{route="/pay",le="+Inf"} 144320
http_request_duration_seconds_sum{route="/pay"} 53423
http_request_duration_seconds_count{route="/pay"} 144320
# HELP rpc_duration_seconds A summary.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
# TYPE temperature gauge
temperature{sensor="a"} NaN
temperature{sensor="b"} +Inf
temperature{sensor="c"} -Inf
temperature{sensor="d"} -1.5e-3
untyped_metric 42
  metric_without_labels_and_spaces   7   
metric_with_empty_labels{} 8
metric_trailing_comma{a="1",} 9
`;

function fam(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}

describe('parsePromText', () => {
  const { families, issues, truncated, lines } = parsePromText(EXPOSITION);

  it('reads HELP and TYPE with escapes', () => {
    const f = fam(families, 'http_requests_total');
    expect(f.type).toBe('counter');
    expect(f.help).toBe('Total HTTP requests.\nSecond line with a \\ backslash.');
    expect(issues).toEqual([]);
    expect(truncated).toBe(false);
    expect(lines).toBeGreaterThan(30);
  });

  it('reads labels with escaped quotes, backslashes and newlines, and timestamps', () => {
    const f = fam(families, 'http_requests_total');
    expect(f.samples).toHaveLength(3);
    expect(f.samples[0]).toEqual({
      name: 'http_requests_total',
      labels: { method: 'GET', code: '200', path: '/pay' },
      value: 1027,
      timestamp: 1700000000000,
    });
    expect(f.samples[2]!.labels['path']).toBe('/a "quoted" \\ path\nline2');
  });

  it('groups histogram and summary series under their family', () => {
    const h = fam(families, 'http_request_duration_seconds');
    expect(h.type).toBe('histogram');
    expect(h.samples.map((s) => s.name)).toEqual([
      ...Array(6).fill('http_request_duration_seconds_bucket'),
      'http_request_duration_seconds_sum',
      'http_request_duration_seconds_count',
    ]);
    expect(h.samples[5]!.labels).toEqual({ route: '/pay', le: '+Inf' });
    const s = fam(families, 'rpc_duration_seconds');
    expect(s.type).toBe('summary');
    expect(s.samples).toHaveLength(5);
    expect(s.samples[3]!.value).toBe(17560473);
  });

  it('reads NaN, ±Inf and exponents', () => {
    const values = fam(families, 'temperature').samples.map((s) => s.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.0015]);
  });

  it('accepts untyped samples, odd spacing, empty braces and a trailing comma', () => {
    expect(fam(families, 'untyped_metric')).toMatchObject({ type: 'untyped', samples: [{ value: 42 }] });
    expect(fam(families, 'metric_without_labels_and_spaces').samples[0]!.value).toBe(7);
    expect(fam(families, 'metric_with_empty_labels').samples[0]!.labels).toEqual({});
    expect(fam(families, 'metric_trailing_comma').samples[0]!.labels).toEqual({ a: '1' });
  });

  it('skips malformed lines, reports them with line numbers and keeps the rest', () => {
    const text = [
      'good 1',
      'bad{a="1" 2',
      'bad2{a=1} 3',
      'bad3 notanumber',
      'bad4{a="unterminated} 4',
      '{a="no name"} 5',
      'bad5 1 2 3',
      'bad6 1 notatimestamp',
      '# TYPE weird nonsense',
      'good2{b="2"} 6',
    ].join('\n');
    const r = parsePromText(text);
    expect(r.families.filter((f) => f.samples.length).map((f) => f.name)).toEqual(['good', 'good2']);
    expect(r.issueCount).toBe(8);
    expect(r.issues.map((i) => i.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.issues[2]!.message).toContain('not a number');
  });

  it('reads OpenMetrics: _total counters, exemplars, UNIT, # EOF and quoted UTF-8 names', () => {
    const text = [
      '# TYPE requests counter',
      '# UNIT requests requests',
      'requests_total{path="/"} 5 # {trace_id="abc123"} 1 1700000000.123',
      'requests_created{path="/"} 1700000000',
      '# TYPE "my.dotted.metric" gauge',
      '{"my.dotted.metric", host="a"} 3',
      '# EOF',
    ].join('\n');
    const r = parsePromText(text);
    expect(r.issues).toEqual([]);
    const c = fam(r.families, 'requests');
    expect(c.unit).toBe('requests');
    expect(c.samples.map((s) => [s.name, s.value])).toEqual([
      ['requests_total', 5],
      ['requests_created', 1700000000],
    ]);
    expect(fam(r.families, 'my.dotted.metric').samples[0]).toMatchObject({ labels: { host: 'a' }, value: 3 });
  });

  it('handles CRLF line ends and a missing final newline', () => {
    const r = parsePromText('# TYPE a gauge\r\na 1\r\nb 2');
    expect(r.families.map((f) => [f.name, f.samples[0]!.value])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('keeps only the families asked for, but counts the others', () => {
    const r = parsePromText(EXPOSITION, { keepFamily: (n) => n.startsWith('temp') });
    expect(fam(r.families, 'temperature').samples).toHaveLength(4);
    expect(fam(r.families, 'http_requests_total')).toMatchObject({ samples: [], sampleCount: 3 });
  });

  it('is bounded: samples, line length, labels and issues', () => {
    const many = Array.from({ length: 100 }, (_, i) => `m{i="${i}"} ${i}`).join('\n');
    const r = parsePromText(many, { maxSamples: 10 });
    expect(r.truncated).toBe(true);
    expect(fam(r.families, 'm').samples).toHaveLength(10);
    expect(fam(r.families, 'm').sampleCount).toBe(100);

    const long = parsePromText(`long{a="${'x'.repeat(200)}"} 1\nshort 1`, { maxLineLength: 100 });
    expect(long.families.map((f) => f.name)).toEqual(['short']);
    expect(long.issues[0]!.message).toContain('longer than');

    const labels = Array.from({ length: 5 }, (_, i) => `l${i}="v"`).join(',');
    expect(parsePromText(`x{${labels}} 1`, { maxLabels: 4 }).issues[0]!.message).toContain('more than 4 labels');

    const junk = parsePromText(Array(50).fill('!!!').join('\n'), { maxIssues: 5 });
    expect(junk.issues).toHaveLength(5);
    expect(junk.issueCount).toBe(50);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parsePromText(s);
        expect(Array.isArray(r.families)).toBe(true);
      }),
    );
  });

  it('labels named like object properties are plain data', () => {
    const s = parseSampleLine('m{__proto__="x",constructor="y"} 1');
    expect(Object.entries(s.labels)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });
});

describe('values and formatting', () => {
  it.each([
    ['1', 1],
    ['-2.5', -2.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['0x1F', 31],
    ['abc', undefined],
    ['', undefined],
    ['1.2.3', undefined],
  ])('parseValue(%s)', (token, want) => {
    expect(parseValue(token)).toBe(want);
  });

  it('formats the special values the way the format spells them', () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.25].map(formatValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '0.25',
    ]);
  });

  it('formatSeries escapes values and round-trips through the parser', () => {
    expect(formatSeries('m', { a: 'x"y\\z\nw', le: '1' }, ['le'])).toBe('m{a="x\\"y\\\\z\\nw"}');
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/), fc.string({ maxLength: 30 }), {
          maxKeys: 5,
        }),
        fc.double({ noNaN: true }),
        (labels, value) => {
          const line = `${formatSeries('metric_name', labels)} ${formatValue(value)}`;
          const s = parseSampleLine(line);
          expect({ ...s.labels }).toEqual(labels);
          expect(s.value).toBe(value === 0 ? 0 : value);
        },
      ),
    );
  });
});

describe('estimateQuantile', () => {
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 60 },
    { le: 1, count: 90 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];

  it('interpolates inside the bucket the rank falls in, like histogram_quantile', () => {
    expect(estimateQuantile(0.5, buckets)).toBeCloseTo(0.1 + 0.4 * (40 / 50));
    expect(estimateQuantile(0.05, buckets)).toBeCloseTo(0.05);
    expect(estimateQuantile(0.9, buckets)).toBeCloseTo(1);
  });

  it('answers the last finite bound when the rank lands in +Inf', () => {
    expect(estimateQuantile(0.99, buckets)).toBe(1);
  });

  it('sorts unordered buckets and refuses what it cannot estimate', () => {
    expect(estimateQuantile(0.5, [...buckets].reverse())).toBeCloseTo(0.42);
    expect(estimateQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 5 }])).toBeUndefined();
    expect(
      estimateQuantile(0.5, [
        { le: 1, count: 5 },
        { le: 2, count: 6 },
      ]),
    ).toBeUndefined();
    expect(
      estimateQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ).toBeUndefined();
    expect(estimateQuantile(1.5, buckets)).toBeUndefined();
  });
});
