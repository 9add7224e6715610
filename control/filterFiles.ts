// Writes the rendered filter configurations to a directory (gateway.json, sidecar-<namespace>-<name>.json), each
// replaced whole by a rename and only when its content changed: how the local mesh's host fronts get what Envoy
// gets from the applied EnvoyFilters.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../shared/atomicWrite.js';
import { type FilterConfigs, filterConfigJson } from './render/index.js';

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

/**
 * Writes every filter configuration of a catalog (render's filterConfigs, so a catalog that cannot be rendered writes
 * nothing); returns the names of the files that changed.
 */
export function writeFilterConfigs(dir: string, configs: FilterConfigs): string[] {
  const files: Array<[string, string]> = configs.sidecars.map(({ service, config }) => [
    sidecarConfigFile(service.namespace, service.name),
    `${filterConfigJson(config)}\n`,
  ]);
  // The gateway last: its routing table names the sidecars whose configs are now in place.
  files.push([GATEWAY_CONFIG_FILE, `${filterConfigJson(configs.gateway)}\n`]);
  mkdirSync(dir, { recursive: true });
  return files.filter(([name, text]) => writeIfChanged(join(dir, name), text)).map(([name]) => name);
}
