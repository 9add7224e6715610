// One worker's VM: validates and instantiates the module like Envoy, runs calls, and fails for good on a trap.

import { ABI_MARKER, LogLevel, OTHER_ABI_MARKERS, WasmResult } from './abi.js';
import { Context } from './context.js';
import {
  type CallResponseView,
  type HttpCallCluster,
  type HttpCallRequest,
  type HttpCallResponse,
  HttpCalls,
  responseView,
} from './httpCalls.js';
import { buildImports, type ImportHost } from './imports.js';
import { ModuleMemory } from './memory.js';
import type { MetricStore } from './metrics.js';
import { VmMetrics } from './metrics.js';
import type { Profile } from './profile.js';
import type { PropertyMap } from './properties.js';
import type { QueueOwner, SharedData, SharedQueues } from './sharedData.js';
import { Wasm, type WasmImports, type WasmInstance, type WasmMemory, type WasmModule } from './wasmApi.js';

/** A module Envoy would refuse to load; the message follows Envoy's wording. */
export class WasmLoadError extends Error {
  override name = 'WasmLoadError';
}

export interface LogEntry {
  vm: number;
  level: LogLevel;
  message: string;
  contextId: number;
}

export interface VmShared {
  vmId: string;
  logLevel: LogLevel;
  envs: Record<string, string>;
  shared: SharedData;
  queues: SharedQueues;
  metrics: MetricStore;
  now: () => bigint;
  log: (entry: LogEntry) => void;
  /** Attributes that are not stream-specific: node, plugin name, user-supplied properties. */
  properties: () => PropertyMap;
  queueReady: (owner: QueueOwner, token: number) => void;
  /** A VM asked for a new tick period; the timer driver re-arms it. */
  tickPeriodChanged?: (vm: WorkerVm) => void;
  /** Envoy's clusters, as proxy_http_call targets: a name not here is BadArgument, as an unknown cluster is. */
  clusters: Readonly<Record<string, HttpCallCluster>>;
  /** After a callback the host made on its own (an http call's answer): queued work runs, as after any callback. */
  settle: () => void;
  /** Counts each host function call by name, when given (PluginOptions.hostCalls). */
  hostCalls?: Map<string, number>;
  /** Times callbacks, host calls and the module's section marks, when given (PluginOptions.profile). */
  profile?: Profile;
}

/** Checks what Envoy checks before linking: the ABI marker, then every import, then memory and an allocator. */
export function validateModule(module: WasmModule, imports: WasmImports): void {
  const exports = new Set(Wasm.Module.exports(module).map((e) => e.name));
  if (!exports.has(ABI_MARKER)) {
    const other = OTHER_ABI_MARKERS.find((m) => exports.has(m));
    throw new WasmLoadError(
      other
        ? `Unsupported Proxy-Wasm ABI version: the module exports ${other}; this host implements ${ABI_MARKER}`
        : `Missing or unknown Proxy-Wasm ABI version: the module must export ${ABI_MARKER}`,
    );
  }
  for (const imp of Wasm.Module.imports(module)) {
    const provided = imports[imp.module]?.[imp.name];
    if (provided === undefined || (imp.kind === 'function') !== (typeof provided === 'function')) {
      throw new WasmLoadError(
        `Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}` +
          (imp.module === 'env' && imp.name === 'abort'
            ? " (Envoy provides no env.abort; build with AssemblyScript's --use abort=<file>/<function>)"
            : ''),
      );
    }
  }
  if (!exports.has('memory')) throw new WasmLoadError('Wasm module is missing the memory export.');
  if (!exports.has('malloc') && !exports.has('proxy_on_memory_allocate')) {
    throw new WasmLoadError('Wasm module is missing malloc function.');
  }
}

/** The VM's own context (id 0) for calls made while no plugin context exists, e.g. during start. */
class VmContext extends Context {
  constructor(private readonly attributes: () => PropertyMap) {
    super(0, 0);
  }
  override properties(): PropertyMap {
    return this.attributes();
  }
}

type Export = (...args: Array<number | bigint>) => unknown;

export class WorkerVm implements ImportHost {
  readonly metrics: VmMetrics;
  readonly contexts = new Map<number, Context>();
  memory!: ModuleMemory;
  /** Why the VM failed; once set, no callback runs in it again. */
  failure: string | undefined;
  tickPeriodMs = 0;
  rootId = 0;
  private exports: Record<string, unknown> = {};
  private current: Context;
  private effectiveId = 0;
  private stopNext = false;
  private nextContextId = 1;
  private readonly calls: HttpCalls;
  /** The answer proxy_on_http_call_response is reading, during that callback only. */
  callResponse: CallResponseView | undefined;
  /** Contexts a callback made effective: those it may have continued, replied to or closed. */
  private readonly touched = new Set<Context>();

  constructor(
    readonly index: number,
    private readonly common: VmShared,
  ) {
    this.metrics = new VmMetrics(common.metrics);
    this.calls = new HttpCalls(common.clusters);
    this.current = new VmContext(common.properties);
    this.contexts.set(0, this.current);
  }

  get vmId(): string {
    return this.common.vmId;
  }
  get envs(): Record<string, string> {
    return this.common.envs;
  }
  get logLevel(): LogLevel {
    return this.common.logLevel;
  }
  get shared(): SharedData {
    return this.common.shared;
  }
  get queues(): SharedQueues {
    return this.common.queues;
  }
  get hostCalls(): Map<string, number> | undefined {
    return this.common.hostCalls;
  }
  get profile(): Profile | undefined {
    return this.common.profile;
  }

