// Binds the sidecar to its tools.yaml: load, watch for changes (ConfigMap symlink swaps included), and release
// database pools on shutdown.
import type { ToolSource } from './app.js';
import { closeDatabasePools, loadToolsConfig, watchToolsConfig } from './toolsConfig/index.js';

export function fileToolSource(
  file: string,
  serviceName: string,
  appUrl: string,
): ToolSource & { close(): Promise<void> } {
  return {
    load: () => loadToolsConfig(file, { serviceName, appUrl }),
    watch: (onChange) => watchToolsConfig(file, onChange),
    close: () => closeDatabasePools(),
  };
}
