// Kubernetes discovery: list+watch informers on mcp-enabled Services and their EndpointSlices in each allowed
// namespace, restarted with backoff on errors, and rebuilt from a fresh list every relist interval as a safety net
// for a watch that went quiet. Built from a KubeConfig, so it runs unchanged against any kube-apiserver.
import {
  CoreV1Api,
  DiscoveryV1Api,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  type V1EndpointSlice,
  type V1Service,
} from '@kubernetes/client-node';
import type { DiscoveredService } from '../types.js';
import { ChangeGate, type Discovery, type DiscoveryLog, SILENT_LOG } from './discovery.js';
import { SERVICE_NAME_LABEL, toDiscovered } from './kubeObjects.js';

export const MCP_ENABLED_SELECTOR = 'mcp-enabled=true';

export interface KubernetesDiscoveryOptions {
  kubeConfig: KubeConfig;
  /** ALLOWED_NAMESPACES. */
  namespaces: string[];
  /** DISCOVERY_INTERVAL: a full relist this often. Default 300 s. */
  relistIntervalMs?: number;
  /** Delay before restarting a failed informer, doubling per failure up to maxMs. Default 1 s to 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  clusterDomain?: string;
  /** Collection URLs by `<namespace>/<Service name>` instead of the cluster address (kubeObjects.ts). */
  urlOverrides?: Record<string, string>;
  log?: DiscoveryLog;
}

type AnyInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

interface Watched {
  what: string;
  informer: AnyInformer;
  listed: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
}

interface InformerSet {
  watched: Watched[];
  stopped: boolean;
  ready: Promise<void>;
  resolveReady: () => void;
  rejectReady: (err: Error) => void;
}

/** Errors no retry fixes: the operator has to. */
function fatal(err: unknown): string | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  const status = Number(e?.statusCode ?? e?.code);
  if (status === 401)
    return 'the API server refused our credentials (401); check the kubeconfig or service account token';
  if (status === 403) {
    return 'forbidden (403); grant the control service list and watch on services and discovery.k8s.io endpointslices in this namespace';
  }
  if (status === 404) return 'not found (404); the API server lacks discovery.k8s.io/v1 (Kubernetes 1.21+ is required)';
  return undefined;
}

function message(err: unknown): string {
  const e = err as { message?: string; body?: unknown } | undefined;
  return String(e?.message ?? err).slice(0, 300);
}

