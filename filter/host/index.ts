// Public API of the test and development proxy-wasm host: a plugin with one VM per simulated worker thread.

import { BufferType, LogLevel } from './abi.js';
import { RootContext } from './context.js';
import type { HttpCallCluster } from './httpCalls.js';
import { HttpStream, type StreamOpen } from './httpStream.js';
import { toBytes } from './memory.js';
import { type MetricSnapshot, MetricStore, type StatsTag } from './metrics.js';
import type { Profile } from './profile.js';
import { mergeProperties, type PropertyMap } from './properties.js';
import { type QueueOwner, SharedData, type SharedEntry, SharedQueues } from './sharedData.js';
import { runStream, type StreamInput, type StreamResult } from './stream.js';
import { type LogEntry, type VmShared, WasmLoadError, WorkerVm } from './vm.js';
import { Wasm, type WasmModule } from './wasmApi.js';
import { refuseStartSection } from './wasmSections.js';

export { FilterDataStatus, FilterHeadersStatus, LogLevel, MetricType, WasmResult } from './abi.js';
export type { LocalReply } from './context.js';
export type { HttpCallCluster, HttpCallRequest, HttpCallResponse } from './httpCalls.js';
export type { HttpResponse, HttpStream, Step, StreamOpen } from './httpStream.js';
export { decodeInt64, deserializePairs, encodeBool, encodeInt64, type HeaderPairs, serializePairs } from './memory.js';
export type { MetricSnapshot, StatsTag } from './metrics.js';
export {
  FILTER_SECTIONS,
  PROFILE_MODULE,
  Profile,
  type ProfileTotals,
  readingCosts,
  withoutReadings,
} from './profile.js';
export type { PropertyMap, PropertyValue } from './properties.js';
export { SharedData } from './sharedData.js';
export type { ForwardedRequest, HttpMessage, StreamInput, StreamResult } from './stream.js';
export { type LogEntry, WasmLoadError } from './vm.js';

export interface PluginOptions {
  /** Worker threads, each with its own VM (Envoy's --concurrency). Default 1. */
  workers?: number;
  /** Envoy's failure_policy for a VM that has failed; FAIL_CLOSE (the default) answers 503. */
  failStrategy?: 'FAIL_CLOSE' | 'FAIL_OPEN';
  /** PluginConfig.allow_on_headers_stop_iteration (Envoy >= 1.35). */
  allowOnHeadersStopIteration?: boolean;
  /** Envoy's per-connection buffer limit, which a filter buffering a body runs into. Default 1 MiB. */
  bufferLimitBytes?: number;
  /** Attributes for proxy_get_property beyond the request/response ones (node, connection, metadata...). */
  properties?: PropertyMap;
  vmId?: string;
  name?: string;
  rootId?: string;
  vmConfiguration?: string;
  /** Lines below this level are dropped, as Envoy's wasm log level does. Default Info. */
  logLevel?: LogLevel;
  envs?: Record<string, string>;
  /** Wall clock in nanoseconds; inject one for deterministic tests. */
  now?: () => bigint;
  /** Shared data outlives a plugin in Envoy (it is per process and vm_id); pass one to share it between plugins. */
  sharedData?: SharedData;
  /** Envoy's stats_config.stats_tags: regexes that turn stat name segments into Prometheus labels. */
  statsTags?: StatsTag[];
  /** Called with every log line as it is written (e.g. to print audit lines). */
  onLog?: (entry: LogEntry) => void;
  /**
   * Envoy's clusters the module may call with proxy_http_call, by name. A call to any other name is BadArgument, as
   * Envoy answers for a cluster it does not have. Default: none.
   */
  clusters?: Record<string, HttpCallCluster>;
  /** Count every host function the module calls, by name, into this map (for profiles; costs a little per call). */
  hostCalls?: Map<string, number>;
  /**
   * Time the module's callbacks, the host functions it calls and, in a build that marks its sections (meshmcp's
   * profile build), each section, on this timeline; the host then offers the import `meshmcp_profile.mark`.
   */
  profile?: Profile;
  /** Keep the newest lines in `logs` (between logLimit and twice that), so a long-running host does not grow without bound. Default: all. */
  logLimit?: number;
}

