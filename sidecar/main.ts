// `meshmcp sidecar`: resolves settings, starts the sidecar, and shuts down gracefully on SIGTERM/SIGINT.
import { helpText, runCommand } from '../shared/options.js';
import { type PackHealth, type SidecarOptions, startSidecar } from './app.js';
import { SIDECAR_OPTIONS, settingsFromOptions } from './config.js';
import { fileToolSource } from './toolSource.js';
import { genericTools } from './tools/index.js';
import type { Tool } from './types.js';

export const SIDECAR_HELP = helpText(
  'meshmcp sidecar [options]',
  'Runs the per-pod MCP sidecar: generic diagnostics (health, metrics, logs, Envoy admin, endpoints, environment)\nplus the tools declared in tools.yaml, over MCP Streamable HTTP at POST /mcp. With --bridge it fronts an MCP\nserver in the pod instead, and relays its requests for input between the 2025-11-25 and 2026-07-28 revisions.',
  SIDECAR_OPTIONS,
);

export function main(argv: string[]): Promise<number> {
  return runCommand('sidecar', SIDECAR_OPTIONS, SIDECAR_HELP, argv, async (values) => {
    const settings = settingsFromOptions(values);
    let sidecar: Awaited<ReturnType<typeof startSidecar>>;
    try {
      let opts: Omit<SidecarOptions, 'settings'>;
      if (settings.bridge) {
        // Bridge mode serves no tools; its module loads only then, so the ordinary sidecar never pays for it.
        const { bridgeFor } = await import('./bridge/index.js');
        opts = { genericTools: [], bridge: (log) => bridgeFor(settings, log) };
      } else {
        const source = fileToolSource(settings.toolsConfig, settings.serviceName, settings.appUrl);
        // A pack replaces the generic tools; its module loads only then, so the ordinary sidecar never pays for it.
        let tools: readonly Tool[] = genericTools;
        let packHealth: PackHealth | undefined;
        if (settings.pack === 'kubernetes') {
          const pack = await import('./packs/kubernetes/index.js');
          tools = pack.kubernetesPack;
          packHealth = pack.kubernetesHealth(settings);
        } else if (settings.pack === 'prometheus') tools = (await import('./packs/prometheus.js')).prometheusPack;
        else if (settings.pack === 'logs') tools = (await import('./packs/logs.js')).logsPack;
        opts = {
          genericTools: tools,
          toolSource: source,
          onClose: source.close,
          ...(packHealth ? { packHealth } : {}),
        };
      }
      sidecar = await startSidecar({ settings, ...opts });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why =
        e.code === 'EADDRINUSE'
          ? `port ${settings.port} on ${settings.host} is already in use (pick another with --port / MCP_PORT)`
          : e.message;
      throw new Error(`cannot start: ${why}`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        sidecar.log.info('shutting down', { signal });
        sidecar.close().then(resolve, resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  });
}
