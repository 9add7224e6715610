// Stats defined by proxy_define_metric: one store per plugin (Envoy's stats are shared by all workers), per-VM ids.

import { MetricType, WasmResult } from './abi.js';

/** Envoy prefixes wasm-defined stats with this custom stat namespace. */
export const CUSTOM_NAMESPACE = 'wasmcustom';

// Envoy's default histogram buckets, so exported histograms line up with a real proxy's.
const BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export interface MetricSnapshot {
  type: 'counter' | 'gauge' | 'histogram';
  value: number;
  /** Histograms only: every recorded value, for tests that assert on distributions. */
  samples?: number[];
}

interface Stat {
  type: MetricType;
  value: bigint;
  samples: number[];
}

export class MetricStore {
  private readonly stats = new Map<string, Stat>();

  define(type: MetricType, name: string): Stat {
    const full = `${CUSTOM_NAMESPACE}.${name}`;
    let stat = this.stats.get(full);
    if (!stat) {
      stat = { type, value: 0n, samples: [] };
      this.stats.set(full, stat);
    }
    return stat;
  }

  snapshot(): Record<string, MetricSnapshot> {
    const out: Record<string, MetricSnapshot> = {};
    for (const [name, stat] of [...this.stats].sort(([a], [b]) => a.localeCompare(b))) {
      const type =
        stat.type === MetricType.Counter ? 'counter' : stat.type === MetricType.Gauge ? 'gauge' : 'histogram';
      out[name] =
        type === 'histogram'
          ? { type, value: stat.samples.length, samples: [...stat.samples] }
          : { type, value: Number(stat.value) };
    }
    return out;
  }

  /**
   * Prometheus text as Envoy's /stats/prometheus writes custom-namespace stats: the `wasmcustom.` prefix is dropped
   * and no `envoy_` prefix is added, so `wasmcustom.mcp_requests_total` is exported as `mcp_requests_total`. Tags
   * (Envoy's `stats_config.stats_tags`) turn name segments into labels: each regex's first capture group is cut from
   * the name and its second is the label value, every regex matched against the original name.
   */
  prometheus(tags: StatsTag[] = []): string {
    const compiled = tags.map((t) => ({ name: t.tag_name, re: new RegExp(t.regex, 'd') }));
    const families = new Map<string, { type: MetricType; series: Array<{ labels: string; stat: Stat }> }>();
    for (const [full, stat] of [...this.stats].sort(([a], [b]) => a.localeCompare(b))) {
      const { name, labels } = extractTags(full, compiled);
      const metric = name.slice(CUSTOM_NAMESPACE.length + 1).replace(/[^a-zA-Z0-9_]/g, '_');
      let family = families.get(metric);
      if (!family) {
        family = { type: stat.type, series: [] };
        families.set(metric, family);
      }
      family.series.push({ labels, stat });
    }
    const lines: string[] = [];
    for (const [metric, family] of families) {
      const type =
        family.type === MetricType.Histogram ? 'histogram' : family.type === MetricType.Counter ? 'counter' : 'gauge';
      lines.push(`# TYPE ${metric} ${type}`);
      for (const { labels, stat } of family.series) {
        const plain = labels ? `{${labels}}` : '';
        if (stat.type !== MetricType.Histogram) {
          lines.push(`${metric}${plain} ${stat.value}`);
          continue;
        }
        const sep = labels ? `${labels},` : '';
        for (const le of BUCKETS) {
          lines.push(`${metric}_bucket{${sep}le="${le}"} ${stat.samples.filter((s) => s <= le).length}`);
        }
        lines.push(`${metric}_bucket{${sep}le="+Inf"} ${stat.samples.length}`);
        lines.push(`${metric}_sum${plain} ${stat.samples.reduce((a, b) => a + b, 0)}`);
        lines.push(`${metric}_count${plain} ${stat.samples.length}`);
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

/** One entry of Envoy's `stats_config.stats_tags` (the same field names, so the file can go into a bootstrap). */
export interface StatsTag {
  tag_name: string;
  regex: string;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Envoy's TagExtractorStdRegexImpl: every extractor sees the original name; the removals are applied together. */
function extractTags(full: string, tags: Array<{ name: string; re: RegExp }>): { name: string; labels: string } {
  const cuts: Array<[number, number]> = [];
  const labels: string[] = [];
  for (const { name, re } of tags) {
    const m = re.exec(full);
    const cut = m?.indices?.[1];
    if (!m || !cut || m[2] === undefined) continue;
    cuts.push([cut[0], cut[1]]);
    labels.push(`${name}="${escapeLabel(m[2])}"`);
  }
  let name = '';
  let at = 0;
  for (const [s, e] of cuts.sort((a, b) => a[0] - b[0])) {
    if (s < at) continue;
    name += full.slice(at, s);
    at = e;
  }
  name += full.slice(at);
  return { name, labels: labels.join(',') };
}

// Envoy encodes the type in the id's low two bits and steps ids by 4.
const TYPE_MASK = 0x3;
const ID_STEP = 0x4;

/** One VM's view: its own metric ids, resolving to the plugin-wide stats. */
export class VmMetrics {
  private readonly byId = new Map<number, Stat>();
  private nextId = 0;

  constructor(private readonly store: MetricStore) {}

  define(type: number, name: string): { result: WasmResult; id?: number } {
    if (type > MetricType.Histogram) return { result: WasmResult.BadArgument };
    this.nextId += ID_STEP;
    const id = (this.nextId | type) >>> 0;
    this.byId.set(id, this.store.define(type, name));
    return { result: WasmResult.Ok, id };
  }

  increment(id: number, offset: bigint): WasmResult {
    // Envoy dispatches on the id's type bits first: a histogram id is a bad argument even if unknown.
    if ((id & TYPE_MASK) > MetricType.Gauge) return WasmResult.BadArgument;
    const stat = this.byId.get(id);
    if (!stat) return WasmResult.NotFound;
    if (stat.type === MetricType.Counter) {
      if (offset <= 0n) return WasmResult.BadArgument;
      stat.value += offset;
      return WasmResult.Ok;
    }
    stat.value += offset;
    return WasmResult.Ok;
  }

  record(id: number, value: bigint): WasmResult {
    const stat = this.byId.get(id);
    if (!stat) return WasmResult.NotFound;
    if (stat.type === MetricType.Counter) stat.value += value;
    else if (stat.type === MetricType.Gauge) stat.value = value;
    else stat.samples.push(Number(value));
    return WasmResult.Ok;
  }

  get(id: number): { result: WasmResult; value?: bigint } {
    if ((id & TYPE_MASK) > MetricType.Gauge) return { result: WasmResult.BadArgument };
    const stat = this.byId.get(id);
    if (!stat) return { result: WasmResult.NotFound };
    return { result: WasmResult.Ok, value: stat.value };
  }
}
