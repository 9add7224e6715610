// bench/results.json: a flat object of named figures, each {value, unit}; merged so one suite keeps the others'.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Figure {
  value: number;
  unit: string;
  /** the goal, printed beside the figure; not stored */
  goal?: string;
}

export type Figures = Record<string, Figure>;

export function writeResults(file: string, figures: Figures): void {
  const old: Record<string, { value: number; unit: string }> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { value: number; unit: string }>)
    : {};
  for (const [k, f] of Object.entries(figures)) old[k] = { value: f.value, unit: f.unit };
  const sorted = Object.fromEntries(Object.entries(old).sort(([a], [b]) => a.localeCompare(b)));
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

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
