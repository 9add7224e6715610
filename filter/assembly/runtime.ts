// What one accepted configuration becomes for the streams that use it: the parsed Config plus lookup tables built
// once in on_configure (services by route name, tool sets, API keys by digest, the MCP hosts), so no request
// rebuilds them.

import { ApiKey, Config, IdentityKind, Mode, Service } from './configTypes';
import { HostGate } from './hostGate';
import { SourcePaths, sourcePaths } from './identity';
import { loadSessionKeys } from './sessionIds';

export class Runtime {
  config: Config;
  services: Map<string, Service> = new Map();
  tools: Map<string, Set<string>> = new Map();
  apiKeys: Map<string, ApiKey> = new Map();
  /** Encoded property paths per identity source (JWT claims), in config.identity order. */
  identityPaths: SourcePaths[] = [];
  /** Lower-case API key header, stripped from every request; empty when no apiKey source is configured. */
  apiKeyHeader: string = '';
  /** Whether the apiKey source also reads `Authorization: Bearer <key>` (then stripped like the key header). */
  apiKeyBearer: bool = false;
  /** Metric name prefix for the mode. */
  metricPrefix: string = '';
  gateway: bool = false;
  /** Gateway mode: which requests are for MCP at all. */
  hosts: HostGate;
  /** Gateway mode: the keys that bind /mcp/<service> session ids to their caller; empty: ids pass as they are. */
  sessionKeys: ArrayBuffer[] = [];

  constructor(config: Config) {
    this.config = config;
    this.hosts = new HostGate(config.hosts);
    const gateway = config.mode === Mode.Gateway;
    this.gateway = gateway;
    this.metricPrefix = gateway ? 'mcp_gateway' : 'mcp_inbound';
    if (gateway) this.sessionKeys = loadSessionKeys();
    for (let i = 0; i < config.services.length; i++) {
      const s = config.services[i];
      this.services.set(s.name, s);
      const set = new Set<string>();
      for (let j = 0; j < s.tools.length; j++) set.add(s.tools[j]);
      this.tools.set(s.name, set);
    }
    for (let i = 0; i < config.identity.length; i++) {
      const source = config.identity[i];
      this.identityPaths.push(sourcePaths(source));
      if (source.kind !== IdentityKind.ApiKey) continue;
      this.apiKeyHeader = source.header;
      this.apiKeyBearer = source.bearer;
      for (let j = 0; j < source.keys.length; j++) this.apiKeys.set(source.keys[j].sha256, source.keys[j]);
    }
  }

  /** Whether the routing table has this tool for this service. */
  hasTool(service: string, tool: string): bool {
    return this.tools.has(service) && this.tools.get(service).has(tool);
  }
}