  /**
   * Links and starts the module as cpp-host's `WasmBase::startVm` does, in the VM's own context and before any
   * proxy_on_* call: a WASI reactor gets `_initialize`, then `main(0, 0)` or else `__main_void` when exported; only a
   * module without `_initialize` gets `_start` (a WASI command). Each entry point is optional. A start section never
   * gets here: `createPlugin` refuses it first, since under wasmtime it runs before any epoch deadline is set.
   */
  static start(module: WasmModule, index: number, common: VmShared): WorkerVm {
    const vm = new WorkerVm(index, common);
    const imports = buildImports(vm);
    validateModule(module, imports);
    let instance: WasmInstance;
    try {
      instance = new Wasm.Instance(module, imports);
    } catch (error) {
      throw new WasmLoadError(`Failed to start Wasm module: ${(error as Error).message}`);
    }
    vm.exports = instance.exports as Record<string, unknown>;
    const allocate = (vm.exports['malloc'] ?? vm.exports['proxy_on_memory_allocate']) as Export;
    vm.memory = new ModuleMemory(vm.exports['memory'] as WasmMemory, (size) => Number(allocate(size)));
    if (vm.has('_initialize')) {
      vm.call(vm.current, '_initialize');
      if (vm.has('main')) vm.call(vm.current, 'main', 0, 0);
      else if (vm.has('__main_void')) vm.call(vm.current, '__main_void');
    } else if (vm.has('_start')) {
      vm.call(vm.current, '_start');
    }
    if (vm.failure) throw new WasmLoadError(`Failed to start Wasm module: ${vm.failure}`);
    return vm;
  }

  has(name: string): boolean {
    return typeof this.exports[name] === 'function';
  }

  allocContextId(): number {
    return this.nextContextId++;
  }

  /**
   * Runs one exported function in a context. A trap (or any throw) fails the VM for good, as a V8 trap fails a
   * cpp-host WasmBase. `stopped` reports a send_local_response made during the call.
   */
  call(context: Context, name: string, ...args: number[]): { value: number | undefined; stopped: boolean } {
    if (this.failure) return { value: undefined, stopped: false };
    const fn = this.exports[name] as Export | undefined;
    if (!fn) return { value: undefined, stopped: false };
    const previous = this.current;
    const previousEffective = this.effectiveId;
    this.current = context;
    this.effectiveId = 0;
    const profile = this.common.profile;
    profile?.callbackEnter();
    try {
      const raw = fn(...args);
      profile?.callbackLeave();
      return { value: raw === undefined ? undefined : Number(raw), stopped: this.stopNext };
    } catch (error) {
      profile?.callbackLeave();
      this.failure = `Function: ${name} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      this.log(LogLevel.Critical, this.failure);
      return { value: undefined, stopped: this.stopNext };
    } finally {
      this.stopNext = false;
      this.current = previous;
      this.effectiveId = previousEffective;
    }
  }

  // ImportHost

  context(): Context {
    if (this.effectiveId !== 0) return this.contexts.get(this.effectiveId) ?? this.current;
    return this.current;
  }

  setEffectiveContext(id: number): WasmResult {
    const context = this.contexts.get(id);
    if (!context) return WasmResult.BadArgument;
    this.effectiveId = id;
    this.touched.add(context);
    return WasmResult.Ok;
  }

  httpCall(cluster: string, request: HttpCallRequest): { result: WasmResult; token?: number } {
    const context = this.context();
    return this.calls.dispatch(this, context.isRoot ? context.id : context.rootId, cluster, request);
  }

  /**
   * An answer (undefined: a failure) reaches the root context that made the call, if it still exists; streams the
   * callback made effective then move on (continued, answered locally or closed), as Envoy's would.
   */
  deliverHttpCall(rootId: number, token: number, response: HttpCallResponse | undefined): void {
    const root = this.contexts.get(rootId);
    if (!root || this.failure) return;
    const view = responseView(response);
    this.callResponse = view;
    this.touched.clear();
    try {
      this.call(
        root,
        'proxy_on_http_call_response',
        rootId,
        token,
        view?.headers.size ?? 0,
        view?.body.data.length ?? 0,
        view?.trailers.size ?? 0,
      );
    } finally {
      this.callResponse = undefined;
    }
    const touched = [...this.touched];
    this.touched.clear();
    for (const context of touched) context.wake?.();
    this.common.settle();
  }

  log(level: LogLevel, message: string): void {
    if (level < this.common.logLevel) return;
    this.common.log({ vm: this.index, level, message, contextId: this.context().id });
  }

  now(): bigint {
    return this.common.now();
  }

  setTickPeriod(ms: number): void {
    this.tickPeriodMs = ms;
    this.common.tickPeriodChanged?.(this);
  }

  stopNextIteration(): void {
    this.stopNext = true;
  }

  /** Deferred root-context shutdown is not simulated, so a proxy_done has nothing pending to finish. */
  done(): WasmResult {
    return WasmResult.NotFound;
  }

  queueReady(owner: QueueOwner, token: number): void {
    this.common.queueReady(owner, token);
  }
}
