// The local mesh's MCP servers of their own (devMesh.ts UPSTREAM_SERVERS), each a process like a pod's only
// container: the published server-everything from npm, held to loopback, and the conformance test server of demo/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessGroup } from './devProcesses.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const EVERYTHING = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';

export function startUpstream(group: ProcessGroup, name: string, port: number): Promise<void> {
  // The conformance server as a server of one revision only, which the local mesh puts behind a bridge.
  const revisions = name === 'bridged' ? ['--revisions', '2025-11-25'] : [];
  const node = process.execPath;
  if (name === 'everything') {
    const main = join(root, EVERYTHING);
    if (!existsSync(main)) {
      throw new Error(`${EVERYTHING} is missing: run \`npm ci\` (server-everything is a devDependency)`);
    }
    return group.start({
      name,
      command: node,
      // It listens on every interface and prints its environment on request (its get-env tool): loopback only, and
      // nothing in its environment but what it needs.
      args: ['--import', join(root, 'dist/cli/loopbackListen.js'), main, 'streamableHttp'],
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port) },
      readyLine: 'listening on port',
    });
  }
  return group.start({
    name,
    command: node,
    // It checks Host and Origin against DNS rebinding; the gateway forwards the client's, which in the local mesh is
    // 127.0.0.1 or localhost, as it accepts anyway.
    args: [join(root, 'bin/meshmcp.js'), 'demo', 'conformance-server', '--port', String(port), ...revisions],
    readyLine: 'listening',
  });
}
