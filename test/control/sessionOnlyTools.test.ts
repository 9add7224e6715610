// A tool a server that keeps sessions lists only to clients that can answer its requests (sessionOnly) is listed on
// the server's own endpoint but not on the aggregated /mcp, whose per-call sessions offer the server no such
// capability; the flag never reaches the wire, and setting it is a list change.
import { describe, expect, it } from 'vitest';
import { ListViews } from '../../control/mcp/listViews.js';
import type { Catalog, CatalogService } from '../../control/types.js';

const everything = (sessionOnly: boolean): CatalogService => ({
  route: 'everything',
  name: 'everything',
  namespace: 'tools',
  host: 'everything-mcp.tools.svc.cluster.local',
  port: 3001,
  selector: { app: 'everything' },
  upstream: { path: '/mcp', protocols: ['2025-11-25'] },
  health: { healthy: true, consecutiveFailures: 0 },
  tools: [
    { name: 'everything__echo', tool: 'echo', inputSchema: { type: 'object' } },
    {
      name: 'everything__trigger-sampling-request',
      tool: 'trigger-sampling-request',
      inputSchema: { type: 'object' },
      ...(sessionOnly ? { sessionOnly: true as const } : {}),
    },
  ],
});
const catalog = (sessionOnly: boolean): Catalog => ({ services: [everything(sessionOnly)] });
const sre = { principal: 'sam', groups: ['sre'], scopes: [] };
const names = (r: Record<string, unknown>) => (r['tools'] as Array<{ name: string }>).map((t) => t.name);

describe('sessionOnly tools', () => {
  it('are listed on their server endpoint, not on the aggregated /mcp, and carry no flag on the wire', () => {
    const views = new ListViews({ default: 'deny', rules: [{ effect: 'allow', groups: ['sre'] }] });
    views.setCatalog(catalog(true));
    expect(names(views.page('tools', sre, undefined).result)).toEqual(['everything__echo']);
    const own = views.page('tools', sre, undefined, 'everything').result;
    expect(names(own)).toEqual(['echo', 'trigger-sampling-request']);
    expect(JSON.stringify(own)).not.toContain('sessionOnly');
  });

  it('change the lists when a tool becomes one, so listeners hear of it', () => {
    const views = new ListViews({ default: 'allow', rules: [] });
    views.setCatalog(catalog(false));
    expect(views.setCatalog(catalog(true))).toEqual(['tools']);
    expect(views.setCatalog(catalog(true))).toEqual([]);
  });
});
