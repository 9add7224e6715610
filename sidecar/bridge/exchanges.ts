// The exchanges the bridge holds, bounded in count and in time: at most `max` at once (in flight or waiting for the
// client), each for at most `holdMs` from its start, after which it is ended with the reason. Each exchange waiting
// for the client has one handle (a new one every round), which finds it again only for the caller it was opened
// for. Nothing here does I/O; an exchange cleans up after itself in end().

/** One exchange as the table sees it. */
export interface Exchange {
  /** x-meshmcp-principal of the first request (undefined when it had none): a follow-up must name the same */
  readonly principal: string | undefined;
  /** the pod affinity of the first request, written into every handle */
  readonly affinity: string;
  /** ends the exchange: answers a client still waiting with reason, ends the upstream's side; called once */
  end(reason: string): void;
}

export type Lookup<X extends Exchange> = { exchange: X } | { problem: 'unknown' } | { problem: 'caller'; exchange: X };

interface Entry {
  handle: string | undefined;
  timer: NodeJS.Timeout;
}

export class Exchanges<X extends Exchange = Exchange> {
  private readonly entries = new Map<X, Entry>();
  private readonly byHandle = new Map<string, X>();

  constructor(
    readonly max: number,
    readonly holdMs: number,
    /** a new handle for an affinity (handles.ts mintHandle with CSPRNG bytes) */
    private readonly mint: (affinity: string) => string,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Takes x in, or returns false when `max` are held already. Its time starts now. */
  admit(x: X): boolean {
    if (this.entries.size >= this.max) return false;
    const timer = setTimeout(() => {
      if (this.forget(x)) x.end(`it was held for its limit of ${this.holdMs} ms (--bridge-hold-ms)`);
    }, this.holdMs);
    timer.unref();
    this.entries.set(x, { handle: undefined, timer });
    return true;
  }

  /** A new handle for x (the one it had no longer finds it); undefined when x is not held. */
  handOut(x: X): string | undefined {
    const entry = this.entries.get(x);
    if (!entry) return undefined;
    if (entry.handle !== undefined) this.byHandle.delete(entry.handle);
    let handle: string;
    do handle = this.mint(x.affinity);
    while (this.byHandle.has(handle));
    entry.handle = handle;
    this.byHandle.set(handle, x);
    return handle;
  }

  /** The exchange a handle names, if it is held and bound to this principal. */
  find(handle: string, principal: string | undefined): Lookup<X> {
    const x = this.byHandle.get(handle);
    if (!x) return { problem: 'unknown' };
    if (x.principal !== principal) return { problem: 'caller', exchange: x };
    return { exchange: x };
  }

  /** Takes the handle of x back so it cannot be used twice while x works on the follow-up it came with. */
  withdraw(x: X): void {
    const entry = this.entries.get(x);
    if (entry?.handle === undefined) return;
    this.byHandle.delete(entry.handle);
    entry.handle = undefined;
  }

  /** Lets x go (its slot, its handle, its timer); false when it was not held. Does not call end(). */
  forget(x: X): boolean {
    const entry = this.entries.get(x);
    if (!entry) return false;
    clearTimeout(entry.timer);
    if (entry.handle !== undefined) this.byHandle.delete(entry.handle);
    this.entries.delete(x);
    return true;
  }

  /** Ends every exchange with reason (shutdown). */
  endAll(reason: string): void {
    for (const x of [...this.entries.keys()]) {
      this.forget(x);
      x.end(reason);
    }
  }
}
