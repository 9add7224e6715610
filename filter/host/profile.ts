// Where a module's time goes, for a build that marks its own sections (meshmcp's profile build,
// filter/assembly/profile.ts). Given as PluginOptions.profile, the host provides the import
// `meshmcp_profile.mark(section)` (not an Envoy function: only a plugin asked to profile has it) and puts the VM's
// whole life on one timeline of performance.now() readings, each moment in one bucket:
//
// - a section of the module's own work, from the mark that enters it to the mark that leaves it (sections nest: the
//   inner one has the time until it is left), or the module outside every section (`other`);
// - host calls: inside any host function the module called (the TS host's own cost of answering it, and the module's
//   malloc the host calls to copy data in);
// - outside: between the callbacks the host makes (what the host does per stream besides calling the module).
//
// Every reading costs time that the release module never spends, so `withoutReadings()` takes out a measured cost
// per reading: half of it from the interval before the reading, half from the one after.

import { Wasm, type WasmModule } from './wasmApi.js';

/** The import module the profile build's marks come through. */
export const PROFILE_MODULE = 'meshmcp_profile';

/** meshmcp's sections by number, as filter/assembly/profile.ts numbers them; 0 is the module outside all of them. */
export const FILTER_SECTIONS: readonly string[] = [
  'other',
  'scan',
  'identity',
  'policy',
  'rate limit',
  'headers',
  'route',
  'metrics',
  'audit',
  'reply',
  'gc',
];

/** Kinds of reading, for the correction: a mark crosses from wasm to JS and back; the others are JS only. */
const MARK = 0;
const HOST = 1;

export interface ProfileTotals {
  /** Milliseconds per bucket: each section's name, then `host calls` and `outside`. */
  ms: Record<string, number>;
  /** Per bucket, how many of its intervals' ends were marks and how many host-side readings (two ends each). */
  ends: Record<string, { marks: number; host: number }>;
  /** The `host calls` bucket by host function: milliseconds and calls. */
  hostFunctions: Record<string, { ms: number; calls: number }>;
  /** How many times each section was entered. */
  entered: Record<string, number>;
  callbacks: number;
  hostCalls: number;
  marks: number;
  /** Callbacks that returned with a section still open (a mark not left on some path); 0 in a sound build. */
  unbalanced: number;
}

/**
 * The totals with the readings' own cost taken out: `markMs` per mark (the module's call out and back, and the
 * reading), `hostMs` per reading the host makes around a callback or a host call, half from the interval before
 * each reading and half from the one after (bench/filter.ts measures both costs).
 */
export function withoutReadings(t: ProfileTotals, markMs: number, hostMs: number): ProfileTotals {
  const ms: Record<string, number> = {};
  for (const [name, v] of Object.entries(t.ms)) {
    const ends = t.ends[name]!;
    ms[name] = v - (ends.marks * markMs + ends.host * hostMs) / 2;
  }
  // A host call is one interval between two host-side readings: one reading's cost, half of each.
  const hostFunctions: Record<string, { ms: number; calls: number }> = {};
  for (const [name, f] of Object.entries(t.hostFunctions)) {
    hostFunctions[name] = { ms: f.ms - f.calls * hostMs, calls: f.calls };
  }
  return { ...t, ms, hostFunctions };
}

/**
 * A module that calls its one import `m.f` twice per turn, with 1 and then 0, `loop(n)` turns (n >= 1):
 * (import "m" "f" (func (param i32))) (func (export "loop") (param i32) (loop (call 0 (i32.const 1))
 * (call 0 (i32.const 0)) (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))).
 */
const CALIBRATION_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x02, 0x07, 0x01, 0x01,
  0x6d, 0x01, 0x66, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x6c, 0x6f, 0x6f, 0x70, 0x00, 0x01,
  0x0a, 0x18, 0x01, 0x16, 0x00, 0x03, 0x40, 0x41, 0x01, 0x10, 0x00, 0x41, 0x00, 0x10, 0x00, 0x20, 0x00, 0x41, 0x01,
  0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x0b,
]);

/**
 * What the readings cost, in ms, measured as the module makes them: a mark (the whole call out of wasm and back,
 * which the release build never makes), and a host-side reading (what `timed` adds to a host function the module
 * calls, per reading, over calling that function directly). Each the best of `rounds` loops of `turns`.
 */
export function readingCosts(turns = 100_000, rounds = 7): { markMs: number; hostMs: number } {
  const scratch = new Profile(['other', 'calibration']);
  scratch.callbackEnter();
  let sink = 0;
  const nothing = (section: number) => {
    sink += section;
  };
  const loop = (f: (section: number) => void) => {
    const instance = new Wasm.Instance(moduleOf(CALIBRATION_MODULE), { m: { f } });
    return instance.exports['loop'] as (n: number) => void;
  };
  const direct = loop(nothing);
  const timed = loop(scratch.timed(nothing as (...args: never[]) => unknown) as (section: number) => void);
  const marked = loop((section) => scratch.mark(section));
  const best = (run: (n: number) => void) => {
    run(1000);
    let ms = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      run(turns);
      ms = Math.min(ms, performance.now() - t0);
    }
    return ms;
  };
  const directMs = best(direct);
  const timedMs = best(timed);
  const markedMs = best(marked);
  if (sink < 0) throw new Error('unreachable');
  // Two calls per turn; two host-side readings per timed call, one mark per marked call.
  return { markMs: markedMs / (2 * turns), hostMs: Math.max(0, timedMs - directMs) / (4 * turns) };
}

const compiled = new Map<Uint8Array, WasmModule>();
function moduleOf(bytes: Uint8Array): WasmModule {
  let module = compiled.get(bytes);
  if (!module) {
    module = new Wasm.Module(bytes);
    compiled.set(bytes, module);
  }
  return module;
}

