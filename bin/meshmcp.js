#!/usr/bin/env node
// Launcher for the meshmcp command: runs the compiled CLI. In a checkout whose TypeScript was never compiled (and
// whose dev dependencies are installed), it builds first; otherwise it says how to.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tooOld } from './nodeVersion.js';

const old = tooOld(process.versions.node);
if (old) {
  process.stderr.write(`${old}\n`);
  process.exit(1);
}

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(main) && existsSync(`${root}node_modules/typescript`)) {
  process.stderr.write('meshmcp: dist/ is missing; building it first (npm run build)...\n');
  spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
if (!existsSync(main)) {
  process.stderr.write('meshmcp: dist/cli/main.js is missing. Run `npm run build` (npm ci runs it for you).\n');
  process.exit(1);
}
await import(main);
