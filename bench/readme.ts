// The README's benchmark tables, generated from bench/results.json so they never go stale by hand. Each table sits
// between `<!-- bench: <suite>[; <suite>…] -->` and `<!-- /bench -->` and says when and on what machine its figures
// were measured. `npm run bench` rewrites them after a run; `npm run bench:readme` (this file) after results.json
// changed otherwise. test/bench/readme.test.ts fails when the README and results.json disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Figure, type Results, readResults } from './results.js';

const SECTION = /(<!-- bench: ([^>]+?) -->\n)[\s\S]*?(<!-- \/bench -->)/g;

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** 6564432 → "6 564 432", the README's grouping. */
const value = (f: Figure): string => `${number.format(f.value).replace(/,/g, ' ')} ${f.unit}`;

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The body of one marked section: when and where the suites ran, then one row per figure. */
export function benchTable(results: Results, suites: string[]): string {
  const runs = suites.map((s) => {
    const run = results[s];
    if (!run) throw new Error(`README names benchmark suite "${s}", which bench/results.json does not hold`);
    return { suite: s, ...run };
  });
  const when = (r: (typeof runs)[number]) => `${r.date}, ${r.machine}`;
  const sameRun = runs.every((r) => when(r) === when(runs[0]!));
  const provenance = sameRun
    ? `Measured ${when(runs[0]!)}.`
    : runs.map((r) => `\`${r.suite}\` measured ${when(r)}.`).join(' ');
  const rows = runs.flatMap((r) =>
    Object.entries(r.figures).map(([name, f]) => `| \`${name}\` | ${value(f)} | ${cell(f.goal ?? '')} |`),
  );
  return [
    `${provenance} Generated from \`bench/results.json\`; do not edit by hand.`,
    '',
    '| figure | value | goal |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** The README with every marked section regenerated; throws on a section naming a suite results.json lacks. */
export function renderReadme(readme: string, results: Results): string {
  return readme.replace(SECTION, (_all, open: string, names: string, close: string) => {
    const suites = names.split(';').map((s) => s.trim());
    return `${open}${benchTable(results, suites)}${close}`;
  });
}

/** The suites the README's marked sections name, in order. */
export function readmeSuites(readme: string): string[] {
  return [...readme.matchAll(SECTION)].flatMap((m) => m[2]!.split(';').map((s) => s.trim()));
}

/** Rewrites README.md under root from bench/results.json; true when it changed. */
export function updateReadme(root: string): boolean {
  const file = `${root}README.md`;
  const before = readFileSync(file, 'utf8');
  const after = renderReadme(before, readResults(`${root}bench/results.json`));
  if (after !== before) writeFileSync(file, after);
  return after !== before;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  process.stdout.write(
    updateReadme(root) ? 'README.md: benchmark tables regenerated\n' : 'README.md: benchmark tables up to date\n',
  );
}
