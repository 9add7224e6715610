// `meshmcp control` settings from flags: --allowed-origins takes exact origins and `<scheme>://<host>:*` for any
// port of a host, and refuses anything else with the fix.
import { describe, expect, it } from 'vitest';
import { CONTROL_OPTIONS, resolveControlSettings } from '../../control/flags.js';
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
