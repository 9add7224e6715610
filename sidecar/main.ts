// `meshmcp sidecar`: resolves settings, starts the sidecar, and shuts down gracefully on SIGTERM/SIGINT.
import { helpText, runCommand } from '../shared/options.js';
import { type PackHealth, startSidecar } from './app.js';
import { SIDECAR_OPTIONS, settingsFromOptions } from './config.js';
import { fileToolSource } from './toolSource.js';
import { genericTools } from './tools/index.js';
import type { Tool } from './types.js';

export const SIDECAR_HELP = helpText(
  'meshmcp sidecar [options]',
  'Runs the per-pod MCP sidecar: generic diagnostics (health, metrics, logs, Envoy admin, endpoints, environment)\nplus the tools declared in tools.yaml, over MCP Streamable HTTP at POST /mcp.',
  SIDECAR_OPTIONS,
);

export function main(argv: string[]): Promise<number> {
  return runCommand('sidecar', SIDECAR_OPTIONS, SIDECAR_HELP, argv, async (values) => {
    const settings = settingsFromOptions(values);
    const source = fileToolSource(settings.toolsConfig, settings.serviceName, settings.appUrl);
    let sidecar: Awaited<ReturnType<typeof startSidecar>>;
    try {
      // A pack replaces the generic tools; its module loads only then, so the ordinary sidecar never pays for it.
      let tools: readonly Tool[] = genericTools;
      let packHealth: PackHealth | undefined;
      if (settings.pack === 'kubernetes') {
        const pack = await import('./packs/kubernetes/index.js');
        tools = pack.kubernetesPack;
        packHealth = pack.kubernetesHealth(settings);
      } else if (settings.pack === 'prometheus') tools = (await import('./packs/prometheus.js')).prometheusPack;
      else if (settings.pack === 'logs') tools = (await import('./packs/logs.js')).logsPack;
      sidecar = await startSidecar({
        settings,
        genericTools: tools,
        toolSource: source,
        onClose: source.close,
        ...(packHealth ? { packHealth } : {}),
      });
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
