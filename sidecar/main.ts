// `meshmcp sidecar`: resolves settings, starts the sidecar, and shuts down gracefully on SIGTERM/SIGINT.
import { helpText, UsageError } from '../cli/options.js';
import { startSidecar } from './app.js';
import { resolveSettings, SIDECAR_OPTIONS } from './config.js';
import { fileToolSource } from './toolSource.js';
import { genericTools } from './tools/index.js';

export const SIDECAR_HELP = helpText(
  'meshmcp sidecar [options]',
  'Runs the per-pod MCP sidecar: generic diagnostics (health, metrics, logs, Envoy admin, endpoints, environment)\nplus the tools declared in tools.yaml, over MCP Streamable HTTP at POST /mcp.',
  SIDECAR_OPTIONS,
);

export async function main(argv: string[]): Promise<number> {
  let settings: ReturnType<typeof resolveSettings>;
  try {
    settings = resolveSettings(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`meshmcp sidecar: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (settings === 'help') {
    process.stdout.write(SIDECAR_HELP);
    return 0;
  }
  const source = fileToolSource(settings.toolsConfig, settings.serviceName, settings.appUrl);
  let sidecar: Awaited<ReturnType<typeof startSidecar>>;
  try {
    sidecar = await startSidecar({ settings, genericTools, toolSource: source, onClose: source.close });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EADDRINUSE'
        ? `port ${settings.port} on ${settings.host} is already in use (pick another with --port / MCP_PORT)`
        : e.message;
    process.stderr.write(`meshmcp sidecar: cannot start: ${why}\n`);
    return 1;
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
}
