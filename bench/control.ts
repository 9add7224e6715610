// The control service: how long one caller takes to list the whole aggregated catalog over HTTP, how long one full
// catalog round (tools/list from every sidecar + build) takes against real sidecars, and how long render takes, for
// catalogs of 36, 500 and 2000 services (catalog builds also for 10,000).
//
// - tools/list: the real fastify app (buildApp + McpEndpoint) on loopback, a catalog given as data (built by the real
//   buildCatalog from four of the sidecar's generic tools and one service-specific tool per service), one caller
//   (principal bench, group sre) walking every page with raw keep-alive POSTs in the stateless 2025-11-25 form. The
//   app and the caller each run in a fresh process of their own (bench/controlServer.ts, bench/toolsListWalker.ts),
//   as a caller reaches the service: the caller's work and its garbage collection (a walk of 2000 services reads
//   ~12 MB) do not stop the service's event loop, and neither runs in this process's heap, which the render figures
//   before leave large. The caller reads only nextCursor from each timed answer, and parses one walk whole at the end.
// - catalog build: the real CatalogRunner against real sidecars (startSidecar with the generic tools), n of them in
//   child processes of up to FLEET_CHUNK each (bench/sidecarFleet.ts) on 127.0.0.1. A child has its own event loop
//   but shares the machine's cores with this process, and it runs without the sidecar's interpreter-only flags (a
//   real sidecar answers slower per request but in parallel with the others). Each round is cold: a fresh runner (no
//   known era, so each sidecar gets the server/discover probe then tools/list) after every connection was closed.
//   Then, for 2,000 and 10,000, what keeps the catalog fresh once built (benchWarmRefresh): a tick of the refresh
//   timer (the services whose slot came), a rollout of one service, and every service at once.
// - render: renderAll over the data catalog (bench/dataCatalog.ts), with a representative render configuration: what
//   the control service does per catalog change (apply sends the objects as JSON); apart from it, toYaml of those
//   objects, which only `meshmcp render` pays. The largest such catalog that still renders (bisection), with the size
//   of the largest object rendered for it. And 10,000 services as three shards by namespace (SHARDS), each rendered
//   by its own control service: render time, objects and JSON bytes per shard, the largest object; the same 10,000
//   unsharded are refused. Applying them needs an API server: test/cluster/shards.test.ts prints that time.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CatalogRunner, refreshTickMs } from '../control/catalog/runner.js';
import { toYaml } from '../control/managedObjects.js';
import { parseRenderConfig, RenderError, renderAll } from '../control/render/index.js';
import type { Catalog, DiscoveredService, GatewayPolicy } from '../control/types.js';
import { dataCatalog, discovered, SHARDS } from './dataCatalog.js';
import { startLineChild } from './lineChild.js';
import { cpuSeconds, memoryMiB } from './proc.js';
import { type Figures, median, percentile, round } from './results.js';
import type { WalkerJob, WalkerResult } from './toolsListWalker.js';

const SIZES = [36, 500, 2000] as const;
/** Catalog builds go up to the largest mesh the issue of scale names (sharded for render, whole here). */
const BUILD_SIZES = [...SIZES, 10_000] as const;
/** Measured walks of the whole catalog per size (after WARMUP_WALKS). */
const WALKS: Record<number, number> = { 36: 300, 2000: 100, 10000: 20 };
const WARMUP_WALKS: Record<number, number> = { 36: 50, 2000: 10, 10000: 3 };
const FIRST_PAGE_CALLS = 300;
const CATALOG_ROUNDS = 3;
/** Ticks and rollouts timed per warm-refresh figure. */
const WARM_RUNS = 9;
const RENDER_RUNS: Record<number, number> = { 36: 20, 500: 7, 2000: 5 };
/** The mesh rendered as three shards, and the runs per shard. */
const SHARDED_SERVICES = 10_000;
const SHARD_RENDER_RUNS = 5;

const progress = (msg: string) => process.stdout.write(`bench: control: ${msg}\n`);

/**
 * A representative render configuration (test/golden/render/*.in.yaml format): mTLS and API keys, a policy with a
 * deny rule first (refunds), a read-only group and an allow-all for sre, default deny. Its policy is also the one the
 * MCP endpoint filters tools/list with, so filtering runs on every uncached view.
 */
