// Leader election over a coordination.k8s.io/v1 Lease: of several control replicas exactly one applies (README.md).
import { type KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { type ApplyLog, httpFailure } from './applier.js';

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The Lease's name. Default meshmcp-control. */
  name?: string;
  /** This replica, e.g. the pod name; unique among replicas. */
  identity: string;
  /** How long a lease is valid after its last renewal. Default 15. */
  leaseDurationSeconds?: number;
  /** The leader renews this often. Default 5000. */
  renewEveryMs?: number;
  /** Others (and a leader whose renewal failed) try again this often. Default 2000. */
  retryEveryMs?: number;
  /**
   * A leader that has not renewed for this long steps down. Below the lease duration, so it stops before another
   * replica may take over. Default two thirds of the lease duration.
   */
  renewDeadlineMs?: number;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  log?: ApplyLog;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string | Date;
  renewTime?: string | Date;
  leaseTransitions?: number;
}

interface Lease extends KubernetesObject {
  spec?: LeaseSpec;
}

/** RFC 3339 with microseconds: the API server's MicroTime refuses the milliseconds Date.toISOString gives. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

const SILENT: ApplyLog = { info() {}, warn() {}, error() {} };

type Outcome = 'held' | 'other' | 'failed';

export class LeaderElection {
  private readonly client: KubernetesObjectApi;
  private readonly name: string;
  private readonly namespace: string;
  private readonly identity: string;
  private readonly durationS: number;
  private readonly renewEveryMs: number;
  private readonly retryEveryMs: number;
  private readonly renewDeadlineMs: number;
  private readonly clock: () => number;
  private readonly log: ApplyLog;
  private callbacks: LeaderCallbacks | undefined;
  private leader = false;
  private stopped = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** The last attempt wrote the lease as ours (true even when stop() came before we acted on it). */
  private heldAtLastTick = false;

  constructor(opts: LeaderElectionOptions) {
    this.client = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
    this.name = opts.name ?? 'meshmcp-control';
    this.namespace = opts.namespace;
    this.identity = opts.identity;
    this.durationS = opts.leaseDurationSeconds ?? 15;
    this.renewEveryMs = opts.renewEveryMs ?? 5000;
    this.retryEveryMs = opts.retryEveryMs ?? 2000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? Math.floor((this.durationS * 1000 * 2) / 3);
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? SILENT;
    if (!this.identity) throw new Error('leader election needs an identity (e.g. the pod name, POD_NAME)');
    if (this.renewDeadlineMs >= this.durationS * 1000) {
      throw new Error(
        `renewDeadlineMs (${this.renewDeadlineMs}) must be below leaseDurationSeconds (${this.durationS} s), or two ` +
          'replicas could lead at once; lower it',
      );
    }
  }

  start(callbacks: LeaderCallbacks): void {
    if (this.callbacks) throw new Error('leader election already started; create a new LeaderElection to restart');
    this.callbacks = callbacks;
    this.schedule(0);
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Stops campaigning; a leader stops leading, then releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    await this.inFlight;
    if (!this.leader && !this.heldAtLastTick) return;
    this.stepDown('stopping');
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity !== this.identity) return;
      await this.client.replace(
        this.lease(lease, {
          ...this.specOf(lease),
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(this.clock()),
        }),
      );
    } catch (err) {
      // The lease then expires on its own after leaseDurationSeconds.
      this.log.warn({ lease: this.where(), err: httpFailure(err).message }, 'releasing the lease failed');
    }
  }

  private where(): string {
    return `${this.namespace}/${this.name}`;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    const outcome = await this.tryAcquireOrRenew().catch((err: unknown) => {
      this.log.warn({ lease: this.where(), err: httpFailure(err).message }, 'lease request failed');
      return 'failed' as const;
    });
    this.heldAtLastTick = outcome === 'held';
    if (this.stopped) return;
    if (outcome === 'held') {
      this.lastRenew = this.clock();
      this.armWatchdog();
      if (!this.leader) {
        this.leader = true;
        this.log.info({ lease: this.where(), identity: this.identity }, 'started leading');
        this.call('onStartedLeading');
      }
    } else if (this.leader && (outcome === 'other' || this.clock() - this.lastRenew >= this.renewDeadlineMs)) {
      this.stepDown(outcome === 'other' ? 'another replica holds the lease' : 'could not renew the lease in time');
    }
    this.schedule(this.leader && outcome === 'held' ? this.renewEveryMs : this.retryEveryMs);
  }

  /** A hung request must not keep a leader leading past its deadline. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.leader && !this.stopped) this.stepDown('could not renew the lease in time');
    }, this.renewDeadlineMs);
  }

  private stepDown(why: string): void {
    clearTimeout(this.watchdog);
    if (!this.leader) return;
    this.leader = false;
    this.log.warn({ lease: this.where(), identity: this.identity, why }, 'stopped leading');
    this.call('onStoppedLeading');
  }

  private call(which: keyof LeaderCallbacks): void {
    try {
      this.callbacks?.[which]();
    } catch (err) {
      this.log.error({ err: String(err) }, `${which} threw`);
    }
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return await this.client.read<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
      });
    } catch (err) {
      if (httpFailure(err).status === 404) return undefined;
      throw err;
    }
  }

  private specOf(lease: Lease): LeaseSpec {
    const s = lease.spec ?? {};
    const out: LeaseSpec = {};
    if (s.holderIdentity !== undefined) out.holderIdentity = s.holderIdentity;
    if (s.leaseDurationSeconds !== undefined) out.leaseDurationSeconds = s.leaseDurationSeconds;
    if (s.acquireTime !== undefined) out.acquireTime = microTime(new Date(s.acquireTime).getTime());
    if (s.renewTime !== undefined) out.renewTime = microTime(new Date(s.renewTime).getTime());
    if (s.leaseTransitions !== undefined) out.leaseTransitions = s.leaseTransitions;
    return out;
  }

  /** The object to write: our name, the read resourceVersion (optimistic concurrency), and spec. */
  private lease(from: Lease | undefined, spec: LeaseSpec): Lease {
    const metadata: Lease['metadata'] = { name: this.name, namespace: this.namespace };
    if (from?.metadata?.resourceVersion) metadata.resourceVersion = from.metadata.resourceVersion;
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec };
  }

  private async tryAcquireOrRenew(): Promise<Outcome> {
    const now = this.clock();
    const lease = await this.read();
    const fresh: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationS,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!lease) {
      try {
        await this.client.create(this.lease(undefined, fresh));
        return 'held';
      } catch (err) {
        if (httpFailure(err).status === 409) return 'other';
        throw err;
      }
    }
    const spec = this.specOf(lease);
    const holder = spec.holderIdentity ?? '';
    const renewed = spec.renewTime === undefined ? 0 : new Date(spec.renewTime).getTime();
    const expired = renewed + (spec.leaseDurationSeconds ?? this.durationS) * 1000 < now;
    let next: LeaseSpec;
    if (holder === this.identity) {
      next = { ...spec, leaseDurationSeconds: this.durationS, renewTime: microTime(now) };
    } else if (holder === '' || expired) {
      next = { ...fresh, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    } else {
      return 'other';
    }
    try {
      await this.client.replace(this.lease(lease, next));
      return 'held';
    } catch (err) {
      // 409: someone wrote the lease since we read it; the next read tells who holds it.
      if (httpFailure(err).status === 409) return this.leader ? 'failed' : 'other';
      throw err;
    }
  }
}
