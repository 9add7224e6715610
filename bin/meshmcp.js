#!/usr/bin/env node
// Launcher for the meshmcp command: runs the compiled CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('meshmcp: dist/cli/main.js is missing. Run `npm run build` (npm ci runs it for you).\n');
  process.exit(1);
}
await import(main);
