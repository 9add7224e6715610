// Invalid `hosts` entries (gateway mode's MCP hosts), in the shape of cases.ts, which adds them to the shared list:
// the parser must name the entry's path and the schema must refuse them too.
import type { InvalidCase } from './cases.js';
import { ConfigError } from './harness.js';

const badHost = (name: string, host: unknown): InvalidCase => ({
  name: `host ${name}`,
  mode: 'gateway',
  mutate: (d) => (d.hosts = ['mcp.example.com', host]),
  path: 'hosts[1]',
  error: typeof host === 'string' ? ConfigError.BadValue : ConfigError.WrongType,
});

export const hostCases: InvalidCase[] = [
  badHost('with a port', 'mcp.example.com:443'),
  badHost('in upper case', 'MCP.example.com'),
  badHost('with a trailing dot', 'mcp.example.com.'),
  badHost('with a wildcard inside', 'mcp.*.example.com'),
  badHost('with a bare wildcard suffix', '*example.com'),
  badHost('as a prefix wildcard', 'mcp.*'),
  badHost('with an empty label', 'mcp..example.com'),
  badHost('with a label ending in -', 'mcp-.example.com'),
  badHost('as an IPv6 literal', '[::1]'),
  badHost('not a string', 443),
  {
    name: 'host empty',
    mode: 'gateway',
    mutate: (d) => (d.hosts = ['']),
    path: 'hosts[0]',
    error: ConfigError.OutOfRange,
  },
  {
    name: 'host too long',
    mode: 'gateway',
    mutate: (d) => (d.hosts = [`${'a'.repeat(63)}.`.repeat(4).slice(0, 254)]),
    path: 'hosts[0]',
    error: ConfigError.OutOfRange,
  },
  { name: 'hosts empty', mode: 'gateway', mutate: (d) => (d.hosts = []), path: 'hosts', error: ConfigError.OutOfRange },
  {
    name: 'hosts not an array',
    mode: 'gateway',
    mutate: (d) => (d.hosts = 'mcp.example.com'),
    path: 'hosts',
    error: ConfigError.WrongType,
  },
  {
    name: 'more than 64 hosts',
    mode: 'gateway',
    mutate: (d) => (d.hosts = Array.from({ length: 65 }, (_, i) => `mcp-${i}.example.com`)),
    path: 'hosts',
    error: ConfigError.OutOfRange,
  },
  {
    name: 'duplicate host',
    mode: 'gateway',
    mutate: (d) => (d.hosts = ['*.example.com', 'mcp.example.com', '*.example.com']),
    path: 'hosts[2]',
    error: ConfigError.Conflict,
  },
  {
    name: 'sidecar with hosts',
    mode: 'sidecar',
    mutate: (d) => (d.hosts = ['mcp.example.com']),
    path: 'hosts',
    error: ConfigError.Conflict,
  },
];
