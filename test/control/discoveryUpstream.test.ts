// MCP servers of a service's own: the Service annotations and the services file's `upstream:` that declare one, what
// discovery and the catalog make of them, and the errors that name the fix.
import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../control/catalog/catalog.js';
import { toDiscovered, upstreamOf } from '../../control/discovery/kubeObjects.js';
import { parseServicesFile } from '../../control/discovery/static.js';

function svc(annotations: Record<string, string>): V1Service {
  return {
    metadata: { name: 'everything-mcp', namespace: 'tools', labels: { 'mcp-enabled': 'true' }, annotations },
    spec: { selector: { app: 'everything' }, ports: [{ name: 'mcp', port: 3001 }] },
  };
}

describe('a Service whose pods serve MCP themselves', () => {
  it('is an upstream on its annotated path, collected there, with its revisions', () => {
    const [d] = toDiscovered(
      [
        svc({
          'meshmcp.io/upstream-path': '/',
          'meshmcp.io/upstream-protocols': '2026-07-28, 2025-11-25,2025-11-25',
        }),
      ],
      [],
    );
    expect(d).toMatchObject({
      name: 'everything',
      port: 3001,
      url: 'http://everything-mcp.tools.svc.cluster.local:3001/',
      upstream: { path: '/', protocols: ['2025-11-25', '2026-07-28'] },
    });
  });

  it('defaults to 2025-11-25, and a Service without the annotation is a sidecar', () => {
    expect(upstreamOf(svc({ 'meshmcp.io/upstream-path': '/mcp' }))).toEqual({
      path: '/mcp',
      protocols: ['2025-11-25'],
    });
    const [sidecar] = toDiscovered([svc({})], []);
    expect(sidecar?.upstream).toBeUndefined();
    expect(sidecar?.url).toBe('http://everything-mcp.tools.svc.cluster.local:3001/mcp');
  });

  it.each([
    [{ 'meshmcp.io/upstream-path': 'mcp' }, 'meshmcp.io/upstream-path: "mcp" is not an absolute URL path'],
    [{ 'meshmcp.io/upstream-path': '/mcp?x=1' }, 'without a query'],
    [{ 'meshmcp.io/upstream-path': '/a/../b' }, 'is not an absolute URL path'],
    [
      { 'meshmcp.io/upstream-path': '/mcp', 'meshmcp.io/upstream-protocols': '2025-11-25,2099-01-01' },
      '"2099-01-01" is not an MCP revision this gateway carries',
    ],
    [{ 'meshmcp.io/upstream-protocols': '2025-11-25' }, 'needs meshmcp.io/upstream-path too'],
    [{ 'meshmcp.io/upstream-bridge': 'true' }, 'meshmcp.io/upstream-bridge needs meshmcp.io/upstream-path too'],
    [{ 'meshmcp.io/upstream-path': '/mcp', 'meshmcp.io/upstream-bridge': 'yes' }, '"yes" is not "true" or "false"'],
  ])('is skipped with the reason for %j', (annotations, why) => {
    const skipped: string[] = [];
    const found = toDiscovered([svc(annotations)], [], { skip: (s, reason) => skipped.push(`${s}: ${reason}`) });
    expect(found).toEqual([]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toContain('tools/everything-mcp: ');
    expect(skipped[0]).toContain(why);
    expect(skipped[0]).toContain('fix the annotation');
  });

  it('is behind a bridge when annotated so, through the catalog; "false" is no bridge', () => {
    const bridged = { 'meshmcp.io/upstream-path': '/mcp', 'meshmcp.io/upstream-bridge': 'true' };
    expect(upstreamOf(svc(bridged))).toEqual({ path: '/mcp', protocols: ['2025-11-25'], bridge: true });
    expect(upstreamOf(svc({ ...bridged, 'meshmcp.io/upstream-bridge': 'false' }))).toEqual({
      path: '/mcp',
      protocols: ['2025-11-25'],
    });
    const [d] = toDiscovered([svc(bridged)], []);
    const { catalog } = buildCatalog([{ service: d!, tools: [], health: { healthy: true, consecutiveFailures: 0 } }]);
    expect(catalog.services[0]?.upstream).toEqual({ path: '/mcp', protocols: ['2025-11-25'], bridge: true });
    const file = parseServicesFile(
      'services:\n  - { name: tickets, namespace: tools, host: t.tools, port: 3000, upstream: { path: /mcp, bridge: true } }\n',
      'services.yaml',
    );
    expect(file.services[0]?.upstream).toEqual({ path: '/mcp', protocols: ['2025-11-25'], bridge: true });
    expect(() =>
      parseServicesFile(
        'services:\n  - { name: t, namespace: tools, host: t.tools, port: 3000, upstream: { path: /mcp, bridge: 1 } }\n',
        'services.yaml',
      ),
    ).toThrow(/upstream\.bridge: 1 is not true or false; give bridge: true/);
  });

  it('keeps its declaration through the catalog', () => {
    const [d] = toDiscovered([svc({ 'meshmcp.io/upstream-path': '/' })], []);
    const { catalog } = buildCatalog([
      {
        service: d!,
        tools: [{ name: 'echo', inputSchema: { type: 'object' } }],
        health: { healthy: true, consecutiveFailures: 0 },
      },
    ]);
    expect(catalog.services[0]).toMatchObject({
      route: 'everything',
      upstream: { path: '/', protocols: ['2025-11-25'] },
      tools: [{ name: 'everything__echo', tool: 'echo' }],
    });
  });
});

describe('the services file', () => {
  it('declares an upstream with `upstream:` and collects from its path', () => {
    const { services } = parseServicesFile(
      'services:\n  - name: everything\n    namespace: tools\n    port: 3001\n    upstream: {path: /, protocols: [2025-11-25]}\n',
      'services.yaml',
    );
    expect(services[0]).toMatchObject({
      url: 'http://everything.tools.svc.cluster.local:3001/',
      upstream: { path: '/', protocols: ['2025-11-25'] },
    });
  });

  it.each([
    ['upstream: {path: mcp}', 'services.yaml: services[0].upstream.path: "mcp" is not an absolute URL path'],
    ['upstream: {protocols: [1999-01-01]}', 'services[0].upstream.protocols: "1999-01-01" is not an MCP revision'],
    ['upstream: {path: /mcp, sessions: true}', 'services[0].upstream.sessions: unknown key; use only path, protocols'],
    ['upstream: /mcp', 'services[0].upstream: not a map'],
  ])('refuses %s, naming the path and the fix', (line, message) => {
    expect(() =>
      parseServicesFile(`services:\n  - name: everything\n    namespace: tools\n    ${line}\n`, 'services.yaml'),
    ).toThrow(message);
  });
});
