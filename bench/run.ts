// `npm run bench`: runs every benchmark suite, writes bench/results.json and prints a table.
// `node dist/bench/run.js control sidecar` runs only the suites named (the others' figures stay in results.json).
import { fileURLToPath } from 'node:url';
import { benchControl } from './control.js';
import { benchE2e } from './e2e.js';
import { benchFilter } from './filter.js';
import { type Figures, printTable, writeResults } from './results.js';
import { benchSidecar, benchSidecarHeavy } from './sidecar.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const suites: Record<string, (root: string) => Promise<Figures>> = {
  filter: benchFilter,
  sidecar: benchSidecar,
  'sidecar, heavy tools': benchSidecarHeavy,
  control: benchControl,
  e2e: benchE2e,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length > 0) {
  process.stderr.write(`bench: no suite ${unknown.join(', ')}; suites: ${Object.keys(suites).join(', ')}\n`);
  process.exit(2);
}

const figures: Figures = {};
for (const [name, suite] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`bench: ${name}...\n`);
  Object.assign(figures, await suite(root));
}
writeResults(`${root}bench/results.json`, figures);
printTable(figures);
process.stdout.write('written to bench/results.json\n');
