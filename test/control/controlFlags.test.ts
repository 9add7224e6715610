// `meshmcp control` settings from flags: --allowed-origins takes exact origins and `<scheme>://<host>:*` for any
// port of a host, and refuses anything else with the fix; the Lease name defaults per shard; apply's concurrency.
import { describe, expect, it } from 'vitest';
import { CONTROL_OPTIONS, leaseName, resolveControlSettings } from '../../control/flags.js';
import { parseOptions } from '../../shared/options.js';

function settings(origins: string) {
  const values = parseOptions(CONTROL_OPTIONS, ['--config', 'mesh.yaml', '--allowed-origins', origins], {}).values;
  return resolveControlSettings(values, 'host-1');
}

describe('--allowed-origins', () => {
  it('takes exact origins and any-port entries', () => {
    expect(settings('https://mcp.example.com, http://localhost:*,http://127.0.0.1:*').allowedOrigins).toEqual([
      'https://mcp.example.com',
      'http://localhost:*',
      'http://127.0.0.1:*',
    ]);
  });

  it.each(['https://mcp.example.com/mcp', 'localhost:*', 'http://localhost:*x', 'ftp://a.example', 'http://*:80'])(
    'refuses %s with the form to use',
    (origin) => {
      expect(() => settings(origin)).toThrow(`--allowed-origins: ${JSON.stringify(origin)} is not an origin`);
    },
  );
});

describe('--lease-name and --apply-concurrency', () => {
  const resolve = (argv: string[]) =>
    resolveControlSettings(parseOptions(CONTROL_OPTIONS, ['--config', 'mesh.yaml', ...argv], {}).values, 'host-1');

  it('leaves the Lease name to the shard unless given: meshmcp-control, or one Lease per shard', () => {
    expect(resolve([]).lease).toEqual({ namespace: 'meshmcp-system', identity: 'host-1' });
    expect(leaseName(undefined)).toBe('meshmcp-control');
    expect(leaseName('east')).toBe('meshmcp-control-east');
    expect(resolve(['--lease-name', 'mine']).lease.name).toBe('mine');
  });

  it('applies 8 requests at a time by default and refuses anything but 1 to 64', () => {
    expect(resolve([]).applyConcurrency).toBe(8);
    expect(resolve(['--apply-concurrency', '1']).applyConcurrency).toBe(1);
    for (const bad of ['0', '65', '2.5']) {
      expect(() => resolve(['--apply-concurrency', bad])).toThrow(
        `--apply-concurrency must be a whole number from 1 to 64, got ${bad}`,
      );
    }
  });
});
