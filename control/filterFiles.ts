// Writes the rendered filter configurations to a directory (gateway.json, sidecar-<namespace>-<name>.json), each
// replaced whole by a rename and only when its content changed: how the local mesh's host fronts get what Envoy
// gets from the applied EnvoyFilters.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../shared/atomicWrite.js';
import { filterConfigJson, gatewayFilterConfig, sidecarFilterConfig } from './render/index.js';
import type { Catalog, GatewayPolicy, RenderSettings } from './types.js';

export const GATEWAY_CONFIG_FILE = 'gateway.json';
export const sidecarConfigFile = (namespace: string, name: string): string => `sidecar-${namespace}-${name}.json`;

function writeIfChanged(file: string, text: string): boolean {
  try {
    if (readFileSync(file, 'utf8') === text) return false;
  } catch {
    // Not there yet.
  }
  writeFileAtomicSync(file, text);
  return true;
}

/** Renders and writes every filter configuration; returns the names of the files that changed. Throws RenderError. */
export function writeFilterConfigs(
  dir: string,
  catalog: Catalog,
  policy: GatewayPolicy,
  settings: RenderSettings,
): string[] {
  // Render everything first, so a render error writes nothing.
  const files: Array<[string, string]> = catalog.services.map((s) => [
    sidecarConfigFile(s.namespace, s.name),
    `${filterConfigJson(sidecarFilterConfig(s, settings, policy))}\n`,
  ]);
  // The gateway last: its routing table names the sidecars whose configs are now in place.
  files.push([GATEWAY_CONFIG_FILE, `${filterConfigJson(gatewayFilterConfig(catalog, policy, settings))}\n`]);
  mkdirSync(dir, { recursive: true });
  return files.filter(([name, text]) => writeIfChanged(join(dir, name), text)).map(([name]) => name);
}
