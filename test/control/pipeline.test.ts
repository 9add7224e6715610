// The pipeline's render step: the filter configuration files and the Istio resources carry the same configurations,
// a catalog that cannot be rendered leaves both as they were, and readiness recovers with the next good catalog.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Discovery } from '../../control/discovery/discovery.js';
import { GATEWAY_CONFIG_FILE } from '../../control/filterFiles.js';
import { createControlLogger } from '../../control/log.js';
import { McpEndpoint } from '../../control/mcp/endpoint.js';
import { ControlMetrics } from '../../control/metrics.js';
import { type Pipeline, type PipelineOptions, startPipeline } from '../../control/pipeline.js';
import { parseRenderConfig } from '../../control/render/index.js';
import type { DiscoveredService, Resource } from '../../control/types.js';
import { eventually } from './support/controlProcess.js';

const { settings, policy } = parseRenderConfig(
  'gateway: { hosts: [mcp.example.com] }\nidentity: [{ mtls: {} }]\n',
  'test config',
);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Not ready, so the catalog lists it without calling it. */
function service(host: string): DiscoveredService {
  const name = 'payment-service';
  return {
    name,
    namespace: 'production',
    host,
    port: 3000,
    url: 'http://127.0.0.1:9/mcp',
    ready: false,
    selector: { app: name },
  };
}

/** A discovery source the test drives: `push` hands the pipeline a new complete set. */
function discoveryOf(first: DiscoveredService[]): { discovery: Discovery; push: (s: DiscoveredService[]) => void } {
  let onChange: (s: DiscoveredService[]) => void = () => {};
  const discovery: Discovery = {
    async start(cb) {
      onChange = cb;
      cb(first);
    },
    async stop() {},
  };
  return { discovery, push: (s) => onChange(s) };
}

async function pipeline(discovery: Discovery, opts: Partial<PipelineOptions>): Promise<Pipeline> {
  const p = startPipeline({
    discovery,
    endpoint: new McpEndpoint({ policy: policy.policy, version: 'test' }),
    metrics: new ControlMetrics(),
    log: createControlLogger('silent'),
    policy,
    settings,
    runner: { cacheTtlMs: 3_600_000, gracePeriodMs: 600_000, concurrency: 1, timeoutMs: 1_000 },
    ...opts,
  });
  cleanups.push(() => p.stop());
  await p.started;
  return p;
}

const GOOD_HOST = 'payment-service.production.svc.cluster.local';

describe('startPipeline', () => {
  it('writes the files from the configurations the resources carry, and keeps both on a render problem', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'meshmcp-pipeline-')), 'filters');
    const rendered: Resource[][] = [];
    const { discovery, push } = discoveryOf([service('Bad.Host')]);
    const p = await pipeline(discovery, { filterConfigDir: dir, onRendered: (r) => rendered.push(r) });
    expect(p.renderProblem()).toMatch(/host "Bad\.Host" is not a lower-case DNS name/);
    expect(existsSync(dir)).toBe(false);
    expect(rendered).toEqual([]);

    push([service(GOOD_HOST)]);
    await eventually(async () => p.renderProblem() === undefined && rendered.length === 1);
    const gateway = rendered[0]!.find((r) => r.kind === 'EnvoyFilter' && r.metadata.name === 'meshmcp-gateway')!;
    const patch = (gateway.spec!['configPatches'] as Array<{ patch: { value: any } }>)[0]!.patch.value;
    expect(`${patch.typed_config.config.configuration.value}\n`).toBe(
      readFileSync(join(dir, GATEWAY_CONFIG_FILE), 'utf8'),
    );
  });

  it('is ready again once a later catalog renders, with the filter configuration files alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshmcp-pipeline-'));
    const { discovery, push } = discoveryOf([service('Bad.Host')]);
    const p = await pipeline(discovery, { filterConfigDir: dir });
    expect(p.renderProblem()).toMatch(/is not a lower-case DNS name/);
    push([service(GOOD_HOST)]);
    await eventually(async () => p.renderProblem() === undefined);
    expect(JSON.parse(readFileSync(join(dir, GATEWAY_CONFIG_FILE), 'utf8')).services[0].host).toBe(GOOD_HOST);
  });

  it("hands each round's schedule to the lists' caching hints: at most the time to the next refresh", async () => {
    const endpoint = new McpEndpoint({ policy: policy.policy, version: 'test' });
    const { discovery } = discoveryOf([service(GOOD_HOST)]);
    await pipeline(discovery, { endpoint });
    const id = { principal: 'alice', groups: [], scopes: [] };
    const { ttlMs } = endpoint.freshness.hint('tools', endpoint.views.view('tools', id));
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(3_600_000);
  });
});
