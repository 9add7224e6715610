// Exponential backoff (with optional jitter and a cap), and ApplyLoop: applies the latest desired resources while
// this replica leads, coalescing offers made during an apply and retrying failures with backoff.
import type { Resource } from '../types.js';
import type { ApplyReport } from './applier.js';

export interface BackoffOptions {
  /** The first delay. Default 1000. */
  initialMs?: number;
  /** The cap. Default 60000. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
  /** Share (0 to 1) by which each delay is randomly shortened, so replicas do not retry in step. Default 0. */
  jitter?: number;
  /** Default Math.random. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const initial = opts.initialMs ?? 1000;
  const max = opts.maxMs ?? 60_000;
  const base = Math.min(max, initial * (opts.factor ?? 2) ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0));
  return Math.round(base * (1 - jitter * (opts.random ?? Math.random)()));
}

/** Consecutive failures and the next delay; reset on success. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions = {}) {}

  get failures(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }

  reset(): void {
    this.attempt = 0;
  }
}

export interface ApplyLoopOptions {
  apply: (resources: Resource[]) => Promise<ApplyReport>;
  /** Only the leader applies (LeaderElection.isLeader). */
  isLeader: () => boolean;
  backoff?: BackoffOptions;
  onApplied?: (report: ApplyReport) => void;
  /** A failed apply; it is retried after retryInMs with the latest desired resources. */
  onError?: (err: unknown, retryInMs: number) => void;
}

export class ApplyLoop {
  private desired: Resource[] | undefined;
  private dirty = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;

  constructor(private readonly opts: ApplyLoopOptions) {
    this.backoff = new Backoff(opts.backoff);
  }

  /**
   * The new desired state. While an apply runs, offers coalesce: only the latest is applied next. While a retry
   * waits, so does the offer (the backoff protects a struggling API server).
   */
  offer(resources: Resource[]): void {
    this.desired = resources;
    this.dirty = true;
    this.kick();
  }

  /** Applies the latest desired state again; call it on becoming leader (a previous leader may have written). */
  resync(): void {
    if (!this.desired) return;
    this.dirty = true;
    this.kick();
  }

  /** No new applies; waits for one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.running;
  }

  private kick(): void {
    if (this.stopped || this.running || this.retryTimer) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.dirty && this.desired && this.opts.isLeader()) {
      this.dirty = false;
      const resources = this.desired;
      try {
        const report = await this.opts.apply(resources);
        this.backoff.reset();
        this.notify(() => this.opts.onApplied?.(report));
      } catch (err) {
        this.dirty = true;
        const delay = this.backoff.next();
        this.notify(() => this.opts.onError?.(err, delay));
        if (this.stopped) return;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, delay);
        return;
      }
    }
  }

  /** A throwing callback must not stop the loop. */
  private notify(fn: () => void): void {
    try {
      fn();
    } catch {
      // The callbacks only feed logs and metrics.
    }
  }
}
