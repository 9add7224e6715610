// The whole local mesh (`meshmcp dev`, each part its own process) under load: tools/call latency through the gateway
// (meshmcp.wasm in gateway mode → pod proxy, sidecar mode over mTLS → MCP sidecar → demo app) against the same call
// straight to the sidecar, the pod proxy's share of the difference, throughput at concurrency 32, and the gateway
// front's memory.
//
// - The tool is payment-service__get_health: one GET /health on the app, the simplest call that reaches it (the
//   "simple tool" of the p50 goal; the sidecar suite measures the same tool alone). Every call sends the same body, with the
//   prefixed name, which the sidecar also accepts; only the port and the credentials differ.
// - Raw keep-alive node:http POSTs in the stateless 2025-11-25 form: no initialize is needed (the gateway routes a
//   tools/call by its body, and the sidecar has no sessions); any non-200 answer, JSON-RPC error or isError result
//   fails the run.
// - `--rate-limit 250000`: the dev policy's per-caller limit (50/s, bursts of 200) would otherwise throttle the load.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_PORT_RUN_LENGTH, devPortRun, devPortRunFlags } from '../cli/devMesh.js';
import { freePortRun } from '../cli/devProcesses.js';
import { type Target, timedPost, toolCallBody } from './mcpPost.js';
import { cpuSeconds, memoryMiB } from './proc.js';
import { type Figures, percentile, round } from './results.js';

const LATENCY_CALLS = 2000;
const WARMUP_CALLS = 300;
const LOAD_CALLS = 10_000;
const CONCURRENCY = 32;
const START_WAIT_MS = 120_000;
export const ADMIN_KEY = 'bench-admin-key-0001';
const RATE_LIMIT = 250_000;
const TOOL = 'payment-service__get_health';

const progress = (msg: string) => process.stdout.write(`bench: e2e: ${msg}\n`);

export interface Mesh {
  gateway: number;
  /** The gateway's Envoy-like admin port (/stats/prometheus). */
  admin: number;
  /** The control service (/metrics). */
  control: number;
  sidecar: number;
  proxy: number;
  dir: string;
  pids: Record<string, number>;
  /** The inspector URL of each part startMesh was asked to inspect, by part name. */
  inspectors: Record<string, string>;
  stop(): Promise<void>;
}

let running: ChildProcess | undefined;
// Last resort if the bench dies between start and stop: SIGTERM lets `meshmcp dev` stop every part it started.
process.once('exit', () => running?.kill('SIGTERM'));

/**
 * `meshmcp dev` on a free run of ports: gateway, admin, control, then 3 apps, 3 sidecars, 3 pod proxies, the logs
 * pack and its pod proxy.
 */
export async function startMesh(root: string, inspect: string[] = []): Promise<Mesh> {
  const p = devPortRun(await freePortRun(DEV_PORT_RUN_LENGTH));
  const dir = await mkdtemp(join(tmpdir(), 'meshmcp-bench-e2e-'));
  const child = spawn(
    process.execPath,
    [
      'bin/meshmcp.js',
      'dev',
      ...['--dir', dir, '--api-key', ADMIN_KEY, '--readonly-api-key', 'bench-readonly-key-0001'],
      ...devPortRunFlags(p),
      ...['--no-prometheus', '--rate-limit', String(RATE_LIMIT)],
      ...(inspect.length > 0 ? ['--inspect', inspect.join(',')] : []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running = child;
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    running = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_WAIT_MS;
  while (!(out.includes('Ctrl-C stops everything') && existsSync(join(dir, 'pids.json')))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null ? `exited with ${child.exitCode}` : `not up after ${START_WAIT_MS} ms`;
      await stop();
      throw new Error(`meshmcp dev ${why}:\n${out}`);
    }
    await sleep(50);
  }
  const pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as Record<string, number>;
  const inspectors =
    inspect.length > 0
      ? (JSON.parse(readFileSync(join(dir, 'inspectors.json'), 'utf8')) as Record<string, string>)
      : {};
  return {
    gateway: p.gateway,
    admin: p.admin,
    control: p.control,
    sidecar: p.sidecar['payment-service'],
    proxy: p.proxy['payment-service'],
    dir,
    pids,
    inspectors,
    stop,
  };
}

const body = (id: number) => toolCallBody(TOOL, id);

/** One call of the tool, accepted only as a 200 with a result that is not isError. */
const call = (t: Target, id: number): Promise<number> =>
  timedPost(
    t,
    body(id),
    (status, text) => status === 200 && text.includes('"result"') && !text.includes('"isError":true'),
  );

const p = (sorted: number[], q: number) => round(percentile(sorted, q), 3);

/** The parts one call passes through, and this process (the load's client). */
const PATH_PARTS = ['gateway', 'payment-service-proxy', 'payment-service-mcp', 'payment-service'];

function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of PATH_PARTS) out[part] = cpuSeconds(pids[part]!);
  const self = process.cpuUsage();
  out['bench client'] = (self.user + self.system) / 1e6;
  return out;
}

