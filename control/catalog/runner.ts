// The catalog stage's runner: keeps each discovered service's tools fresh (on discovery changes, at once, and when
// the service's own cache TTL runs out, with bounded concurrency), tracks health, keeps a failing sidecar's last tools
// through a grace period, and publishes a new Catalog only when it differs from the last one.
import type { PriorDiscovery } from '@modelcontextprotocol/client';
import { STATELESS_REVISION } from '../catalogRules.js';
import type { Catalog, DiscoveredService, ServerOfferings, ServiceHealth } from '../types.js';
import { type BuildMemo, buildCatalog, type CatalogInput, sameCatalog, type ToolDescriptor } from './catalog.js';
import { type Collected, type CollectLimits, collectTools, DEFAULT_LIMITS } from './collector.js';
import type { ListHints } from './listHints.js';
import { ListWatch } from './listWatch.js';
import { serviceKey } from './naming.js';

/** Pino's logger fits; so does anything with these methods. */
export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RefreshReport {
  /** Wall time of the round (collection and build). */
  seconds: number;
  catalog: Catalog;
  /** Whether the catalog differed from the last published one (and was published). */
  changed: boolean;
  warnings: string[];
}

export interface CatalogRunnerOptions {
  /**
   * The longest a service's tools go without being collected again (CACHE_TTL). Default 300 s. Each service has its
   * own slot within it (nextSlotMs), so each tick of the refresh timer asks only the services whose slot has come.
   */
  cacheTtlMs?: number;
  /** How long a failing sidecar keeps its last known tools (marked unhealthy). Default 10 min. */
  gracePeriodMs?: number;
  /** Sidecars asked at the same time. Default 8. */
  concurrency?: number;
  limits?: Partial<CollectLimits>;
  /** Routes no service may take (the control service's own). */
  reserved?: string[];
  log?: RunnerLog;
  /** Called after every round, changed or not: the hook for build-time and per-service health metrics. */
  onRefresh?: (report: RefreshReport) => void;
  /** Time source, in ms since the epoch. Default Date.now. */
  clock?: () => number;
  /**
   * Hold a session open to each MCP server of a service's own and collect it again as soon as it announces a list
   * change (default true).
   */
  watchLists?: boolean;
}

interface Entry {
  service: DiscoveredService;
  tools?: ToolDescriptor[];
  offerings?: ServerOfferings;
  /** The caching hints of its lists at the last success (a 2026-07-28 server). */
  cacheHints?: ListHints;
  health: ServiceHealth;
  /** When the current run of failures began; undefined while healthy. */
  failingSince?: number;
  prior?: PriorDiscovery;
  /** Its next slot after its last collection (clock time); undefined until it is first collected. */
  dueAt?: number;
}

/** The refresh timer ticks 60 times per CACHE_TTL, at most every 5 s. */
export function refreshTickMs(ttlMs: number): number {
  return Math.min(5_000, ttlMs / 60);
}

/** A number in [0, 1) fixed by the key: FNV-1a, then murmur3's finaliser, so keys that differ by a character land apart. */
function unitHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/**
 * When a service collected at `collectedAt` is next due: its slots come every CACHE_TTL less one tick, at a phase
 * fixed by its key (the same on every replica and restart), so a fleet is asked a slice per tick rather than all at
 * once, and, collected at the first tick after its slot, no service goes longer than CACHE_TTL uncollected.
 */
export function nextSlotMs(ttlMs: number, key: string, collectedAt: number): number {
  const period = ttlMs - refreshTickMs(ttlMs);
  const phase = unitHash(key) * period;
  return phase + (Math.floor((collectedAt - phase) / period) + 1) * period;
}

const SILENT: RunnerLog = { info() {}, warn() {} };

function sameService(a: DiscoveredService, b: DiscoveredService): boolean {
  return (
    a.url === b.url &&
    a.host === b.host &&
    a.port === b.port &&
    a.ready === b.ready &&
    a.pods === b.pods &&
    JSON.stringify(a.selector) === JSON.stringify(b.selector)
  );
}

export class CatalogRunner {
  private readonly entries = new Map<string, Entry>();
  /** Each service as the last build made it: a round rebuilds only the services it collected or discovery changed. */
  private readonly built: BuildMemo = new Map();
  private readonly watches = new Map<string, { url: string; watch: ListWatch }>();
  private readonly listeners = new Set<(c: Catalog) => void>();
  /** Resources (the server's own URIs) listeners want, by service key, and who hears their updates. */
  private readonly resources = new Map<string, ReadonlySet<string>>();
  private readonly updateListeners = new Set<(key: string, uri: string) => void>();
  private readonly pending = new Set<string>();
  private running: Promise<void> | undefined;
  private published: Catalog | undefined;
  private latest: Catalog | undefined;
  private lastWarnings = '';
  private timer: NodeJS.Timeout | undefined;
  /** When the refresh timer started (clock time), so its ticks are known; undefined before it starts and once stopped. */
  private ticksFrom: number | undefined;
  private readonly abort = new AbortController();
  private readonly limits: CollectLimits;
  private readonly ttl: number;
  private readonly tick: number;
  private readonly grace: number;
  private readonly concurrency: number;
  private readonly log: RunnerLog;
  private readonly clock: () => number;