export interface Plugin {
  readonly workers: number;
  /** Every log line from every VM, in order (proxy_log, fd_write, host errors). */
  readonly logs: LogEntry[];
  /** Runs one stream; workers are picked round-robin unless one is named. */
  runStream(input: StreamInput, worker?: number): StreamResult;
  /** Opens a stream to feed event by event (on_context_create has run); call its finish() when it ends. */
  openStream(input: StreamOpen, worker?: number): HttpStream;
  /** A new plugin configuration, checked first on a canary VM as Envoy does: false keeps the old one everywhere. */
  configure(configuration: string): boolean;
  /** Fires proxy_on_tick once on every VM that asked for ticks. */
  tick(): void;
  /** Real timers: proxy_on_tick on each VM at the period it set, until stopTicks() or close(). */
  startTicks(): void;
  stopTicks(): void;
  metrics(): Record<string, MetricSnapshot>;
  prometheus(): string;
  sharedData(key: string): SharedEntry | undefined;
  /** Why a worker's VM failed, if it did. */
  failure(worker: number): string | undefined;
  /**
   * Calls one of the module's exports in a worker's root context, with the host's trap handling (a trap fails that
   * VM). For tests that drive a module past its usual entry points, e.g. to show what a trap does to later requests.
   */
  callExport(worker: number, name: string, ...args: number[]): number | undefined;
  /** Shuts root contexts down (on_done, then on_delete). */
  close(): void;
}

