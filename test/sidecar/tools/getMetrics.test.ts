// get_metrics against a stand-in app serving real-looking Prometheus text on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { getMetrics, type MetricRow } from '../../../sidecar/tools/getMetrics.js';
import { call, makeContext, makeSettings, startServer, structured, type TestServer, textOf } from './helpers.js';

const METRICS = `# HELP http_requests_total Total requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200",route="/pay"} 1027
http_requests_total{method="POST",code="500",route="/pay"} 3
http_requests_total{method="GET",code="503",route="/refund \\"x\\""} 2
# TYPE http_requests_in_flight gauge
http_requests_in_flight 4
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/pay",le="0.1"} 10
http_request_duration_seconds_bucket{route="/pay",le="0.5"} 60
http_request_duration_seconds_bucket{route="/pay",le="1"} 90
http_request_duration_seconds_bucket{route="/pay",le="+Inf"} 100
http_request_duration_seconds_sum{route="/pay"} 42.5
http_request_duration_seconds_count{route="/pay"} 100
http_request_duration_seconds_bucket{route="/refund",le="0.1"} 1
http_request_duration_seconds_bucket{route="/refund",le="0.5"} 1
http_request_duration_seconds_bucket{route="/refund",le="1"} 1
http_request_duration_seconds_bucket{route="/refund",le="+Inf"} 1
http_request_duration_seconds_sum{route="/refund"} 0.05
http_request_duration_seconds_count{route="/refund"} 1
# TYPE rpc_latency summary
rpc_latency{quantile="0.5"} 0.2
rpc_latency{quantile="0.99"} 1.5
rpc_latency_sum 120
rpc_latency_count 400
# TYPE db_pool_wait gauge
db_pool_wait NaN
this line is broken
${Array.from({ length: 300 }, (_, i) => `queue_depth{queue="q${i}"} ${i}`).join('\n')}
`;

let app: TestServer;
beforeAll(async () => {
  app = await startServer((req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(METRICS);
    } else if (req.url === '/huge') {
      // Over the scrape cap: only the beginning is read, and the cut line is dropped.
      res.write('# TYPE filler gauge\n');
      const line = `filler{pad="${'p'.repeat(200)}"} 1\n`;
      for (let i = 0; i < 25_000; i++) res.write(line);
      res.end();
    } else if (req.url === '/slow') {
      // never answers
    } else {
      res.statusCode = 404;
      res.end('no such page');
    }
  });
});
afterAll(() => app.close());

const ctx = (metricsPath = '/metrics', toolTimeoutMs = 10_000) =>
  makeContext(makeSettings({ appUrl: app.url, metricsPath, toolTimeoutMs }));
const rowsOf = (r: Awaited<ReturnType<typeof call>>) => structured<{ rows: MetricRow[] }>(r).rows;

