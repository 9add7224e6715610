// The Grafana dashboard: it parses, has the overview panels, and every metric its PromQL names is one this product
// exports (the sidecar's and the control service's registries, the filter's stats per filter/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ControlMetrics } from '../../control/metrics.js';
import { createSidecarMetrics } from '../../sidecar/metrics.js';
import { ROOT } from '../support/cli.js';
import { read } from './support.js';

const dashboard = JSON.parse(read('dashboards/meshmcp-dashboard.json'));
const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));

/** Metric names (histograms also as _bucket, _sum, _count). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  const add = (name: string, type: string) => {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  };
  // The sidecar's hand-written exposition: its # TYPE lines.
  for (const [, name, type] of createSidecarMetrics()
    .registry.render()
    .matchAll(/^# TYPE (\S+) (\S+)$/gm))
    add(name!, type!);
  for (const m of await new ControlMetrics().registry.getMetricsAsJSON()) add(m.name, String(m.type));
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const m of await defaults.getMetricsAsJSON()) add(m.name, String(m.type));
  // The filter's stats: the Prometheus column of filter/README.md's metrics table; mcp_inbound_* are the same four.
  const readme = readFileSync(join(ROOT, 'filter/README.md'), 'utf8');
  for (const [, name, rest] of readme.matchAll(/^\| `mcp_gateway_[^`]+` \| `(mcp_gateway_[a-z_]+)[^`]*`(.*)$/gm)) {
    const type = rest!.includes('histogram') ? 'histogram' : 'counter';
    add(name!, type);
    add(name!.replace('mcp_gateway_', 'mcp_inbound_'), type);
  }
  return names;
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const next = bare.slice(m.index! + m[0].length).trimStart();
    if (next.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    out.push(m[0]);
  }
  return out;
}

describe('the Grafana dashboard', () => {
  it('has the overview panels', () => {
    const titles = dashboard.panels.map((p: any) => p.title.toLowerCase()).join('\n');
    for (const t of [
      'request rate per service',
      'p50 / p95 / p99',
      'error rate by tool',
      'discovery lag',
      'sidecar health',
      'memory',
    ])
      expect(titles).toContain(t);
    expect(dashboard.uid).toBe('meshmcp-overview');
  });

  it('reads only metrics this product exports', async () => {
    const names = await exported();
    expect(names).toContain('mcp_gateway_request_duration_milliseconds_bucket');
    expect(names).toContain('mcp_inbound_denials_total');
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap(metricNames));
    expect(used.size).toBeGreaterThan(10);
    for (const n of used) expect(names, n).toContain(n);
  });

  it('the name extraction is live', () => {
    expect(metricNames('sum by (tool) (rate(foo_total{a="b"}[5m])) / ignoring(x) bar')).toEqual(['foo_total', 'bar']);
  });
});