export async function createPlugin(
  wasm: Uint8Array,
  configuration: string,
  options: PluginOptions = {},
): Promise<Plugin> {
  let module: WasmModule;
  try {
    module = await Wasm.compile(wasm);
  } catch (error) {
    throw new WasmLoadError(`Failed to load Wasm bytecode: ${(error as Error).message}`);
  }
  refuseStartSection(wasm);
  const logs: LogEntry[] = [];
  const metrics = new MetricStore();
  const pending: Array<{ owner: QueueOwner; token: number }> = [];
  const vmId = options.vmId ?? '';
  // Fixed for the plugin's life, so merged once rather than on every proxy_get_property.
  const attributeMap = mergeProperties(options.properties ?? {}, {
    plugin_name: options.name ?? '',
    plugin_root_id: options.rootId ?? '',
    plugin_vm_id: vmId,
  });
  const attributes = (): PropertyMap => attributeMap;
  const common: VmShared = {
    vmId,
    logLevel: options.logLevel ?? LogLevel.Info,
    envs: options.envs ?? {},
    shared: options.sharedData ?? new SharedData(),
    queues: new SharedQueues(),
    metrics,
    now: options.now ?? (() => BigInt(Date.now()) * 1_000_000n),
    log: (entry) => {
      logs.push(entry);
      // Trimmed in batches: dropping one line per push would shift the whole array every time.
      if (options.logLimit !== undefined && logs.length >= 2 * options.logLimit)
        logs.splice(0, logs.length - options.logLimit);
      options.onLog?.(entry);
    },
    properties: attributes,
    queueReady: (owner, token) => pending.push({ owner, token }),
    tickPeriodChanged: (vm) => arm(vm),
    clusters: options.clusters ?? {},
    settle: () => drainQueues(),
    ...(options.hostCalls ? { hostCalls: options.hostCalls } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  };
  const vmConfiguration = toBytes(options.vmConfiguration ?? '');
  const streamOptions = {
    failOpen: options.failStrategy === 'FAIL_OPEN',
    allowOnHeadersStopIteration: options.allowOnHeadersStopIteration ?? false,
    bufferLimitBytes: options.bufferLimitBytes ?? 1024 * 1024,
  };

  /** A root context per plugin configuration: on_context_create, on_vm_start, on_configure. */
  const startRoot = (vm: WorkerVm, config: string): { ok: boolean; rootId: number; reason?: string } => {
    const rootId = vm.allocContextId();
    const root = new RootContext(rootId, toBytes(config), vmConfiguration, attributes);
    vm.contexts.set(rootId, root);
    vm.call(root, 'proxy_on_context_create', rootId, 0);
    const started = vm.call(root, 'proxy_on_vm_start', rootId, vmConfiguration.length);
    if (vm.failure) return { ok: false, rootId, reason: vm.failure };
    if (started.value === 0) return { ok: false, rootId, reason: 'Failed to start base Wasm' };
    const configured = vm.call(
      root,
      'proxy_on_configure',
      rootId,
      root.getBuffer(BufferType.PluginConfiguration)!.data.length,
    );
    if (vm.failure) return { ok: false, rootId, reason: vm.failure };
    if (configured.value === 0) return { ok: false, rootId, reason: 'Failed to configure base Wasm plugin' };
    return { ok: true, rootId };
  };
  const stopRoot = (vm: WorkerVm, rootId: number) => {
    const root = vm.contexts.get(rootId);
    if (!root || vm.failure) return;
    const done = vm.call(root, 'proxy_on_done', rootId);
    if (done.value !== 0) vm.call(root, 'proxy_on_delete', rootId);
    vm.contexts.delete(rootId);
  };
  const drainQueues = () => {
    // Bounded so a module that re-enqueues from on_queue_ready cannot spin the test forever.
    for (let i = 0; pending.length > 0 && i < 10_000; i++) {
      const { owner, token } = pending.shift()!;
      const vm = vms[owner.vm];
      const root = vm?.contexts.get(owner.context);
      if (vm && root) vm.call(root, 'proxy_on_queue_ready', owner.context, token);
    }
  };

  const vms: WorkerVm[] = [];
  // Envoy runs one tick timer per root context on its worker's dispatcher; here one per VM (its current root).
  const timers = new Map<WorkerVm, ReturnType<typeof setTimeout>>();
  let ticking = false;
  const tickVm = (vm: WorkerVm) => {
    const root = vm.contexts.get(vm.rootId);
    if (root && !vm.failure && vm.tickPeriodMs > 0) vm.call(root, 'proxy_on_tick', vm.rootId);
  };
  function arm(vm: WorkerVm): void {
    clearTimeout(timers.get(vm));
    timers.delete(vm);
    if (!ticking || !vms.includes(vm) || vm.failure || vm.tickPeriodMs <= 0) return;
    const timer = setTimeout(() => {
      timers.delete(vm);
      tickVm(vm);
      drainQueues();
      if (!timers.has(vm)) arm(vm);
    }, vm.tickPeriodMs);
    // Ticks alone should not keep a process (or a test run) alive.
    timer.unref();
    timers.set(vm, timer);
  }

  for (let i = 0; i < Math.max(1, options.workers ?? 1); i++) {
    const vm = WorkerVm.start(module, i, common);
    const started = startRoot(vm, configuration);
    if (!started.ok) throw new WasmLoadError(`Plugin configuration rejected: ${started.reason}`);
    vm.rootId = started.rootId;
    vms.push(vm);
  }
  drainQueues();

  let next = 0;
  const pick = (worker: number | undefined): WorkerVm => {
    const index = worker ?? next++ % vms.length;
    const vm = vms[index];
    if (!vm) throw new RangeError(`no worker ${index}; this plugin has ${vms.length}`);
    return vm;
  };
  return {
    workers: vms.length,
    logs,
    runStream(input, worker) {
      const vm = pick(worker);
      const result = runStream(vm, vm.rootId, input, streamOptions, attributes);
      drainQueues();
      return result;
    },
    openStream(input, worker) {
      const vm = pick(worker);
      return new HttpStream(vm, vm.rootId, input, streamOptions, attributes, drainQueues);
    },
    configure(config) {
      const canary = WorkerVm.start(module, -1, common);
      const checked = startRoot(canary, config);
      if (!checked.ok) {
        common.log({
          vm: -1,
          level: LogLevel.Error,
          message: `Plugin configuration rejected: ${checked.reason}`,
          contextId: 0,
        });
        return false;
      }
      stopRoot(canary, checked.rootId);
      for (const vm of vms) {
        if (vm.failure) continue;
        const previous = vm.rootId;
        const started = startRoot(vm, config);
        if (started.ok) {
          vm.rootId = started.rootId;
          stopRoot(vm, previous);
        }
      }
      drainQueues();
      return true;
    },
    tick() {
      for (const vm of vms) tickVm(vm);
      drainQueues();
    },
    startTicks() {
      ticking = true;
      for (const vm of vms) arm(vm);
    },
    stopTicks() {
      ticking = false;
      for (const vm of vms) arm(vm);
    },
    metrics: () => metrics.snapshot(),
    prometheus: () => metrics.prometheus(options.statsTags),
    sharedData: (key) => common.shared.get(vmId, key),
    failure: (worker) => vms[worker]?.failure,
    callExport(worker, name, ...args) {
      const vm = vms[worker];
      const root = vm?.contexts.get(vm.rootId);
      if (!vm || !root) throw new RangeError(`no worker ${worker}; this plugin has ${vms.length}`);
      return vm.call(root, name, ...args).value;
    },
    close() {
      ticking = false;
      for (const vm of vms) arm(vm);
      for (const vm of vms) stopRoot(vm, vm.rootId);
    },
  };
}
