// Sidecar speed and memory: the bundled sidecar (as the image ships it) in front of the payment-service demo app.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { configDumpBody, getMetricsBody, mcpCall, sidecarArgs, startBigUpstream } from './bigUpstream.js';
import { toolCallBody } from './mcpPost.js';
import { memoryMiB, type Started, startProcess } from './proc.js';
import { type Figures, percentile, round } from './results.js';

const LATENCY_CALLS = 2000;
const LOAD_CALLS = 10_000;
const CONCURRENCY = 16;
const STARTUP_RUNS = 5;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const call = mcpCall(agent);

const HEAVY_CALLS = 20;

/** RSS after HEAVY_CALLS calls each of get_metrics and query_envoy config_dump against 4 MiB answers. */
export async function benchSidecarHeavy(root: string): Promise<Figures> {
  const upstream = await startBigUpstream();
  const base = `http://127.0.0.1:${upstream.port}`;
  const sidecar = await startProcess(sidecarArgs(base, base), root);
  try {
    let peak = { rss: 0, anon: 0 };
    for (let i = 0; i < HEAVY_CALLS; i++) {
      await call(sidecar.port, getMetricsBody(i));
      await call(sidecar.port, configDumpBody(i));
      const m = memoryMiB(sidecar.child.pid!);
      peak = { rss: Math.max(peak.rss, m.rss), anon: Math.max(peak.anon, m.anon) };
    }
    return {
      sidecar_rss_peak_heavy_calls_mib: { value: round(peak.rss, 1), unit: 'MiB', goal: '< 64 (pod limit)' },
      sidecar_anon_peak_heavy_calls_mib: { value: round(peak.anon, 1), unit: 'MiB' },
    };
  } finally {
    await sidecar.stop();
    upstream.close();
    agent.destroy();
  }
}

export async function benchSidecar(root: string): Promise<Figures> {
  const app = await startProcess(['bin/meshmcp.js', 'demo', 'payment-service', '--port', '0'], root);
  let sidecar: Started | undefined;
  try {
    const startups: number[] = [];
    for (let i = 0; i < STARTUP_RUNS; i++) {
      const s = await startProcess(sidecarArgs(`http://127.0.0.1:${app.port}`), root);
      startups.push(s.startupMs);
      await s.stop();
    }
    startups.sort((a, b) => a - b);

    sidecar = await startProcess(sidecarArgs(`http://127.0.0.1:${app.port}`), root);
    const port = sidecar.port;
    await call(port, toolCallBody('get_health', 0));
    await sleep(1000);
    const idle = memoryMiB(sidecar.child.pid!);

    // Latency: one call at a time, so each figure is the sidecar's own path plus the app's trivial /health.
    const direct: number[] = [];
    const lat: number[] = [];
    const list: number[] = [];
    for (let i = 0; i < LATENCY_CALLS; i++) {
      direct.push(await directHealth(app.port));
      lat.push(await call(port, toolCallBody('get_health', i)));
      list.push(await call(port, JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list' })));
    }
    for (const a of [direct, lat, list]) a.sort((x, y) => x - y);

    // Throughput and memory under load: LOAD_CALLS calls with CONCURRENCY in flight.
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < LOAD_CALLS) await call(port, toolCallBody('get_health', next++));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = memoryMiB(sidecar.child.pid!);

    return {
      sidecar_rss_idle_mib: { value: round(idle.rss, 1), unit: 'MiB', goal: '<= 52' },
      sidecar_anon_idle_mib: { value: round(idle.anon, 1), unit: 'MiB' },
      sidecar_rss_after_10k_calls_mib: { value: round(after.rss, 1), unit: 'MiB', goal: '<= 58' },
      sidecar_anon_after_10k_calls_mib: { value: round(after.anon, 1), unit: 'MiB', goal: '<= 24' },
      sidecar_startup_ms: { value: round(percentile(startups, 50), 0), unit: 'ms', goal: '<= 300' },
      sidecar_get_health_p50_ms: { value: round(percentile(lat, 50), 3), unit: 'ms' },
      sidecar_get_health_p99_ms: { value: round(percentile(lat, 99), 3), unit: 'ms', goal: '<= 5' },
      sidecar_tools_list_p50_ms: { value: round(percentile(list, 50), 3), unit: 'ms' },
      app_health_direct_p50_ms: { value: round(percentile(direct, 50), 3), unit: 'ms' },
      sidecar_calls_per_s: { value: round(LOAD_CALLS / seconds, 0), unit: 'calls/s' },
    };
  } finally {
    await sidecar?.stop();
    await app.stop();
  }
}

function directHealth(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - t0));
      })
      .on('error', reject);
  });
}
