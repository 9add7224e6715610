// Golden files per stage (DESIGN.md): test/golden/<stage>/<case>.in.yaml → <case>.out.yaml, `-invalid` cases hold
// the expected error, UPDATE_GOLDEN=1 rewrites the outputs instead of comparing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Catalog, CatalogService, CatalogTool } from '../../../control/types.js';
import { ROOT } from '../../support/cli.js';

export interface GoldenCase {
  name: string;
  invalid: boolean;
  input: string;
  outPath: string;
}

export const updating = process.env['UPDATE_GOLDEN'] === '1';

/** Every `<case>.in.yaml` of a stage, sorted by name. */
export function goldenCases(stage: string): GoldenCase[] {
  const dir = join(ROOT, 'test/golden', stage);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.in.yaml'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.in.yaml'.length);
      return {
        name,
        invalid: name.endsWith('-invalid'),
        input: readFileSync(join(dir, f), 'utf8'),
        outPath: join(dir, `${name}.out.yaml`),
      };
    });
}

/** Compares actual with the case's .out.yaml, or writes it when UPDATE_GOLDEN=1. */
export function expectGolden(c: GoldenCase, actual: string): void {
  if (updating) {
    writeFileSync(c.outPath, actual);
    return;
  }
  if (!existsSync(c.outPath)) throw new Error(`${c.outPath} is missing: run with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(c.outPath, 'utf8'));
}

/**
 * A render case: the render configuration (everything but `catalog` and `options`, as parseRenderConfig reads it),
 * a catalog and render options. Catalog entries may leave out name (= route), host
 * (<name>-mcp.<namespace>.svc.cluster.local), port (3000), selector ({app: name}) and give tools as plain names;
 * `generate: {services, namespaces, tools}` adds services svc-0001… spread over ns-1… with tools tool_01…
 */
export function readRenderInput(text: string): {
  configText: string;
  catalog: Catalog;
  options: { wasmPlugin?: boolean };
} {
  const raw = parse(text) as Record<string, any>;
  const { catalog: rawCatalog = {}, options = {}, ...config } = raw;
  const services: CatalogService[] = (rawCatalog.services ?? []).map(expandService);
  const gen = rawCatalog.generate;
  if (gen) {
    for (let i = 1; i <= gen.services; i++) {
      const route = `svc-${String(i).padStart(4, '0')}`;
      const tools = Array.from({ length: gen.tools }, (_, t) => `tool_${String(t + 1).padStart(2, '0')}`);
      services.push(expandService({ route, namespace: `ns-${(i % gen.namespaces) + 1}`, tools }));
    }
  }
  return { configText: Object.keys(config).length ? stringify(config) : '', catalog: { services }, options };
}

function expandService(s: Record<string, any>): CatalogService {
  const name = s.name ?? s.route;
  return {
    route: s.route,
    name,
    namespace: s.namespace,
    host: s.host ?? `${name}-mcp.${s.namespace}.svc.cluster.local`,
    port: s.port ?? 3000,
    selector: s.selector ?? { app: name },
    health: s.health ?? { healthy: true, consecutiveFailures: 0 },
    ...(s.upstream ? { upstream: s.upstream } : {}),
    tools: (s.tools ?? []).map(
      (t: string | CatalogTool): CatalogTool =>
        typeof t === 'string' ? { name: `${s.route}__${t}`, tool: t, inputSchema: { type: 'object' } } : t,
    ),
  };
}
