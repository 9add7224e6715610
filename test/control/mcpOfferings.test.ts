// The aggregated endpoint's prompts, resources and resource templates through the real SDK v2 client, in both
// protocol eras: the catalog's names and wrapped URIs, each caller's view under the gateway policy, paging, list_changed
// on a change, logging/setLevel, and a prompts/get or resources/read that reached the control service.
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../control/catalog/catalog.js';
import type { Catalog, DiscoveredService, GatewayPolicy } from '../../control/types.js';
import { connectAs, type Era, type RunningControl, startControl } from './support/controlApp.js';

const ERAS: Era[] = ['2025-11-25', '2026-07-28'];

let control: RunningControl | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
});

function discovered(name: string): DiscoveredService {
  return {
    name,
    namespace: 'tools',
    host: `${name}.tools.svc.cluster.local`,
    port: 3000,
    url: `http://${name}.tools.svc.cluster.local:3000/mcp`,
    ready: true,
    selector: { app: name },
    upstream: { path: '/mcp', protocols: ['2025-11-25'] },
  };
}

/** Two servers' offerings as their collectors would have listed them, through the real catalog builder. */
function catalog(prompts = ['simple', 'with_args']): Catalog {
  const healthy = { healthy: true, consecutiveFailures: 0 };
  return buildCatalog([
    {
      service: discovered('conformance'),
      tools: [{ name: 'echo' }],
      health: healthy,
      offerings: {
        prompts: prompts.map((name) => ({ name, description: `prompt ${name}` })),
        resources: [
          { uri: 'test://static-text', name: 'static text', mimeType: 'text/plain' },
          { uri: 'test://private/notes', name: 'notes' },
        ],
        resourceTemplates: [{ uriTemplate: 'test://template/{id}/data', name: 'template' }],
      },
    },
    {
      service: discovered('everything'),
      tools: [{ name: 'echo' }],
      health: healthy,
      offerings: { prompts: [{ name: 'args-prompt', arguments: [{ name: 'city', required: true }] }] },
    },
  ]).catalog;
}

// bob (group readonly) may not see conformance's private resources nor everything's prompts.
const POLICY: GatewayPolicy['policy'] = {
  default: 'allow',
  rules: [{ effect: 'deny', groups: ['readonly'], tools: ['meshmcp://conformance/test://private/*', 'everything__*'] }],
};

