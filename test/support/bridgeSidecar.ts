// A real sidecar in bridge mode, in-process on 127.0.0.1:0, in front of an MCP server; its logs captured.
import { type Sidecar, startSidecar } from '../../sidecar/app.js';
import { type Bridge, bridgeFor } from '../../sidecar/bridge/index.js';
import { resolveSettings } from '../../sidecar/config.js';
import type { SidecarSettings } from '../../sidecar/types.js';

export interface BridgeSidecar extends Sidecar {
  mcpUrl: string;
  logs: Record<string, unknown>[];
  /** exchanges the bridge has in flight or holds now */
  held(): number;
}

/** flags: at least --bridge-protocols; more (--bridge-max-held, …) as the test needs. */
export async function startBridgeSidecar(upstreamUrl: string, flags: string[]): Promise<BridgeSidecar> {
  const settings = resolveSettings(
    ['--service-name', 'bridged-service', '--port', '0', '--bridge', upstreamUrl, ...flags],
    {},
  ) as SidecarSettings;
  const logs: Record<string, unknown>[] = [];
  let bridge: Bridge | undefined;
  const sidecar = await startSidecar({
    settings,
    genericTools: [],
    logSink: { write: (line: string) => logs.push(JSON.parse(line)) },
    env: {},
    bridge: (log) => {
      bridge = bridgeFor(settings, log);
      return bridge;
    },
  });
  return Object.assign(sidecar, { mcpUrl: `${sidecar.url}/mcp`, logs, held: () => bridge!.held() });
}
