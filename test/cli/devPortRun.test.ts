// The one layout tests and benchmarks put a whole local mesh on: every part on its own port of one run, and a flag
// for every port `meshmcp dev` has (a port left to its default could be any other mesh's).
import { describe, expect, it } from 'vitest';
import { DEV_PORT_RUN_LENGTH, devPortRun, devPortRunFlags, UPSTREAM_SERVERS } from '../../cli/devMesh.js';
import { meshmcp } from '../support/cli.js';

const flatten = (v: unknown): number[] =>
  typeof v === 'number' ? [v] : Object.values(v as Record<string, unknown>).flatMap(flatten);

describe('devPortRun', () => {
  it('puts every part on its own port of base .. base + DEV_PORT_RUN_LENGTH - 1', () => {
    const ports = flatten(devPortRun(20000)).sort((a, b) => a - b);
    expect(new Set(ports).size).toBe(ports.length);
    // The layout names only the first of the upstreams' ports and of their proxies': each of the two runs has
    // UPSTREAM_SERVERS.length ports, the rest of them unnamed.
    expect(ports.length).toBe(DEV_PORT_RUN_LENGTH - 2 * (UPSTREAM_SERVERS.length - 1));
    const p = devPortRun(20000);
    expect(p.upstreamProxy - p.upstream).toBe(UPSTREAM_SERVERS.length);
    expect(p.bridge - p.upstreamProxy).toBe(UPSTREAM_SERVERS.length);
    expect(ports[0]).toBe(20000);
    expect(ports.at(-1)).toBe(20000 + DEV_PORT_RUN_LENGTH - 1);
  });

  it('sets every port flag of meshmcp dev', async () => {
    const help = await meshmcp(['dev', '--help']);
    const portFlags = new Set([...help.stdout.matchAll(/--[a-z-]*port\b/g)].map((m) => m[0]));
    expect(portFlags.size).toBeGreaterThan(10);
    const given = devPortRunFlags(devPortRun(20000)).filter((a) => a.startsWith('--'));
    expect(new Set(given)).toEqual(portFlags);
  });
});
