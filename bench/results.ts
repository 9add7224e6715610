// bench/results.json: each suite's figures from its last run, with that run's date and machine. A suite run again
// replaces its own entry and keeps the others'; the README's benchmark tables are generated from it (bench/readme.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface Figure {
  value: number;
  unit: string;
  /** the goal the suite states, printed beside the figure */
  goal?: string;
}

export type Figures = Record<string, Figure>;

export interface SuiteRun {
  /** the day of the run, YYYY-MM-DD */
  date: string;
  /** cores, CPU model, OS and Node version: figures from different machines do not compare */
  machine: string;
  figures: Figures;
}

/** Suite name → its last run, in the order of bench/run.ts. */
export type Results = Record<string, SuiteRun>;

export function thisMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown CPU';
  return `${cpus.length} cores (${model}), ${os.platform()} ${os.arch()}, Node ${process.version}`;
}

export const today = (): string => new Date().toISOString().slice(0, 10);

export function readResults(file: string): Results {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Results) : {};
}

/** Writes the suites run over their old entries, in `order` (suites not named there last). */
export function writeResults(file: string, runs: Results, order: string[]): void {
  const all = { ...readResults(file), ...runs };
  const rank = (s: string) => (order.includes(s) ? order.indexOf(s) : order.length);
  const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => rank(a) - rank(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}

export function printTable(figures: Figures): void {
  const rows = Object.entries(figures).map(([k, f]) => [k, String(f.value), f.unit, f.goal ?? '']);
  const head = ['figure', 'value', 'unit', 'goal'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${w.map((n) => '-'.repeat(n)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The middle value of unsorted numbers (the upper one of an even count). */
export const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
