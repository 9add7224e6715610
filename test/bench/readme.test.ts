// The README's benchmark tables are generated from bench/results.json (bench/readme.ts): they must match it, so a
// figure can never go stale in the README by hand. Only the tables' form is checked here, never a figure's size.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchTable, readmeSuites, renderReadme } from '../../bench/readme.js';
import { type Results, readResults } from '../../bench/results.js';
import { ROOT } from '../support/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const results = readResults(join(ROOT, 'bench/results.json'));

describe('bench/results.json and the README', () => {
  it('every suite has a date, a machine and figures with units', () => {
    expect(Object.keys(results)).toEqual([
      'filter',
      'sidecar',
      'sidecar, heavy tools',
      'bridge',
      'sidecar, 64Mi cgroup',
      'kubernetes pack, 64Mi cgroup',
      'control',
      'e2e',
      'protocol',
      'soak',
    ]);
    for (const run of Object.values(results)) {
      expect(run.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(run.machine).not.toBe('');
      expect(Object.keys(run.figures).length).toBeGreaterThan(0);
      for (const f of Object.values(run.figures)) {
        expect(typeof f.value).toBe('number');
        expect(f.unit).not.toBe('');
      }
    }
  });

  it('the README shows every suite once, and its tables are what npm run bench:readme generates', () => {
    expect(readmeSuites(readme).sort()).toEqual(Object.keys(results).sort());
    expect(renderReadme(readme, results), 'README benchmark tables differ: run npm run bench:readme').toBe(readme);
  });
});

describe('benchTable', () => {
  const run = (date: string, value: number): Results[string] => ({
    date,
    machine: '2 cores (Test CPU), linux x64, Node v20.0.0',
    figures: { x_bytes: { value, unit: 'bytes', goal: '<= 65536 | soon' } },
  });

  it('groups digits, escapes pipes and states the run once when the suites share it', () => {
    const table = benchTable({ a: run('2026-12-03', 6564432), b: run('2026-12-03', 0.5) }, ['a', 'b']);
    expect(table).toContain('Measured 2026-12-03, 2 cores (Test CPU), linux x64, Node v20.0.0.');
    expect(table).toContain('| `x_bytes` | 6 564 432 bytes | <= 65536 \\| soon |');
    expect(table).toContain('| `x_bytes` | 0.5 bytes |');
  });

  it('states each run when they differ, and refuses a suite results.json lacks', () => {
    const table = benchTable({ a: run('2026-12-01', 1), b: run('2026-12-03', 2) }, ['a', 'b']);
    expect(table).toContain('`a` measured 2026-12-01');
    expect(table).toContain('`b` measured 2026-12-03');
    expect(() => renderReadme('<!-- bench: nope -->\n<!-- /bench -->', {})).toThrow(/suite "nope"/);
  });
});
