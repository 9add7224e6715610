// Hand-written Prometheus text exposition (prom-client costs ~13 MB RSS): counters and histograms with labels,
// with a cap on label sets so an unexpected label value can never grow memory without bound.

const MAX_SERIES = 1000;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelKey(names: readonly string[], values: Record<string, string>): string {
  return names.map((n) => `${n}="${escapeLabel(values[n] ?? '')}"`).join(',');
}

interface Metric {
  render(out: string[]): void;
}

export class Counter implements Metric {
  private readonly series = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels: Record<string, string>, by = 1): void {
    let key = labelKey(this.labelNames, labels);
    if (!this.series.has(key) && this.series.size >= MAX_SERIES) {
      key = labelKey(this.labelNames, Object.fromEntries(this.labelNames.map((n) => [n, 'other'])));
    }
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }

  get(labels: Record<string, string>): number {
    return this.series.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [k, v] of this.series) out.push(`${this.name}{${k}} ${v}`);
  }
}

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {}

  observe(labels: Record<string, string>, value: number): void {
    let key = labelKey(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_SERIES) {
        key = labelKey(this.labelNames, Object.fromEntries(this.labelNames.map((n) => [n, 'other'])));
        s = this.series.get(key);
      }
      if (!s) {
        s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
        this.series.set(key, s);
      }
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const [k, s] of this.series) {
      const sep = k ? ',' : '';
      for (let i = 0; i < this.buckets.length; i++)
        out.push(`${this.name}_bucket{${k}${sep}le="${this.buckets[i]}"} ${s.counts[i]}`);
      out.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum{${k}} ${s.sum}`, `${this.name}_count{${k}} ${s.count}`);
    }
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`);
  }
}

/** A gauge per label set, set by its owner (e.g. one depth per queue); same series cap as Counter. */
export class LabeledGauge implements Metric {
  private readonly series = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  set(labels: Record<string, string>, value: number): void {
    let key = labelKey(this.labelNames, labels);
    if (!this.series.has(key) && this.series.size >= MAX_SERIES) {
      key = labelKey(this.labelNames, Object.fromEntries(this.labelNames.map((n) => [n, 'other'])));
    }
    this.series.set(key, value);
  }

  get(labels: Record<string, string>): number | undefined {
    return this.series.get(labelKey(this.labelNames, labels));
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const [k, v] of this.series) out.push(`${this.name}{${k}} ${v}`);
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) m.render(out);
    return `${out.join('\n')}\n`;
  }
}

/** The documented sidecar metrics, plus process gauges. */
export interface SidecarMetrics {
  registry: Registry;
  toolExecutions: Counter;
  toolDuration: Histogram;
  localhostRequests: Counter;
}

export function createSidecarMetrics(): SidecarMetrics {
  const registry = new Registry();
  const toolExecutions = registry.register(
    new Counter('mcp_sidecar_tool_executions_total', 'Tool executions by tool and status', ['tool', 'status']),
  );
  const toolDuration = registry.register(
    new Histogram('mcp_sidecar_tool_duration_seconds', 'Tool execution time in seconds', ['tool']),
  );
  const localhostRequests = registry.register(
    new Counter('mcp_sidecar_localhost_requests_total', 'HTTP requests the sidecar made, by endpoint', ['endpoint']),
  );
  registry.register(
    new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes', () => process.memoryUsage.rss()),
  );
  registry.register(
    new Gauge('process_uptime_seconds', 'Process uptime in seconds', () => Math.round(process.uptime())),
  );
  registry.register(new Gauge('nodejs_heap_size_total_bytes', 'V8 heap size', () => process.memoryUsage().heapTotal));
  registry.register(new Gauge('nodejs_heap_size_used_bytes', 'V8 heap used', () => process.memoryUsage().heapUsed));
  registry.register(
    new Gauge(
      'nodejs_external_memory_bytes',
      'Memory of C++ objects bound to JS',
      () => process.memoryUsage().external,
    ),
  );
  return { registry, toolExecutions, toolDuration, localhostRequests };
}
