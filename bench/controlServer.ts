// The control service's fastify app (buildApp + McpEndpoint) alone in a process, for the control benchmark's
// tools/list walks: `node controlServer.js <policy JSON>` listens on 127.0.0.1 port 0 and prints {"port":…} as one
// line on stdout. Reads commands on stdin: `catalog <n>` sets the data catalog of n services (bench/dataCatalog.ts)
// and answers `ready`. Exits, closing the app, when stdin ends or on SIGTERM. Nothing else may write to stdout: it is
// the protocol channel.
import type { AddressInfo } from 'node:net';
import { buildApp } from '../control/app.js';
import { McpEndpoint } from '../control/mcp/endpoint.js';
import { ControlMetrics } from '../control/metrics.js';
import type { GatewayPolicy } from '../control/types.js';
import { dataCatalog } from './dataCatalog.js';
import { onCommands } from './lineChild.js';

async function main(): Promise<void> {
  const policy = JSON.parse(process.argv[2] ?? 'null') as GatewayPolicy['policy'] | null;
  if (!policy) throw new Error('usage: controlServer.js <policy JSON>');
  const endpoint = new McpEndpoint({ version: '0.0.0-bench', policy });
  const app = await buildApp({ endpoint, metrics: new ControlMetrics({ defaultMetrics: false }), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  let closing = false;
  const exit = () => {
    if (closing) return;
    closing = true;
    void app.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', exit);
  process.stdin.on('end', exit);
  process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`);

  onCommands((line) => {
    const [cmd, arg] = line.split(' ');
    if (cmd === 'catalog') {
      endpoint.setCatalog(dataCatalog(Number(arg)));
      process.stdout.write('ready\n');
    }
  });
}

main().catch((err) => {
  process.stderr.write(`controlServer: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