export class Profile {
  readonly buckets: readonly string[];
  private readonly hostBucket: number;
  private readonly outsideBucket: number;
  private ms: Float64Array;
  /** Per bucket and kind of reading: how many interval ends (two per interval) were that kind. */
  private ends: Float64Array;
  private entered: Float64Array;
  /** Host functions by the order they were wrapped, and their time. */
  private readonly hostNames: string[] = [];
  private hostFunctionMs = new Float64Array(64);
  private hostFunctionCalls = new Float64Array(64);
  private hostFunction = 0;
  private readonly stack = new Int32Array(256);
  private depth = 0;
  private callbackDepth = 0;
  private hostDepth = 0;
  private bucket: number;
  private lastKind = HOST;
  private last = performance.now();
  private callbacks = 0;
  private hostCalls = 0;
  private marks = 0;
  private unbalanced = 0;

  constructor(readonly sections: readonly string[] = FILTER_SECTIONS) {
    this.buckets = [...sections, 'host calls', 'outside'];
    this.hostBucket = sections.length;
    this.outsideBucket = sections.length + 1;
    this.bucket = this.outsideBucket;
    this.ms = new Float64Array(this.buckets.length);
    this.ends = new Float64Array(this.buckets.length * 2);
    this.entered = new Float64Array(sections.length);
  }

  /** `meshmcp_profile.mark`: a section number enters that section, 0 leaves the innermost one. */
  mark(section: number): void {
    this.marks++;
    if (section > 0 && section < this.sections.length && this.depth < this.stack.length) {
      this.stack[this.depth++] = section;
      this.entered[section]!++;
    } else if (section === 0 && this.depth > 0) this.depth--;
    this.switchTo(this.wasmBucket(), MARK);
  }

  /** Around each callback the host makes into the module (vm.call). */
  callbackEnter(): void {
    if (this.callbackDepth++ > 0) return;
    this.callbacks++;
    this.depth = 0;
    this.switchTo(0, HOST);
  }

  callbackLeave(): void {
    if (--this.callbackDepth > 0) return;
    if (this.depth !== 0) this.unbalanced++;
    this.depth = 0;
    this.switchTo(this.outsideBucket, HOST);
  }

  /** Around each host function the module calls; `fn` numbers it (see `timed`). */
  hostEnter(fn = 0): void {
    if (this.hostDepth++ > 0 || this.callbackDepth === 0) return;
    this.hostCalls++;
    this.switchTo(this.hostBucket, HOST);
    this.hostFunction = fn;
  }

  hostLeave(): void {
    if (--this.hostDepth > 0 || this.callbackDepth === 0) return;
    const t = this.last;
    this.switchTo(this.wasmBucket(), HOST);
    this.hostFunctionMs[this.hostFunction]! += this.last - t;
    this.hostFunctionCalls[this.hostFunction]!++;
  }

  /** Starts the totals over (the timeline goes on). */
  reset(): void {
    this.switchTo(this.bucket, this.lastKind);
    this.ms.fill(0);
    this.hostFunctionMs.fill(0);
    this.hostFunctionCalls.fill(0);
    this.ends.fill(0);
    this.entered.fill(0);
    this.callbacks = 0;
    this.hostCalls = 0;
    this.marks = 0;
    this.unbalanced = 0;
  }

  /** The totals since the last reset, as measured (readings included: see withoutReadings). */
  totals(): ProfileTotals {
    const ms: Record<string, number> = {};
    const ends: Record<string, { marks: number; host: number }> = {};
    this.buckets.forEach((name, b) => {
      ms[name] = this.ms[b]!;
      ends[name] = { marks: this.ends[b * 2 + MARK]!, host: this.ends[b * 2 + HOST]! };
    });
    const hostFunctions: Record<string, { ms: number; calls: number }> = {};
    this.hostNames.forEach((name, id) => {
      const calls = this.hostFunctionCalls[id]!;
      if (calls > 0) hostFunctions[name] = { ms: this.hostFunctionMs[id]!, calls };
    });
    const entered: Record<string, number> = {};
    this.sections.forEach((name, s) => {
      entered[name] = this.entered[s]!;
    });
    return {
      ms,
      ends,
      hostFunctions,
      entered,
      callbacks: this.callbacks,
      hostCalls: this.hostCalls,
      marks: this.marks,
      unbalanced: this.unbalanced,
    };
  }

  /** A host function that puts its time in the host calls' bucket, and under `name`. */
  timed<F extends (...args: never[]) => unknown>(fn: F, name = ''): F {
    let id = this.hostNames.indexOf(name);
    if (id < 0) id = this.hostNames.push(name) - 1;
    if (id >= this.hostFunctionMs.length) {
      const grow = (a: Float64Array) => {
        const grown = new Float64Array(a.length * 2);
        grown.set(a);
        return grown;
      };
      this.hostFunctionMs = grow(this.hostFunctionMs);
      this.hostFunctionCalls = grow(this.hostFunctionCalls);
    }
    return ((...args: never[]) => {
      this.hostEnter(id);
      try {
        return fn(...args);
      } finally {
        this.hostLeave();
      }
    }) as F;
  }

  private wasmBucket(): number {
    if (this.callbackDepth === 0) return this.outsideBucket;
    if (this.hostDepth > 0) return this.hostBucket;
    return this.depth > 0 ? this.stack[this.depth - 1]! : 0;
  }

  private switchTo(bucket: number, kind: number): void {
    const t = performance.now();
    const b = this.bucket;
    this.ms[b]! += t - this.last;
    this.ends[b * 2 + this.lastKind]!++;
    this.ends[b * 2 + kind]!++;
    this.last = t;
    this.bucket = bucket;
    this.lastKind = kind;
  }
}
