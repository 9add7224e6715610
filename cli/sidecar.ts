// `meshmcp sidecar`: runs the bundled sidecar as the pod does, in a child Node process with the sidecar's own flags
// (sidecar/nodeFlags.ts), so it stays inside the pod's 64Mi limit; run in the CLI's process without them it does not.
// Signals are handed on and the child's exit status is the command's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIDECAR_NODE_FLAGS } from '../sidecar/nodeFlags.js';

const BUNDLE = join(fileURLToPath(new URL('../../', import.meta.url)), 'dist/sidecar-bundle/meshmcp-sidecar.mjs');
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export function main(argv: string[]): Promise<number> {
  if (!existsSync(BUNDLE)) {
    process.stderr.write(`meshmcp sidecar: ${BUNDLE} is missing; run npm run build (npm ci does it)\n`);
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, BUNDLE, ...argv], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`meshmcp sidecar: could not start ${process.execPath}: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      // As a shell reports it: 128 + the signal's number when the child was killed by one.
      const signalled = signal ? 128 + (signalNumber[signal] ?? 0) : undefined;
      resolve(code ?? signalled ?? 1);
    });
  });
}

const signalNumber: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