const RENDER_CONFIG = `
gateway:
  hosts: [mcp.example.com]
identity:
  - mtls: { sanPrefix: spiffe://cluster.local/ }
  - apiKey:
      header: x-api-key
      keys:
        - { sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, principal: ci-bot, groups: [sre-readonly] }
policy:
  default: deny
  rules:
    - { name: no-refunds, effect: deny, tools: ['*__refund_*'] }
    - { name: readonly-diagnostics, effect: allow, groups: [sre-readonly], tools: ['*__get_health', '*__get_logs'] }
    - { name: sre-all, effect: allow, groups: [sre] }
    - { name: catalog, effect: allow, principals: ['*'], methods: [initialize, ping, tools/list, server/discover, notifications/*] }
rateLimits: { perPrincipal: { capacity: 60, refillPerSecond: 1 } }
audit: { params: redact, logLevel: info }
`;

interface ControlChild {
  port: number;
  /** Gives the service the data catalog of n services (bench/dataCatalog.ts), as setCatalog would. */
  setCatalog(n: number): Promise<void>;
  stop(): Promise<void>;
}

/** The control app in a child process (bench/controlServer.ts) with this policy, listening on 127.0.0.1. */
function startControlChild(policy: GatewayPolicy['policy']): Promise<ControlChild> {
  return startLineChild('./controlServer.js', [JSON.stringify(policy)], 'the control service', (line, c) => ({
    port: (JSON.parse(line) as { port: number }).port,
    setCatalog: async (n: number) => {
      await c.ask(`catalog ${n}`);
    },
    stop: c.stop,
  }));
}

/** What the sre caller may see: everything but the refunds the first rule denies. */
const visibleTools = (c: Catalog) =>
  c.services.reduce((n, s) => n + s.tools.filter((t) => !t.tool.startsWith('refund_')).length, 0);

/** One caller's walks (bench/toolsListWalker.ts) in a fresh process of its own; rejects when it fails. */
function runWalker(job: WalkerJob): Promise<WalkerResult> {
  const script = fileURLToPath(new URL('./toolsListWalker.js', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    out += c;
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      if (code === 0) resolve(JSON.parse(out) as WalkerResult);
      else reject(new Error(`the tools/list walker exited with ${code}`));
    });
  });
}

async function benchToolsList(policy: GatewayPolicy['policy'], figures: Figures): Promise<void> {
  const control = await startControlChild(policy);
  try {
    // 10,000: the control service alone (a gateway renders at most 4,096; shards split such a mesh).
    for (const n of [36, 2000, 10_000]) {
      progress(`tools/list: building catalog of ${n}...`);
      // The service builds its own copy; this process keeps only the count it expects.
      const expected = visibleTools(dataCatalog(n));
      await control.setCatalog(n);
      const { probeMs, cold, times, first, tools } = await runWalker({
        port: control.port,
        walks: WALKS[n]!,
        warmup: WARMUP_WALKS[n]!,
        firstPage: n === 2000 ? FIRST_PAGE_CALLS : 0,
      });
      if (tools !== expected) throw new Error(`walk listed ${tools} tools, expected ${expected}`);
      progress(
        `tools/list ${n}: ${tools} tools in ${cold.pages} pages, ${round(cold.bytes / 1024 / 1024, 2)} MiB; first page with an uncached view ${round(probeMs, 1)} ms, first walk ${round(cold.ms, 1)} ms`,
      );
      times.sort((a, b) => a - b);
      progress(`tools/list ${n}: p50 ${round(percentile(times, 50), 2)} ms over ${times.length} walks`);
      figures[`control_tools_list_p99_ms_${n}`] = {
        value: round(percentile(times, 99), 2),
        unit: 'ms',
        ...(n === 36 ? { goal: '<= 3 ms' } : n === 2000 ? { goal: '<= 60 ms' } : {}),
      };
      if (n === 2000) {
        first.sort((a, b) => a - b);
        figures.control_tools_list_first_page_p99_ms_2000 = { value: round(percentile(first, 99), 2), unit: 'ms' };
      }
    }
  } finally {
    await control.stop();
  }
}

// --- catalog rounds against a fleet of real sidecars ----------------------------------------------------------