describe.each(ERAS)('aggregated prompts and resources (%s)', (era) => {
  it('lists every server offering under the catalog names and URIs, as each caller may use them', async () => {
    control = await startControl(POLICY);
    control.endpoint.setCatalog(catalog());
    const alice = await connectAs(control.url, era, 'alice');
    const caps = alice.getServerCapabilities();
    expect(caps?.prompts?.listChanged).toBe(true);
    expect(caps?.resources?.listChanged).toBe(true);
    // 2026-07-28 listen streams may ask for resource updates; a 2025-11-25 subscription needs a session (none here).
    if (era === '2026-07-28') expect(caps?.resources?.subscribe).toBe(true);
    else expect(caps?.resources?.subscribe).toBeUndefined();
    expect((await alice.listPrompts()).prompts).toEqual([
      { name: 'conformance__simple', description: 'prompt simple' },
      { name: 'conformance__with_args', description: 'prompt with_args' },
      { name: 'everything__args-prompt', arguments: [{ name: 'city', required: true }] },
    ]);
    expect((await alice.listResources()).resources).toEqual([
      { uri: 'meshmcp://conformance/test://private/notes', name: 'notes' },
      { uri: 'meshmcp://conformance/test://static-text', name: 'static text', mimeType: 'text/plain' },
    ]);
    expect((await alice.listResourceTemplates()).resourceTemplates).toEqual([
      { uriTemplate: 'meshmcp://conformance/test://template/{id}/data', name: 'template' },
    ]);
    const bob = await connectAs(control.url, era, 'bob', ['readonly']);
    expect((await bob.listPrompts()).prompts.map((p) => p.name)).toEqual([
      'conformance__simple',
      'conformance__with_args',
    ]);
    expect((await bob.listResources()).resources.map((r) => r.uri)).toEqual([
      'meshmcp://conformance/test://static-text',
    ]);
    await alice.close();
    await bob.close();
  });

  it("serves a server's own endpoint its part of the catalog, in its own terms, as each caller may use it", async () => {
    control = await startControl(POLICY);
    control.endpoint.setCatalog(catalog());
    const alice = await connectAs(`${control.url}/conformance`, era, 'alice');
    expect((await alice.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect((await alice.listPrompts()).prompts.map((p) => p.name)).toEqual(['simple', 'with_args']);
    expect((await alice.listResources()).resources.map((r) => r.uri)).toEqual([
      'test://private/notes',
      'test://static-text',
    ]);
    expect((await alice.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'test://template/{id}/data',
    ]);
    const bob = await connectAs(`${control.url}/conformance`, era, 'bob', ['readonly']);
    expect((await bob.listResources()).resources.map((r) => r.uri)).toEqual(['test://static-text']);
    const bobEverything = await connectAs(`${control.url}/everything`, era, 'bob', ['readonly']);
    expect((await bobEverything.listPrompts()).prompts).toEqual([]);
    expect((await bobEverything.listTools()).tools.map((t) => t.name)).toEqual([]);
    for (const c of [alice, bob, bobEverything]) await c.close();
  });

  it('pages prompts with cursors it issued', async () => {
    control = await startControl(POLICY, { pageSize: 2 });
    const names = Array.from({ length: 5 }, (_, i) => `p${i}`);
    control.endpoint.setCatalog(catalog(names));
    const alice = await connectAs(control.url, era, 'alice');
    const { prompts } = await alice.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual([...names.map((n) => `conformance__${n}`), 'everything__args-prompt']);
    await expect(alice.listPrompts({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/Invalid cursor/);
    await alice.close();
  });

  it('accepts logging/setLevel and answers a prompts/get or resources/read that reached it as unknown', async () => {
    control = await startControl(POLICY);
    control.endpoint.setCatalog(catalog());
    const alice = await connectAs(control.url, era, 'alice');
    if (era === '2025-11-25') expect(await alice.setLoggingLevel('info')).toEqual({});
    await expect(alice.getPrompt({ name: 'conformance__simple' })).rejects.toThrow(/Unknown prompt/);
    await expect(alice.readResource({ uri: 'meshmcp://conformance/test://static-text' })).rejects.toThrow(
      /Unknown resource/,
    );
    await alice.close();
  });
});

describe('protocol extensions the gateway carries', () => {
  it('advertises the tasks extension in 2026-07-28 while a server of the catalog has it, and only the ones carried', async () => {
    control = await startControl(POLICY);
    const healthy = { healthy: true, consecutiveFailures: 0 };
    const withTasks = buildCatalog([
      {
        service: discovered('conformance'),
        tools: [{ name: 'slow_compute' }],
        health: healthy,
        offerings: { extensions: ['io.modelcontextprotocol/tasks', 'com.example/unknown'] },
      },
    ]).catalog;
    expect(withTasks.services[0]?.extensions).toEqual(['io.modelcontextprotocol/tasks']);
    control.endpoint.setCatalog(withTasks);
    const modern = await connectAs(control.url, '2026-07-28', 'alice');
    expect(modern.getServerCapabilities()?.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });
    await modern.close();
    // A 2025-11-25 client has tasks of that revision's own kind, per session: nothing is advertised to it.
    const legacy = await connectAs(control.url, '2025-11-25', 'alice');
    expect(legacy.getServerCapabilities()?.extensions).toBeUndefined();
    await legacy.close();
    // Once no server has it, it is no longer advertised.
    control.endpoint.setCatalog(catalog());
    const after = await connectAs(control.url, '2026-07-28', 'alice');
    expect(after.getServerCapabilities()?.extensions).toBeUndefined();
    await after.close();
  });
});
