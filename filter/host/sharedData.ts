// Process-wide shared data and shared queues, scoped by vm_id and seen by every worker VM, as in cpp-host.

import { WasmResult } from './abi.js';

export interface SharedEntry {
  value: Uint8Array;
  cas: number;
}

/** Key-value store with compare-and-swap on a version, following cpp-host's shared_data.cc. */
export class SharedData {
  private readonly data = new Map<string, Map<string, SharedEntry>>();
  // One counter for every key: a version never repeats within the process, and 0 is skipped because it means "no CAS".
  private nextCasValue = 1;

  private nextCas(): number {
    const cas = this.nextCasValue;
    this.nextCasValue = (this.nextCasValue + 1) >>> 0;
    if (this.nextCasValue === 0) this.nextCasValue = 1;
    return cas;
  }

  get(vmId: string, key: string): SharedEntry | undefined {
    return this.data.get(vmId)?.get(key);
  }

  /** cas 0 writes unconditionally; a non-zero cas must match the stored version of an existing key. */
  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    let map = this.data.get(vmId);
    if (!map) {
      map = new Map();
      this.data.set(vmId, map);
    }
    const existing = map.get(key);
    if (existing && cas !== 0 && cas !== existing.cas) return WasmResult.CasMismatch;
    map.set(key, { value: value.slice(), cas: this.nextCas() });
    return WasmResult.Ok;
  }

  keys(vmId: string): string[] {
    return [...(this.data.get(vmId)?.keys() ?? [])];
  }
}

export interface QueueOwner {
  vm: number;
  context: number;
}

interface Queue {
  vmId: string;
  name: string;
  items: Uint8Array[];
  /** The root context that registered the queue: it is told when items arrive. */
  owner: QueueOwner;
}

/** Shared queues: register returns a token, resolve finds it from any VM, dequeue on empty answers Empty. */
export class SharedQueues {
  private readonly queues = new Map<number, Queue>();
  private readonly byName = new Map<string, number>();
  private nextToken = 1;

  register(vmId: string, name: string, owner: QueueOwner): number {
    const key = `${vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing !== undefined) {
      this.queues.get(existing)!.owner = owner;
      return existing;
    }
    const token = this.nextToken++;
    this.queues.set(token, { vmId, name, items: [], owner });
    this.byName.set(key, token);
    return token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`);
  }

  enqueue(token: number, data: Uint8Array): { result: WasmResult; owner?: QueueOwner } {
    const queue = this.queues.get(token);
    if (!queue) return { result: WasmResult.NotFound };
    queue.items.push(data.slice());
    return { result: WasmResult.Ok, owner: queue.owner };
  }

  dequeue(token: number): { result: WasmResult; data?: Uint8Array } {
    const queue = this.queues.get(token);
    if (!queue) return { result: WasmResult.NotFound };
    const data = queue.items.shift();
    if (!data) return { result: WasmResult.Empty };
    return { result: WasmResult.Ok, data };
  }
}