interface Fleet {
  /** The processes the sidecars run in (one per FLEET_CHUNK). */
  pids: number[];
  ports: number[];
  /** Closes every connection to the fleet's sidecars, so the next round connects cold. */
  drop(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sidecars per fleet process: each holds a listening socket and an accepted connection per sidecar, so a fleet of
 * 10,000 in one process would pass a 20,000-descriptor limit; chunks keep each process well under it.
 */
const FLEET_CHUNK = 4000;

/** n sidecars in ceil(n / FLEET_CHUNK) processes, started one after another. */
async function startFleet(n: number): Promise<Fleet> {
  const parts: Fleet[] = [];
  try {
    for (let first = 0; first < n; first += FLEET_CHUNK)
      parts.push(await startFleetProcess(Math.min(FLEET_CHUNK, n - first), first));
  } catch (err) {
    await Promise.all(parts.map((p) => p.stop()));
    throw err;
  }
  return {
    pids: parts.flatMap((p) => p.pids),
    ports: parts.flatMap((p) => p.ports),
    drop: async () => {
      await Promise.all(parts.map((p) => p.drop()));
    },
    stop: async () => {
      await Promise.all(parts.map((p) => p.stop()));
    },
  };
}

function startFleetProcess(n: number, first: number): Promise<Fleet> {
  return startLineChild('./sidecarFleet.js', [String(n), String(first)], `sidecar fleet of ${n}`, (line, c) => ({
    pids: [c.child.pid!],
    ports: (JSON.parse(line) as { ports: number[] }).ports,
    drop: async () => {
      await c.ask('drop');
      // Let the client side see the closed sockets before the next round picks one.
      await sleep(200);
    },
    stop: c.stop,
  }));
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * One cold round per try: a fresh CatalogRunner (no prior era, so it probes each sidecar's version) after every
 * connection to the fleet has been closed. Returns the wall times in ms, in order.
 */
async function catalogRounds(fleet: Fleet, services: DiscoveredService[], concurrency?: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < CATALOG_ROUNDS; r++) {
    await fleet.drop();
    const runner = new CatalogRunner({ cacheTtlMs: 3_600_000, ...(concurrency ? { concurrency } : {}) });
    try {
      const fleetCpu = () => fleet.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
      const cpu0 = { fleet: fleetCpu(), self: selfCpuSeconds() };
      const t0 = performance.now();
      await runner.update(services);
      const ms = performance.now() - t0;
      const cpu = { fleet: fleetCpu() - cpu0.fleet, self: selfCpuSeconds() - cpu0.self };
      const c = runner.current()!;
      const unhealthy = c.services.filter((s) => !s.health.healthy);
      if (unhealthy.length > 0) {
        throw new Error(
          `${unhealthy.length} sidecars failed, e.g. ${unhealthy[0]!.route}: ${unhealthy[0]!.health.error}`,
        );
      }
      const tools = c.services.reduce((n, s) => n + s.tools.length, 0);
      progress(
        `  round ${r + 1}: ${round(ms, 0)} ms for ${c.services.length} services / ${tools} tools ` +
          `(CPU: control ${round(cpu.self, 2)} s, sidecars ${round(cpu.fleet, 2)} s)`,
      );
      times.push(ms);
    } finally {
      await runner.stop();
    }
  }
  return times;
}

/**
 * What keeps a built catalog fresh, once its connections and eras are known (WARM_RUNS each, the median):
 * - a tick of the refresh timer: the services whose slot has come (about one in sixty per tick), collected again;
 * - a rollout: one service's pods changed (discovery's fingerprint), so that service alone is collected again;
 * - for comparison, every service collected again at once (refreshNow).
 * Each ends with the catalog built and compared, as the pipeline's rounds do.
 */
async function benchWarmRefresh(fleet: Fleet, services: DiscoveredService[], figures: Figures): Promise<void> {
  const n = services.length;
  const ttl = 300_000;
  const tick = refreshTickMs(ttl);
  let now = Date.parse('2026-12-01T00:00:00Z');
  await fleet.drop();
  const runner = new CatalogRunner({ cacheTtlMs: ttl, clock: () => now });
  try {
    let fleetNow = services.map((s, i) => ({ ...s, pods: `pod-${i}-0` }));
    await runner.update(fleetNow);
    const lastSuccess = () => runner.current()!.services.map((s) => s.health.lastSuccess);
    const ticks: number[] = [];
    const rollouts: number[] = [];
    const all: number[] = [];
    let asked = 0;
    for (let run = 0; run < WARM_RUNS; run++) {
      now += tick;
      const before = lastSuccess();
      let t = performance.now();
      await runner.refreshDue();
      ticks.push(performance.now() - t);
      asked += lastSuccess().filter((at, i) => at !== before[i]).length;
      now += 1;
      const moved = (run * 7919) % n;
      fleetNow = fleetNow.map((s, i) => (i === moved ? { ...s, pods: `pod-${i}-${run + 1}` } : s));
      t = performance.now();
      await runner.update(fleetNow);
      rollouts.push(performance.now() - t);
    }
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      await runner.refreshNow();
      all.push(performance.now() - t);
    }
    progress(
      `warm refresh ${n}: a tick (${round(asked / WARM_RUNS, 0)} services due) ${round(median(ticks), 1)} ms, ` +
        `a rollout of one service ${round(median(rollouts), 1)} ms, every service at once ${round(median(all), 0)} ms`,
    );
    figures[`control_catalog_tick_ms_${n}`] = { value: round(median(ticks), 1), unit: 'ms', goal: '< 500' };
    figures[`control_catalog_rollout_refresh_ms_${n}`] = { value: round(median(rollouts), 1), unit: 'ms' };
    figures[`control_catalog_refresh_all_ms_${n}`] = { value: round(median(all), 0), unit: 'ms' };
  } finally {
    await runner.stop();
  }
}

async function benchCatalogBuild(figures: Figures): Promise<void> {
  for (const n of BUILD_SIZES) {
    progress(`catalog build: starting a fleet of ${n} sidecars in ${Math.ceil(n / FLEET_CHUNK)} child process(es)...`);
    const t0 = performance.now();
    const fleet = await startFleet(n);
    try {
      const rss = fleet.pids.reduce((sum, pid) => sum + memoryMiB(pid).rss, 0);
      progress(
        `catalog build: ${n} sidecars up in ${round(performance.now() - t0, 0)} ms, fleet RSS ${round(rss, 0)} MiB`,
      );
      const services = fleet.ports.map((port, i) => discovered(i, `http://127.0.0.1:${port}/mcp`));
      progress(`catalog build: ${CATALOG_ROUNDS} cold rounds of ${n}, concurrency 8 (the default)...`);
      const times = await catalogRounds(fleet, services);
      // The median of the cold rounds: the first also pays the control process's own warm-up (JIT, module code).
      figures[`control_catalog_build_ms_${n}`] = { value: round(median(times), 0), unit: 'ms' };
      if (n === 2000) {
        progress(`catalog build: ${CATALOG_ROUNDS} cold rounds of ${n}, concurrency 32...`);
        const c32 = await catalogRounds(fleet, services, 32);
        figures.control_catalog_build_ms_2000_c32 = { value: round(median(c32), 0), unit: 'ms' };
      }
      if (n >= 2000) {
        progress(`catalog build: warm refresh of ${n} (ticks, rollouts, everything at once)...`);
        await benchWarmRefresh(fleet, services, figures);
      }
    } finally {
      await fleet.stop();
    }
  }
}

// --- render ---------------------------------------------------------------------------------------------------

function benchRender(
  settings: ReturnType<typeof parseRenderConfig>['settings'],
  policy: GatewayPolicy,
  figures: Figures,
): void {
  for (const n of SIZES) {
    progress(`render: catalog of ${n}...`);
    const catalog = dataCatalog(n);
    const times: number[] = [];
    const yamlTimes: number[] = [];
    let bytes = 0;
    try {
      for (let i = 0; i < RENDER_RUNS[n]!; i++) {
        const t0 = performance.now();
        const resources = renderAll(catalog, policy, settings);
        const t1 = performance.now();
        const yaml = toYaml(resources);
        yamlTimes.push(performance.now() - t1);
        times.push(t1 - t0);
        bytes = Buffer.byteLength(yaml);
      }
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      progress(`render: NOTE: ${n} services do not render (no figure): ${err.message}`);
      continue;
    }
    times.sort((a, b) => a - b);
    yamlTimes.sort((a, b) => a - b);
    figures[`control_render_ms_${n}`] = { value: round(percentile(times, 50), 1), unit: 'ms' };
    figures[`control_render_yaml_ms_${n}`] = { value: round(percentile(yamlTimes, 50), 1), unit: 'ms' };
    figures[`control_render_bytes_${n}`] = { value: bytes, unit: 'bytes' };
  }
}

/**
 * 10,000 services as three shards by namespace: each shard's control service renders only the catalog of its own
 * namespaces (its discovery's), with its own gateway, so every shard stays under one gateway's routing-table limit
 * and every object under the Kubernetes object size limit. The unsharded render of the same mesh is refused.
 */
function benchShards(configText: string, figures: Figures): void {
  try {
    const { settings, policy } = parseRenderConfig(configText, 'bench/control.ts');
    renderAll(dataCatalog(SHARDED_SERVICES), policy, settings);
    throw new Error(`${SHARDED_SERVICES} services rendered unsharded; the routing-table limit should refuse them`);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    progress(`shards: ${SHARDED_SERVICES} services unsharded are refused: ${err.message}`);
  }
  let largest = 0;
  for (const { shard, namespaces } of SHARDS) {
    const config = `shard: ${shard}\n${configText.replace('mcp.example.com', `${shard}.mcp.example.com`)}`;
    const { settings, policy } = parseRenderConfig(config, `bench/control.ts (shard ${shard})`);
    const catalog = dataCatalog(SHARDED_SERVICES, namespaces);
    const times: number[] = [];
    // One untimed render first: the first shard would otherwise also pay for warming the render code up.
    let resources = renderAll(catalog, policy, settings);
    for (let i = 0; i < SHARD_RENDER_RUNS; i++) {
      const t0 = performance.now();
      resources = renderAll(catalog, policy, settings);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const sizes = resources.map((r) => Buffer.byteLength(JSON.stringify(r)));
    const bytes = sizes.reduce((a, b) => a + b, 0);
    largest = Math.max(largest, ...sizes);
    progress(
      `shards: ${shard} (${namespaces.join(', ')}): ${catalog.services.length} services, ${resources.length} objects, ` +
        `${bytes} bytes of JSON, largest object ${Math.max(...sizes)} bytes, render p50 ${round(percentile(times, 50), 1)} ms`,
    );
    figures[`control_shard_render_ms_${SHARDED_SERVICES}_${shard}`] = {
      value: round(percentile(times, 50), 1),
      unit: 'ms',
    };
    figures[`control_shard_objects_${SHARDED_SERVICES}_${shard}`] = { value: resources.length, unit: 'objects' };
    figures[`control_shard_bytes_${SHARDED_SERVICES}_${shard}`] = { value: bytes, unit: 'bytes' };
  }
  figures[`control_shard_largest_object_bytes_${SHARDED_SERVICES}`] = {
    value: largest,
    unit: 'bytes',
    goal: '< 1048576',
  };
}

/**
 * The largest catalog (services of this bench's five or six tools) that still renders, found by bisection, and the
 * largest object rendered for it: where the Kubernetes object size limit (and the routing table's) starts to bind.
 */
function benchRenderLimit(
  settings: ReturnType<typeof parseRenderConfig>['settings'],
  policy: GatewayPolicy,
  figures: Figures,
): void {
  let refusal = '';
  const fits = (n: number): boolean => {
    try {
      renderAll(dataCatalog(n), policy, settings);
      return true;
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      refusal = err.message;
      return false;
    }
  };
  let lo = 1;
  let hi = 1024;
  while (hi <= 65_536 && fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  const largest = Math.max(
    ...renderAll(dataCatalog(lo), policy, settings).map((r) => Buffer.byteLength(JSON.stringify(r))),
  );
  progress(`render: the largest catalog that renders has ${lo} services; one more is refused: ${refusal}`);
  figures['control_render_max_services'] = { value: lo, unit: 'services' };
  figures['control_render_largest_object_bytes_at_max'] = { value: largest, unit: 'bytes', goal: '< 1572864' };
}

export async function benchControl(_root: string): Promise<Figures> {
  const { settings, policy } = parseRenderConfig(RENDER_CONFIG, 'bench/control.ts');
  const figures: Figures = {};
  benchRender(settings, policy, figures);
  benchRenderLimit(settings, policy, figures);
  benchShards(RENDER_CONFIG, figures);
  await benchToolsList(policy.policy, figures);
  await benchCatalogBuild(figures);
  return figures;
}