export async function benchE2e(root: string): Promise<Figures> {
  progress(`starting the local mesh (meshmcp dev --rate-limit ${RATE_LIMIT} --no-prometheus)...`);
  const t0 = performance.now();
  const mesh = await startMesh(root);
  progress(`mesh up in ${round((performance.now() - t0) / 1000, 1)} s`);
  const agentOptions = { keepAlive: true, maxSockets: CONCURRENCY };
  const httpAgent = new http.Agent(agentOptions);
  const certs = join(mesh.dir, 'certs');
  // The pod proxy as the gateway reaches it: mTLS with the gateway's SPIFFE certificate. The gateway checks the
  // pod's URI SAN, not a host name, so neither does this client.
  const tlsAgent = new https.Agent({
    ...agentOptions,
    cert: readFileSync(join(certs, 'gateway.crt')),
    key: readFileSync(join(certs, 'gateway.key')),
    ca: readFileSync(join(certs, 'ca.crt')),
    checkServerIdentity: () => undefined,
  });
  const host = '127.0.0.1';
  const gateway: Target = {
    module: http,
    options: { host, port: mesh.gateway, agent: httpAgent, headers: { authorization: `Bearer ${ADMIN_KEY}` } },
  };
  const direct: Target = { module: http, options: { host, port: mesh.sidecar, agent: httpAgent } };
  const pod: Target = {
    module: https,
    options: {
      host,
      port: mesh.proxy,
      agent: tlsAgent,
      headers: { 'x-meshmcp-principal': 'bench', 'x-meshmcp-service': 'payment-service' },
    },
  };
  try {
    const gatewayPid = mesh.pids['gateway']!;
    const idle = memoryMiB(gatewayPid);
    for (let i = 0; i < WARMUP_CALLS; i++) {
      await call(gateway, i);
      await call(pod, i);
      await call(direct, i);
    }

    // Latency: one call at a time, interleaved, so the three paths see the same machine.
    const lat = { gateway: [] as number[], pod: [] as number[], direct: [] as number[] };
    for (let i = 0; i < LATENCY_CALLS; i++) {
      lat.gateway.push(await call(gateway, i));
      lat.pod.push(await call(pod, i));
      lat.direct.push(await call(direct, i));
    }
    for (const a of Object.values(lat)) a.sort((x, y) => x - y);
    progress(
      `p50 gateway ${p(lat.gateway, 50)} ms, pod proxy ${p(lat.pod, 50)} ms, sidecar ${p(lat.direct, 50)} ms ` +
        `over ${LATENCY_CALLS} calls each`,
    );

    // Throughput through the gateway: LOAD_CALLS with CONCURRENCY in flight; a single failure fails the run.
    let next = 0;
    let peakRss = idle.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryMiB(gatewayPid).rss);
    }, 100);
    const cpu0 = cpuSnapshot(mesh.pids);
    const tLoad = performance.now();
    try {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < LOAD_CALLS) await call(gateway, next++);
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - tLoad) / 1000;
    const cpu1 = cpuSnapshot(mesh.pids);
    const after = memoryMiB(gatewayPid);
    progress(`${LOAD_CALLS} calls at concurrency ${CONCURRENCY} in ${round(seconds, 2)} s, no errors`);
    // Where the 2 cores went: CPU ms per call of each process on the path (all share the machine).
    const perCall = (part: string) => ((cpu1[part]! - cpu0[part]!) * 1000) / LOAD_CALLS;
    progress(
      `CPU per call: ${Object.keys(cpu0)
        .map((k) => `${k} ${round(perCall(k), 3)} ms`)
        .join(', ')}`,
    );

    return {
      e2e_tools_call_p50_ms: { value: p(lat.gateway, 50), unit: 'ms', goal: '< 50 (simple tool)' },
      e2e_tools_call_p99_ms: { value: p(lat.gateway, 99), unit: 'ms' },
      e2e_pod_proxy_p50_ms: { value: p(lat.pod, 50), unit: 'ms' },
      e2e_direct_p50_ms: { value: p(lat.direct, 50), unit: 'ms' },
      e2e_direct_p99_ms: { value: p(lat.direct, 99), unit: 'ms' },
      gateway_overhead_p50_ms: {
        value: round(percentile(lat.gateway, 50) - percentile(lat.direct, 50), 3),
        unit: 'ms',
      },
      e2e_calls_per_s: { value: round(LOAD_CALLS / seconds, 0), unit: 'calls/s', goal: '> 1000 (gateway)' },
      e2e_gateway_cpu_ms_per_call: { value: round(perCall('gateway'), 3), unit: 'ms' },
      e2e_gateway_rss_idle_mib: { value: round(idle.rss, 1), unit: 'MiB' },
      e2e_gateway_rss_peak_load_mib: { value: round(peakRss, 1), unit: 'MiB' },
      e2e_gateway_anon_after_load_mib: { value: round(after.anon, 1), unit: 'MiB' },
    };
  } finally {
    httpAgent.destroy();
    tlsAgent.destroy();
    await mesh.stop();
  }
}
