// prometheus executor against a real Prometheus scraping itself: instant, range and named queries, safe
// substitution, caps and the errors a model gets.
// @module-tag prometheus
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTools, parseToolsConfig } from '../../../sidecar/toolsConfig/index.js';
import type { Tool } from '../../../sidecar/types.js';
import { closedUrl } from '../../support/ports.js';
import { type PrometheusServer, startPrometheus } from '../../support/prometheus.js';
import { callTool, testContext } from '../../support/toolContext.js';

let prom: PrometheusServer;
let tools: Map<string, Tool>;

beforeAll(async () => {
  prom = await startPrometheus();
  const errorRateExample = readFileSync(
    new URL('../../fixtures/tools/single-tool-error-rate.yaml', import.meta.url),
    'utf8',
  )
    .replace('http://prometheus.monitoring.svc:9090', prom.url)
    .trimEnd()
    .split('\n')
    .map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`))
    .join('\n');
  const yaml = `${errorRateExample}
- name: up_of_job
  description: Whether the targets of a job are up
  prometheus_query: up{job="{job}"}
  params: {job: {type: string, description: Scrape job name}}
- name: request_rate
  description: Request rate of this service by handler
  prometheus_query: topk({k}, sum by (handler) (rate(prometheus_http_requests_total{job="$SERVICE_NAME"}[{window}])))
  params:
    k: {type: integer, minimum: 1, maximum: 10, default: 3}
    window: {type: string, enum: [1m, 5m], default: 1m}
- name: scrape_overview
  description: Scrape health
  type: prometheus
  config:
    queries:
      - {name: up, query: up}
      - {name: samples, query: scrape_samples_scraped}
      - {name: broken, query: rate(up)}
- name: up_trend
  description: up over the last minute
  prometheus_query: up
  range: 1m
  step: 1s
- {name: many_series, description: d, prometheus_query: prometheus_http_request_duration_seconds_bucket, max_series: 2}
- {name: invalid, description: d, prometheus_query: rate(up)}
- {name: scalar, description: d, prometheus_query: scalar(vector(2.5))}
`;
  tools = new Map(
    buildTools(parseToolsConfig(yaml, 'tools.yaml', { serviceName: 'prometheus' })).map((t) => [t.name, t]),
  );
});

afterAll(async () => {
  await prom?.stop();
});

/** `null`: the sidecar has no PROMETHEUS_URL */
const ctx = (prometheusUrl: string | null = prom.url) =>
  testContext({
    settings: { serviceName: 'prometheus', prometheusUrl: prometheusUrl ?? undefined },
    allowed: [new URL(prom.url).host],
  });
const run = (name: string, args: Record<string, unknown> = {}, c = ctx()) => callTool(tools.get(name)!, args, c);

describe('prometheus executor', () => {
  it('runs an instant query with a quoted param and lists series with labels and values', async () => {
    const r = await run('up_of_job', { job: 'prometheus' });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toMatchObject({
      query: 'up{job="prometheus"}',
      result_type: 'vector',
      series_total: 1,
    });
    expect(r.content[0]!.text).toContain('up{');
    expect(r.content[0]!.text).toContain('job="prometheus"');
    expect(r.content[0]!.text).toMatch(/\} 1$/m);
  });

  it('keeps an injection attempt inside the label value', async () => {
    const r = await run('up_of_job', { job: '"} or vector(1) or up{job="' });
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toMatchObject({ series_total: 0 });
    expect(String(r.structuredContent!['query'])).toBe('up{job="\\"} or vector(1) or up{job=\\""}');
  });

  it('runs the get_error_rate example with $SERVICE_NAME and its own prometheus_url', async () => {
    const tool = tools.get('get_error_rate')!;
    expect(tool.allowedHosts).toEqual([new URL(prom.url).host]);
    const r = await run('get_error_rate', {}, ctx(null));
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent!['query']).toBe('rate(http_requests_total{job="prometheus",status=~"5.."}[5m])');
    expect(r.content[0]!.text).toContain('no series');
  });

  it('substitutes numbers and enum values outside quotes', async () => {
    const r = await run('request_rate', { k: 2, window: '1m' });
    expect(r.structuredContent!['query']).toBe(
      'topk(2, sum by (handler) (rate(prometheus_http_requests_total{job="prometheus"}[1m])))',
    );
    expect(Number(r.structuredContent!['series_total'])).toBeLessThanOrEqual(2);
  });

  it('runs named queries and keeps partial answers when one fails', async () => {
    const r = await run('scrape_overview');
    expect(r.isError).toBeUndefined();
    const q = r.structuredContent!['queries'] as Record<string, Record<string, unknown>>;
    expect(q['up']).toMatchObject({ result_type: 'vector', series_total: 1 });
    expect(q['samples']).toMatchObject({ result_type: 'vector' });
    expect(String(q['broken']!['error'])).toContain('Prometheus rejected the query (bad_data)');
    expect(r.content[0]!.text).toContain('## up: up');
    expect(r.content[0]!.text).toContain('## broken: rate(up)\nerror:');
  });

  it('summarises a range query per series', async () => {
    const r = await run('up_trend');
    expect(r.structuredContent).toMatchObject({ result_type: 'matrix', range_seconds: 60, step_seconds: 1 });
    const [series] = r.structuredContent!['series'] as { last: number; min: number; max: number; points: number }[];
    expect(series).toMatchObject({ last: 1, max: 1 });
    expect(series!.points).toBeGreaterThan(0);
    expect(r.content[0]!.text).toMatch(/last=1 min=\d max=1 avg=[\d.]+ \(\d+ points\)/);
  });

  it('caps the number of series shown', async () => {
    const r = await run('many_series');
    expect(Number(r.structuredContent!['series_total'])).toBeGreaterThan(2);
    expect(r.structuredContent!['series_shown']).toBe(2);
    expect(r.content[0]!.text).toMatch(/… \d+ more series not shown/);
  });

  it('formats scalars', async () => {
    const r = await run('scalar');
    expect(r.structuredContent).toMatchObject({ result_type: 'scalar', value: '2.5' });
  });

  it("reports Prometheus's own error for a bad query", async () => {
    await expect(run('invalid')).rejects.toThrow(/Prometheus rejected the query \(bad_data\): .*range vector/);
  });

  it('says to set PROMETHEUS_URL when none is configured', async () => {
    await expect(run('up_of_job', { job: 'x' }, ctx(null))).rejects.toThrow(/set PROMETHEUS_URL/);
  });

  it('reports an unreachable Prometheus as a ToolError', async () => {
    const url = await closedUrl();
    const down = testContext({ settings: { prometheusUrl: url }, allowed: [new URL(url).host] });
    await expect(run('up_of_job', { job: 'x' }, down)).rejects.toThrow(`Prometheus at ${url} did not answer`);
  });
});
