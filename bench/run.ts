// `npm run bench`: runs every benchmark suite, writes bench/results.json, prints a table and regenerates the
// README's benchmark tables from results.json (bench/readme.ts).
// `node dist/bench/run.js control sidecar` runs only the suites named (the others' figures stay in results.json).
// A suite that cannot run on this machine (the 64Mi cgroup suites without root and cgroup v1) says so and is skipped.
import { fileURLToPath } from 'node:url';
import { benchBridge } from './bridge.js';
import { benchControl } from './control.js';
import { benchE2e } from './e2e.js';
import { benchFilter } from './filter.js';
import { benchKubePackCgroup, KUBE_PACK_SUITE } from './kubePackCgroup.js';
import { benchProtocol } from './protocol.js';
import { updateReadme } from './readme.js';
import { type Figures, printTable, type Results, thisMachine, today, writeResults } from './results.js';
import { benchSidecar, benchSidecarHeavy } from './sidecar.js';
import { benchSidecarCgroup, CGROUP_SUITE } from './sidecarCgroup.js';
import { benchSoak } from './soak.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const suites: Record<string, (root: string) => Promise<Figures>> = {
  filter: benchFilter,
  sidecar: benchSidecar,
  'sidecar, heavy tools': benchSidecarHeavy,
  bridge: benchBridge,
  [CGROUP_SUITE]: benchSidecarCgroup,
  [KUBE_PACK_SUITE]: benchKubePackCgroup,
  control: benchControl,
  e2e: benchE2e,
  protocol: benchProtocol,
  soak: benchSoak,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length > 0) {
  process.stderr.write(`bench: no suite ${unknown.join(', ')}; suites: ${Object.keys(suites).join(', ')}\n`);
  process.exit(2);
}

const runs: Results = {};
const figures: Figures = {};
for (const [name, suite] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`bench: ${name}...\n`);
  const run = { date: today(), machine: thisMachine(), figures: await suite(root) };
  // A suite that returns no figures skipped itself (it printed why): its last recorded run, with its own date and
  // machine, stays in results.json rather than being replaced by an empty one.
  if (Object.keys(run.figures).length === 0) continue;
  runs[name] = run;
  Object.assign(figures, run.figures);
}
writeResults(`${root}bench/results.json`, runs, Object.keys(suites));
printTable(figures);
process.stdout.write('written to bench/results.json\n');
if (updateReadme(root)) process.stdout.write('README.md: benchmark tables regenerated\n');