export class KubernetesDiscovery implements Discovery {
  private active: InformerSet | undefined;
  private gate: ChangeGate | undefined;
  private relistTimer: NodeJS.Timeout | undefined;
  private relisting = false;
  private computeQueued = false;
  private readonly skipped = new Set<string>();
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly log: DiscoveryLog;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly opts: KubernetesDiscoveryOptions) {
    if (opts.namespaces.length === 0) throw new Error('KubernetesDiscovery needs at least one namespace');
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.discovery = opts.kubeConfig.makeApiClient(DiscoveryV1Api);
    this.log = opts.log ?? SILENT_LOG;
    this.backoff = opts.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
  }

  async start(onChange: (services: DiscoveredService[]) => void): Promise<void> {
    const set = this.startSet();
    this.active = set;
    try {
      await set.ready;
    } catch (err) {
      this.stopSet(set);
      this.active = undefined;
      throw err;
    }
    this.gate = new ChangeGate(onChange);
    this.compute();
    const interval = this.opts.relistIntervalMs ?? 300_000;
    this.relistTimer = setInterval(() => void this.relist(interval), interval);
    this.relistTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.relistTimer) clearInterval(this.relistTimer);
    this.gate = undefined;
    if (this.active) this.stopSet(this.active);
    this.active = undefined;
  }

  /** A fresh set of informers lists everything anew; once it has, it replaces the old set. */
  private async relist(intervalMs: number): Promise<void> {
    if (this.relisting || !this.gate) return;
    this.relisting = true;
    const set = this.startSet();
    // A relist that cannot finish within one interval is abandoned; the old watches keep serving meanwhile.
    const timeout = setTimeout(
      () => set.rejectReady(new Error('relist did not finish within the interval')),
      intervalMs,
    );
    try {
      await set.ready;
      if (!this.gate) throw new Error('stopped');
      const old = this.active;
      this.active = set;
      if (old) this.stopSet(old);
      this.compute();
    } catch (err) {
      this.stopSet(set);
      if (this.gate) this.log.warn({ error: message(err) }, 'kubernetes relist failed; keeping the current watches');
    } finally {
      clearTimeout(timeout);
      this.relisting = false;
    }
  }

  private startSet(): InformerSet {
    let resolveReady!: () => void;
    let rejectReady!: (err: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => undefined);
    const set: InformerSet = { watched: [], stopped: false, ready, resolveReady, rejectReady };
    for (const namespace of this.opts.namespaces) {
      set.watched.push(
        this.watch(
          set,
          `services in ${namespace}`,
          `/api/v1/namespaces/${namespace}/services`,
          MCP_ENABLED_SELECTOR,
          () => this.core.listNamespacedService({ namespace, labelSelector: MCP_ENABLED_SELECTOR }),
        ),
        this.watch(
          set,
          `endpointslices in ${namespace}`,
          `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
          SERVICE_NAME_LABEL,
          () => this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: SERVICE_NAME_LABEL }),
        ),
      );
    }
    for (const w of set.watched) this.run(set, w);
    return set;
  }

  private watch(
    set: InformerSet,
    what: string,
    path: string,
    labelSelector: string,
    list: () => Promise<KubernetesListObject<KubernetesObject>>,
  ): Watched {
    const w = { what, listed: false, failures: 0 } as Watched;
    w.informer = makeInformer(
      this.opts.kubeConfig,
      path,
      async () => {
        const result = await list();
        // The informer stores the items right after this promise resolves, before any timer runs.
        setImmediate(() => {
          if (set.stopped) return;
          w.failures = 0;
          if (!w.listed) {
            w.listed = true;
            if (set.watched.every((x) => x.listed)) set.resolveReady();
          }
          if (set === this.active) this.queueCompute();
        });
        return result;
      },
      labelSelector,
    );
    w.informer.on('change', () => {
      if (set === this.active && !set.stopped) this.queueCompute();
    });
    w.informer.on('error', (err: unknown) => this.failed(set, w, err));
    return w;
  }

  private run(set: InformerSet, w: Watched): void {
    w.retry = undefined;
    if (set.stopped) return;
    w.informer.start().catch((err: unknown) => this.failed(set, w, err));
  }

  /** The informer stopped (list or watch failed, not a 410, which it relists itself): restart it after a delay. */
  private failed(set: InformerSet, w: Watched, err: unknown): void {
    if (set.stopped || w.retry) return;
    const why = fatal(err);
    // On the first start an error no retry fixes fails start(); later ones are retried (RBAC may be fixed).
    if (why && this.gate === undefined && set === this.active) {
      set.rejectReady(new Error(`kubernetes discovery cannot list ${w.what}: ${why}`));
      return;
    }
    w.failures++;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(w.failures - 1, 20));
    this.log.warn(
      { what: w.what, error: message(err), retryInMs: delay, failures: w.failures },
      why ? `kubernetes watch failed: ${why}` : 'kubernetes watch failed; retrying',
    );
    w.retry = setTimeout(() => this.run(set, w), delay);
    w.retry.unref();
  }

  private stopSet(set: InformerSet): void {
    set.stopped = true;
    for (const w of set.watched) {
      if (w.retry) clearTimeout(w.retry);
      void w.informer.stop().catch(() => undefined);
    }
  }

  private queueCompute(): void {
    if (this.computeQueued) return;
    this.computeQueued = true;
    // Coalesces a burst of watch events (or a relist's many adds) into one computation.
    setImmediate(() => {
      this.computeQueued = false;
      this.compute();
    });
  }

  private compute(): void {
    const set = this.active;
    if (!set || !this.gate) return;
    const services: V1Service[] = [];
    const slices: V1EndpointSlice[] = [];
    for (const w of set.watched) {
      const items = w.informer.list();
      if (w.what.startsWith('services')) services.push(...(items as V1Service[]));
      else slices.push(...(items as V1EndpointSlice[]));
    }
    const found = toDiscovered(services, slices, {
      clusterDomain: this.opts.clusterDomain,
      ...(this.opts.urlOverrides ? { urlOverrides: this.opts.urlOverrides } : {}),
      skip: (key, why) => {
        if (this.skipped.has(key)) return;
        this.skipped.add(key);
        this.log.warn({ service: key }, `service skipped: ${why}`);
      },
    });
    this.gate.offer(found);
  }
}
