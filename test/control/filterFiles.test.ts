// The filter configuration files the control service writes for host fronts: complete, loadable by the compiled
// filter, rewritten only when they change.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATEWAY_CONFIG_FILE, writeFilterConfigs } from '../../control/filterFiles.js';
import { filterConfigs, parseRenderConfig } from '../../control/render/index.js';
import { createPlugin } from '../../filter/host/index.js';
import { filterWasm } from '../filter/harness.js';
import { catalogOf, service } from './support/controlApp.js';

const { settings, policy } = parseRenderConfig(
  'gateway: { hosts: [mcp.example.com] }\nidentity: [{ mtls: {} }]\n',
  'test config',
);

describe('writeFilterConfigs', () => {
  it('writes the gateway and every sidecar configuration, each accepted by the compiled filter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshmcp-filter-files-'));
    const catalog = catalogOf(service('payment-service', ['get_health']), service('user-service', ['get_user']));
    expect(writeFilterConfigs(dir, filterConfigs(catalog, policy, settings))).toEqual([
      'sidecar-production-payment-service.json',
      'sidecar-production-user-service.json',
      GATEWAY_CONFIG_FILE,
    ]);
    expect(readdirSync(dir).sort()).toEqual([
      'gateway.json',
      'sidecar-production-payment-service.json',
      'sidecar-production-user-service.json',
    ]);
    for (const f of readdirSync(dir)) {
      // createPlugin throws when on_configure refuses the configuration.
      const plugin = await createPlugin(filterWasm(), readFileSync(join(dir, f), 'utf8'), {});
      expect(
        plugin.logs.filter((l) => l.message.includes('rejected')),
        f,
      ).toEqual([]);
    }
    const gateway = JSON.parse(readFileSync(join(dir, GATEWAY_CONFIG_FILE), 'utf8'));
    expect(gateway.services.map((s: { name: string }) => s.name)).toEqual(['payment-service', 'user-service']);
  });

  it('rewrites only what changed, and nothing when nothing did', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshmcp-filter-files-'));
    const one = catalogOf(service('payment-service', ['get_health']));
    writeFilterConfigs(dir, filterConfigs(one, policy, settings));
    expect(writeFilterConfigs(dir, filterConfigs(one, policy, settings))).toEqual([]);
    const more = catalogOf(service('payment-service', ['get_health', 'get_logs']));
    // The sidecar's own table lists its tools (per-tool metering), so it changes with the gateway's.
    expect(writeFilterConfigs(dir, filterConfigs(more, policy, settings))).toEqual([
      'sidecar-production-payment-service.json',
      GATEWAY_CONFIG_FILE,
    ]);
    const other = catalogOf(service('payment-service', ['get_health', 'get_logs']), service('user-service', ['a']));
    expect(writeFilterConfigs(dir, filterConfigs(other, policy, settings))).toEqual([
      'sidecar-production-user-service.json',
      GATEWAY_CONFIG_FILE,
    ]);
  });
});
