// The prometheus pack against a real Prometheus scraping itself: instant and range queries (statistics and a
// sparkline per series), alerts, targets, series, label values and metadata; names checked against Prometheus's
// grammar before any request; the errors a model gets. And `meshmcp sidecar --pack` as the command takes it.
// @module-tag prometheus
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshClient, runChatCommand } from '../../../client/index.js';
import { parseOptions } from '../../../shared/options.js';
import { SIDECAR_OPTIONS, settingsFromOptions } from '../../../sidecar/config.js';
import { prometheusPack } from '../../../sidecar/packs/prometheus.js';
import { sparkline } from '../../../sidecar/toolsConfig/prometheus/execute.js';
import { ROOT } from '../../support/cli.js';
import { type PrometheusServer, startPrometheus } from '../../support/prometheus.js';
import { listeningUrl } from '../../support/sidecar.js';
import { callTool, testContext } from '../../support/toolContext.js';

let prom: PrometheusServer;

beforeAll(async () => {
  prom = await startPrometheus();
});

afterAll(async () => {
  await prom?.stop();
});

const ctx = () =>
  testContext({ settings: { serviceName: 'prometheus', prometheusUrl: prom.url }, allowed: [new URL(prom.url).host] });
const tool = (name: string) => prometheusPack.find((t) => t.name === name)!;
const run = (name: string, args: Record<string, unknown> = {}) => callTool(tool(name), args, ctx());
const text = (r: { content: Array<{ text?: string }> }) => r.content[0]!.text!;

describe('prometheus pack', () => {
  it('offers its tools read-only, query first (so `mcp prometheus query cpu_usage` maps the word to the PromQL)', () => {
    expect(prometheusPack.map((t) => t.name)).toEqual([
      'query',
      'query_range',
      'alerts',
      'targets',
      'series',
      'label_values',
      'metadata',
    ]);
    expect(prometheusPack.every((t) => t.annotations.readOnlyHint === true)).toBe(true);
    expect(Object.keys(tool('query').inputSchema.properties ?? {})[0]).toBe('query');
  });

  it('query: the current value of each series', async () => {
    const r = await run('query', { query: 'up' });
    expect(r.isError).toBeUndefined();
    expect(text(r)).toMatch(/^PromQL: up\nup\{.*job="prometheus".*\} 1$/m);
  });

  it('query_range: last, min, max, avg and a sparkline per series', async () => {
    const r = await run('query_range', { query: 'prometheus_tsdb_head_series', range: '30s', step: '1s' });
    expect(r.isError).toBeUndefined();
    expect(text(r)).toMatch(/last=\d+ min=\d+ max=\d+ avg=[\d.]+ \(\d+ points\) [▁▂▃▄▅▆▇█]+$/m);
    expect(r.structuredContent).toMatchObject({ range_seconds: 30, step_seconds: 1 });
  });

  it('query_range refuses a window it cannot answer, naming the fix', async () => {
    await expect(run('query_range', { query: 'up', range: '30d' })).rejects.toThrow('range may be at most 7d');
    await expect(run('query_range', { query: 'up', range: '1d', step: '1s' })).rejects.toThrow('raise step');
    await expect(run('query_range', { query: 'up', range: 'soon' })).rejects.toThrow('is not a duration');
  });

  it('targets: the scrape targets and their health', async () => {
    const r = await run('targets');
    expect(text(r)).toMatch(/^1 targets, 0 not up\nup prometheus 127\.0\.0\.1:\d+/);
  });

  it('alerts: none firing on a Prometheus without rules, said plainly', async () => {
    expect(text(await run('alerts'))).toBe('no alerts are firing or pending');
  });

  it('series, label values and metadata', async () => {
    expect(text(await run('series', { match: 'up' }))).toMatch(/^up\{instance="127\.0\.0\.1:\d+", job="prometheus"\}/);
    expect(text(await run('label_values', { label: 'job' }))).toBe('job: 1 values\nprometheus');
    expect(text(await run('metadata', { metric: 'prometheus_tsdb_head_series' }))).toMatch(
      /^prometheus_tsdb_head_series \(gauge\): /,
    );
  });

  it('checks names against Prometheus’s grammar before any request', async () => {
    await expect(run('label_values', { label: 'job/../../admin' })).rejects.toThrow('is not a label name');
    await expect(run('metadata', { metric: 'up{}' })).rejects.toThrow('is not a metric name');
  });

  it('passes Prometheus’s own refusal on, with its reason', async () => {
    await expect(run('query', { query: 'rate(up)' })).rejects.toThrow(/Prometheus rejected the query \(bad_data\)/);
  });

  it('draws sparklines between the min and the max', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).toBe('▁▁▁');
    expect(sparkline(Array.from({ length: 400 }, (_, i) => i)).length).toBe(40);
  });
});

describe('meshmcp sidecar --pack', () => {
  const settings = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
    settingsFromOptions(parseOptions(SIDECAR_OPTIONS, argv, env).values);

  it('takes the pack, names the service after it, and needs a Prometheus', () => {
    expect(settings(['--pack', 'prometheus', '--prometheus-url', 'http://127.0.0.1:9090'])).toMatchObject({
      pack: 'prometheus',
      serviceName: 'prometheus',
    });
    expect(() => settings(['--pack', 'prometheus'])).toThrow(/needs a Prometheus: pass --prometheus-url/);
    expect(() => settings(['--pack', 'grafana'])).toThrow(/not a pack of this build: kubernetes, prometheus, logs/);
  });
});

describe('the pack as its own MCP server', () => {
  it('runs as `meshmcp sidecar --pack prometheus` and answers `mcp prometheus query cpu_usage` verbatim', async () => {
    const child = spawn(
      process.execPath,
      ['bin/meshmcp.js', 'sidecar', '--pack', 'prometheus', '--prometheus-url', prom.url, '--port', '0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await listeningUrl(child);
      const health = await fetch(url.replace(/\/mcp$/, '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ready: true, prometheus: { reachable: true, status: 200 } });
      const client = new MeshClient({ servers: { prometheus: url } });
      const list = await runChatCommand(client, 'mcp list');
      expect(list).toContain('**prometheus** (7 tools)');
      expect(await runChatCommand(client, 'mcp prometheus query cpu_usage')).toBe(
        '**prometheus query**\n```\nPromQL: cpu_usage\n(no series: the query matched nothing)\n```',
      );
      expect(await runChatCommand(client, 'mcp prometheus query up')).toMatch(/^up\{.*\} 1$/m);
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
