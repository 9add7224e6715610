// `npm run bench`: runs every benchmark suite, writes bench/results.json and prints a table.
import { fileURLToPath } from 'node:url';
import { benchFilter } from './filter.js';
import { type Figures, printTable, writeResults } from './results.js';
import { benchSidecar, benchSidecarHeavy } from './sidecar.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const suites: Record<string, (root: string) => Promise<Figures>> = {
  filter: benchFilter,
  sidecar: benchSidecar,
  'sidecar, heavy tools': benchSidecarHeavy,
};

const figures: Figures = {};
for (const [name, suite] of Object.entries(suites)) {
  process.stdout.write(`bench: ${name}...\n`);
  Object.assign(figures, await suite(root));
}
writeResults(`${root}bench/results.json`, figures);
printTable(figures);
process.stdout.write('written to bench/results.json\n');