  constructor(private readonly opts: CatalogRunnerOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.ttl = opts.cacheTtlMs ?? 300_000;
    this.tick = refreshTickMs(this.ttl);
    this.grace = opts.gracePeriodMs ?? 600_000;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 8));
    this.log = opts.log ?? SILENT;
    this.clock = opts.clock ?? Date.now;
  }

  /**
   * Takes discovery's complete current set. Gone services leave at once; new and changed ones are collected, and
   * the promise resolves once they have been (and the catalog published if it changed).
   */
  update(services: readonly DiscoveredService[]): Promise<void> {
    if (this.abort.signal.aborted) return Promise.resolve();
    const wanted = new Map(services.map((s) => [serviceKey(s), s]));
    for (const key of this.entries.keys()) if (!wanted.has(key)) this.entries.delete(key);
    this.watchUpstreams(wanted);
    const toCollect: string[] = [];
    for (const [key, service] of wanted) {
      const entry = this.entries.get(key);
      if (entry && sameService(entry.service, service)) continue;
      if (entry) {
        if (entry.service.url !== service.url) entry.prior = undefined;
        entry.service = service;
      } else {
        this.entries.set(key, { service, health: { healthy: false, consecutiveFailures: 0 } });
      }
      toCollect.push(key);
    }
    this.startTimer();
    return this.schedule(toCollect);
  }

  /** Starts a list watch for each ready server of its own, and stops those whose service left or moved. */
  private watchUpstreams(wanted: Map<string, DiscoveredService>): void {
    if (this.opts.watchLists === false || this.abort.signal.aborted) return;
    for (const [key, w] of this.watches) {
      const s = wanted.get(key);
      if (s?.upstream && s.ready && s.url === w.url) continue;
      this.watches.delete(key);
      void w.watch.stop();
    }
    for (const [key, s] of wanted) {
      if (!s.upstream || !s.ready || this.watches.has(key)) continue;
      const watch = new ListWatch(
        s.url,
        (what) => {
          this.log.info({ service: key, notification: what }, 'list changed: collecting the server again');
          this.schedule([key]).catch((err) => this.log.warn({ err }, 'catalog refresh failed'));
        },
        this.log,
        this.limits.timeoutMs,
        (uri) => {
          for (const l of this.updateListeners) l(key, uri);
        },
      );
      const wanted = this.resources.get(key);
      if (wanted) watch.setResources(wanted);
      this.watches.set(key, { url: s.url, watch });
      watch.start();
    }
  }

  /**
   * The resources of one server of its own (`namespace/name`, its own URIs) to hold subscriptions to, on the session
   * that watches its lists (so only with watchLists); an empty set ends them.
   */
  watchResources(key: string, uris: ReadonlySet<string>): void {
    if (uris.size === 0) this.resources.delete(key);
    else this.resources.set(key, uris);
    this.watches.get(key)?.watch.setResources(uris);
  }

  /** Hears notifications/resources/updated from the servers of their own; returns the unsubscribe. */
  onResourceUpdated(cb: (key: string, uri: string) => void): () => void {
    this.updateListeners.add(cb);
    return () => this.updateListeners.delete(cb);
  }

  /** Collects every service now, whatever its slot. */
  refreshNow(): Promise<void> {
    return this.schedule([...this.entries.keys()]);
  }

  /** Collects the services whose slot has come (the refresh timer calls this every tick). */
  refreshDue(): Promise<void> {
    const now = this.clock();
    const due: string[] = [];
    for (const [key, e] of this.entries) if (e.dueAt !== undefined && e.dueAt <= now) due.push(key);
    return due.length > 0 ? this.schedule(due) : Promise.resolve();
  }

  /**
   * When the next scheduled collection may happen, in clock time: the first tick of the refresh timer at or after
   * some service's slot. The catalog may change sooner only by an event (discovery, a server's
   * list_changed). Undefined before the first update() and once stopped.
   */
  nextRoundAt(): number | undefined {
    if (this.ticksFrom === undefined) return undefined;
    let earliest = this.clock() + this.ttl;
    for (const e of this.entries.values()) if (e.dueAt !== undefined && e.dueAt < earliest) earliest = e.dueAt;
    return this.tickAtOrAfter(this.ticksFrom, earliest);
  }

  /**
   * When each collected service (by key) is next collected on schedule: the first tick at or after its slot. Empty
   * before the first update() and once stopped.
   */
  nextCollections(): Map<string, number> {
    const out = new Map<string, number>();
    const from = this.ticksFrom;
    if (from === undefined) return out;
    for (const [key, e] of this.entries) if (e.dueAt !== undefined) out.set(key, this.tickAtOrAfter(from, e.dueAt));
    return out;
  }

  /** The refresh timer's first tick at or after `at`, for a timer started at `from` (it never ticks before). */
  private tickAtOrAfter(from: number, at: number): number {
    return from + Math.max(0, Math.ceil((at - from) / this.tick)) * this.tick;
  }

  /** The latest catalog (health included), or undefined before the first round. */
  current(): Catalog | undefined {
    return this.latest;
  }

  /** Subscribes to published catalogs (only ones that differ from the previous); returns the unsubscribe. */
  onChange(cb: (c: Catalog) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.ticksFrom = undefined;
    this.abort.abort();
    const watches = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(watches.map((w) => w.watch.stop()));
    this.pending.clear();
    await this.running;
  }

  private startTimer(): void {
    if (this.timer || this.abort.signal.aborted) return;
    this.ticksFrom = this.clock();
    this.timer = setInterval(() => {
      this.refreshDue().catch((err) => this.log.warn({ err }, 'catalog refresh failed'));
    }, this.tick);
    this.timer.unref();
  }

  /** Rounds never overlap: keys asked for while one runs are collected by the next, which the caller awaits. */
  private schedule(keys: string[]): Promise<void> {
    for (const k of keys) this.pending.add(k);
    if (keys.length === 0 && !this.running) {
      this.publish(performance.now(), []);
      return Promise.resolve();
    }
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0 && !this.abort.signal.aborted) {
        const started = performance.now();
        const batch = [...this.pending];
        this.pending.clear();
        await this.collectAll(batch);
        if (this.abort.signal.aborted) break;
        this.publish(started, batch);
      }
    } finally {
      // No await between the loop's last check and this line, so a key added meanwhile starts a new drain.
      this.running = undefined;
    }
  }

  private async collectAll(keys: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < keys.length && !this.abort.signal.aborted) {
        const key = keys[next++]!;
        const entry = this.entries.get(key);
        if (entry) await this.collectOne(key, entry);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, keys.length) }, worker));
  }

  private async collectOne(key: string, entry: Entry): Promise<void> {
    const service = entry.service;
    let result: Collected | Error;
    if (!service.ready) {
      result = new Error(`no ready endpoint for ${service.host}:${service.port}`);
    } else {
      // A server that keeps sessions (no 2026-07-28) is also listed as the per-call sessions its pod opens see it.
      const sessions = service.upstream !== undefined && !service.upstream.protocols.includes(STATELESS_REVISION);
      result = await collectTools(service.url, this.limits, entry.prior, this.abort.signal, sessions).catch(
        (e: Error) => e,
      );
    }
    // Discovery may have removed or changed the service while we waited; its answer no longer applies.
    if (this.entries.get(key) !== entry || entry.service !== service || this.abort.signal.aborted) return;
    const now = this.clock();
    entry.dueAt = nextSlotMs(this.ttl, key, now);
    if (!(result instanceof Error)) {
      if (!entry.health.healthy && entry.health.consecutiveFailures > 0)
        this.log.info({ service: key }, 'sidecar recovered');
      entry.tools = result.tools;
      entry.offerings = result.offerings;
      entry.cacheHints = result.cacheHints;
      entry.prior = result.prior;
      entry.failingSince = undefined;
      entry.health = { healthy: true, lastSuccess: new Date(now).toISOString(), consecutiveFailures: 0 };
      return;
    }
    entry.prior = undefined;
    entry.failingSince ??= now;
    const health: ServiceHealth = {
      healthy: false,
      consecutiveFailures: entry.health.consecutiveFailures + 1,
      error: result.message,
    };
    if (entry.health.lastSuccess !== undefined) health.lastSuccess = entry.health.lastSuccess;
    entry.health = health;
    if (entry.tools !== undefined && now - entry.failingSince >= this.grace) {
      this.log.warn(
        { service: key, error: result.message },
        'sidecar unhealthy past the grace period: its tools are dropped',
      );
      entry.tools = undefined;
      entry.offerings = undefined;
      entry.cacheHints = undefined;
    } else if (health.consecutiveFailures === 1) {
      this.log.warn({ service: key, error: result.message }, 'sidecar unhealthy: keeping its last known tools');
    }
  }

  private publish(started: number, batch: string[]): void {
    const inputs: CatalogInput[] = [...this.entries.values()].map((e) => ({
      service: e.service,
      tools: e.tools,
      ...(e.offerings ? { offerings: e.offerings } : {}),
      ...(e.cacheHints ? { cacheHints: e.cacheHints } : {}),
      health: e.health,
    }));
    const { catalog, warnings } = buildCatalog(inputs, { reserved: this.opts.reserved, memo: this.built });
    this.latest = catalog;
    const joined = warnings.join('\n');
    if (joined !== this.lastWarnings) {
      for (const w of warnings) this.log.warn({ warning: w }, 'catalog warning');
      this.lastWarnings = joined;
    }
    const changed = !sameCatalog(this.published, catalog);
    if (changed) {
      this.published = catalog;
      for (const cb of this.listeners) {
        try {
          cb(catalog);
        } catch (err) {
          this.log.warn({ err }, 'catalog listener failed');
        }
      }
    }
    const seconds = batch.length > 0 ? (performance.now() - started) / 1000 : 0;
    this.opts.onRefresh?.({ seconds, catalog, changed, warnings });
  }
}
