// Hand-written readers for tools.yaml values: each problem is recorded with its path and fix, never thrown, so one
// pass reports every mistake in the file.
import { ConfigError } from '../../errors.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects every problem of one file. */
export class Problems {
  readonly errors: ConfigError[] = [];
  constructor(readonly file: string) {}
  add(path: string, problem: string, fix: string): void {
    this.errors.push(new ConfigError(this.file, path, problem, fix));
  }
  /** number of problems so far, to tell whether a sub-parse added any */
  get count(): number {
    return this.errors.length;
  }
}

/** `tools[2].config.url`; keys that are not identifiers are quoted so the path stays unambiguous. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${k}` : k;
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isObj(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest candidate when it is plausibly a typo (case, `-` for `_`, or a couple of edits). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = norm(word) === norm(c) ? 0 : distance(norm(word), norm(c));
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(2, Math.floor(word.length / 3))) ? best : undefined;
}

/**
 * Reports keys not in `allowed`. `elsewhere` maps keys that are valid at another level to advice on where they go,
 * because a misplaced key is a more common mistake than a typo.
 */
export function checkKeys(
  p: Problems,
  obj: Obj,
  path: string,
  allowed: readonly string[],
  what: string,
  elsewhere: Record<string, string> = {},
): void {
  for (const k of Object.keys(obj)) {
    if (allowed.includes(k)) continue;
    const moved = elsewhere[k];
    if (moved) {
      p.add(at(path, k), `"${k}" does not belong here`, moved);
      continue;
    }
    const near = didYouMean(k, allowed);
    p.add(
      at(path, k),
      `unknown key "${k}" in ${what}`,
      near ? `did you mean "${near}"?` : `remove it; the keys of ${what} are: ${[...new Set(allowed)].join(', ')}`,
    );
  }
}

export function readString(
  p: Problems,
  obj: Obj,
  key: string,
  path: string,
  opts: { required?: boolean; fix?: string; nonEmpty?: boolean } = {},
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (opts.required) p.add(at(path, key), `"${key}" is missing`, opts.fix ?? `add ${key}:`);
    return undefined;
  }
  if (typeof v !== 'string') {
    p.add(at(path, key), `"${key}" must be a string, got ${describe(v)}`, opts.fix ?? `write ${key} as text`);
    return undefined;
  }
  if (opts.nonEmpty !== false && v.trim() === '') {
    p.add(at(path, key), `"${key}" is empty`, opts.fix ?? `give ${key} a value`);
    return undefined;
  }
  return v;
}

export function readBool(p: Problems, obj: Obj, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    p.add(at(path, key), `"${key}" must be true or false, got ${describe(v)}`, `write ${key}: true or ${key}: false`);
    return undefined;
  }
  return v;
}

/** A list of non-empty strings (a single string is accepted as a one-item list). */
export function readStringList(p: Problems, obj: Obj, key: string, path: string): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) {
    p.add(at(path, key), `"${key}" must be a list of strings, got ${describe(v)}`, `write ${key}: [a, b]`);
    return undefined;
  }
  return list as string[];
}

/** A whole number within bounds, or the default when absent; a wrong value is reported (and the default returned). */
export function readInteger(
  p: Problems,
  obj: Obj,
  key: string,
  path: string,
  bounds: { min: number; max: number; default: number },
): number {
  const v = obj[key];
  if (v === undefined) return bounds.default;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < bounds.min || v > bounds.max) {
    p.add(
      at(path, key),
      `${key} must be an integer from ${bounds.min} to ${bounds.max}, got ${describe(v)}`,
      `write ${key}: ${bounds.default}`,
    );
    return bounds.default;
  }
  return v;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `5s`, `2m`, `1h`, `7d`, `1.5s`, or a number of milliseconds; undefined when malformed. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

/** The largest whole unit a duration is written in: 2h, 5m, 30s or 250ms (for descriptions). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function readDuration(
  p: Problems,
  obj: Obj,
  key: string,
  path: string,
  bounds: { min: number; max: number },
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const ms = parseDuration(v);
  const fmt = (n: number) => (n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`);
  if (ms === undefined) {
    p.add(at(path, key), `"${key}" is not a duration: ${describe(v)}`, `write it like 500ms, 5s, 2m, 1h or 7d`);
    return undefined;
  }
  if (ms < bounds.min || ms > bounds.max) {
    p.add(
      at(path, key),
      `"${key}" ${fmt(ms)} is out of range`,
      `use a value between ${fmt(bounds.min)} and ${fmt(bounds.max)}`,
    );
    return undefined;
  }
  return ms;
}