describe('get_metrics', () => {
  it('selects an exact family and renders name{labels} value rows with escapes', async () => {
    const r = await call(getMetrics, { name: 'http_requests_total' }, ctx());
    expect(rowsOf(r).map((x) => `${x.series} ${x.value}`)).toEqual([
      'http_requests_total{method="GET",code="200",route="/pay"} 1027',
      'http_requests_total{method="POST",code="500",route="/pay"} 3',
      'http_requests_total{method="GET",code="503",route="/refund \\"x\\""} 2',
    ]);
    expect(textOf(r)).toMatch(/^3 series matched, 3 shown \(family http_requests_total/);
    expect(textOf(r)).toContain('http_requests_total{method="POST",code="500",route="/pay"} 3');
  });

  it('falls back to a prefix when no family has exactly that name', async () => {
    const r = await call(getMetrics, { name: 'http_requests' }, ctx());
    const names = rowsOf(r).map((x) => x.series);
    expect(names).toContain('http_requests_in_flight');
    expect(names.filter((n) => n.startsWith('http_requests_total'))).toHaveLength(3);
    expect(textOf(r)).toContain('families starting with http_requests');
  });

  it('summarizes histograms per label set with count, sum and estimated quantiles', async () => {
    const r = await call(getMetrics, { name: 'http_request_duration_seconds' }, ctx());
    const rows = rowsOf(r);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      series: 'http_request_duration_seconds{route="/pay"}',
      type: 'histogram',
      value: 100,
      sum: 42.5,
      quantiles: { p50: 0.42, p90: 1, p99: 1 },
    });
    expect(textOf(r)).toContain('http_request_duration_seconds{route="/pay"} histogram count=100 sum=42.5 p50≈0.42');
  });

  it('accepts a series name for its family', async () => {
    const r = await call(getMetrics, { name: 'http_request_duration_seconds_bucket' }, ctx());
    expect(rowsOf(r).map((x) => x.type)).toEqual(['histogram', 'histogram']);
  });

  it('shows summaries with their exposed quantiles', async () => {
    const r = await call(getMetrics, { name: 'rpc_latency' }, ctx());
    expect(rowsOf(r)).toEqual([
      { series: 'rpc_latency', type: 'summary', value: 400, sum: 120, quantiles: { 'q0.5': 0.2, 'q0.99': 1.5 } },
    ]);
  });

  it('filters rows with match over name{labels}', async () => {
    const r = await call(getMetrics, { match: 'code="5..' }, ctx());
    expect(rowsOf(r).map((x) => x.value)).toEqual([3, 2]);
    expect(structured(r)).toMatchObject({ matched: 2, shown: 2 });
  });

  it('says how many rows matched versus were shown', async () => {
    const r = await call(getMetrics, { name: 'queue_depth', limit: 5 }, ctx());
    expect(structured(r)).toMatchObject({ matched: 300, shown: 5 });
    expect(textOf(r)).toMatch(/^300 series matched, 5 shown/);
    expect(textOf(r)).toContain('295 more rows');
    const all = await call(getMetrics, {}, ctx());
    expect(structured(all)['shown']).toBe(50);
  });

  it('reports NaN as the format spells it and notes malformed lines', async () => {
    const r = await call(getMetrics, { name: 'db_pool_wait' }, ctx());
    expect(rowsOf(r)[0]!.value).toBe('NaN');
    expect(textOf(r)).toContain('db_pool_wait NaN');
    expect(textOf(r)).toContain('1 malformed lines skipped');
  });

  it('lists similar families when nothing matched', async () => {
    const r = await call(getMetrics, { name: 'http_request_total' }, ctx());
    expect(structured(r)['matched']).toBe(0);
    expect(textOf(r)).toMatch(/nothing matched; similar families: .*http_requests_total/);
  });

  it('refuses patterns that could backtrack for ever, and over-long ones', async () => {
    await expect(call(getMetrics, { match: '(a+)+$' }, ctx())).rejects.toThrow(/exponential/);
    await expect(call(getMetrics, { match: '(x|xx)*y' }, ctx())).rejects.toThrow(ToolError);
    await expect(call(getMetrics, { match: '(a)\\1' }, ctx())).rejects.toThrow(/backreferences/);
    await expect(call(getMetrics, { match: 'a*b*c*d*e*' }, ctx())).rejects.toThrow(/unbounded/);
    await expect(call(getMetrics, { match: '[' }, ctx())).rejects.toThrow(/not a valid regular expression/);
    await expect(call(getMetrics, { match: 'a'.repeat(300) }, ctx())).rejects.toThrow(/too long/);
    await expect(call(getMetrics, { limit: 501 }, ctx())).rejects.toThrow(/<= 500/);
  });

  it('reads only the beginning of an oversized scrape and says so', async () => {
    const r = await call(getMetrics, { name: 'filler', limit: 1 }, ctx('/huge'));
    const s = structured(r);
    expect(s['scrape_truncated']).toBe(true);
    expect(s['matched']).toBeGreaterThan(1000);
    expect(textOf(r)).toContain('only its beginning was read');
    expect(textOf(r)).not.toContain('malformed');
    expect(textOf(r).length).toBeLessThan(2000);
  });

  it('fails with the status and the setting to check when the path is wrong', async () => {
    const err = await call(getMetrics, {}, ctx('/nope')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toContain('answered 404');
    expect((err as Error).message).toContain('METRICS_PATH');
  });

  it('reports a timeout', async () => {
    await expect(call(getMetrics, {}, ctx('/slow', 400))).rejects.toThrow(/timed out/);
  });
});
