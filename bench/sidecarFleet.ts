// A fleet of real sidecars in one process, for the control benchmark's catalog rounds: `node sidecarFleet.js <n>
// [first]` starts n sidecars (startSidecar with the real generic tools, each on its own 127.0.0.1 port 0) and prints
// {"ports":[…]} as one line on stdout once all listen. Reads commands on stdin: `drop` closes every open connection
// (so the next catalog round connects cold) and answers `dropped`. Exits, closing every server, when stdin ends or
// on SIGTERM. Nothing else may write to stdout: it is the protocol channel.
import { type Sidecar, startSidecar } from '../sidecar/app.js';
import { resolveSettings } from '../sidecar/config.js';
import { genericTools } from '../sidecar/tools/index.js';
import type { SidecarSettings } from '../sidecar/types.js';
import { onCommands } from './lineChild.js';

const silent = { write: () => true };

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  const first = Number(process.argv[3] ?? 0);
  if (!Number.isInteger(n) || n < 1) throw new Error('usage: sidecarFleet.js <count> [first index]');
  const sidecars: Sidecar[] = [];
  let closing: Promise<void> | undefined;
  const closeAll = () => {
    closing ??= Promise.all(sidecars.map((s) => s.close())).then(() => undefined);
    return closing;
  };
  const exit = () => void closeAll().finally(() => process.exit(0));
  process.once('SIGTERM', exit);
  process.stdin.on('end', exit);

  for (let i = first; i < first + n; i++) {
    // The app URL points at the discard port: tools/list never calls the app.
    const settings = resolveSettings(
      ['--service-name', `fleet-${i}`, '--port', '0', '--app-url', 'http://127.0.0.1:9', '--log-level', 'warn'],
      {},
    ) as SidecarSettings;
    sidecars.push(await startSidecar({ settings, genericTools, logSink: silent, env: {} }));
  }
  process.stdout.write(`${JSON.stringify({ ports: sidecars.map((s) => Number(new URL(s.url).port)) })}\n`);

  onCommands((cmd) => {
    if (cmd === 'drop') {
      for (const s of sidecars) s.server.closeAllConnections();
      process.stdout.write('dropped\n');
    }
  });
}

main().catch((err) => {
  process.stderr.write(`sidecarFleet: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
