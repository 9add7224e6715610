// The sidecar under the pod's 64Mi memory limit (bench/memoryGroup.ts): the shipped bundle in front of the
// payment-service demo, through 100,000 get_health calls and 200 calls on 4 MiB answers.
import http from 'node:http';
import { configDumpBody, getMetricsBody, mcpCall, sidecarArgs, startBigUpstream } from './bigUpstream.js';
import { toolCallBody } from './mcpPost.js';
import { inMemoryGroup } from './memoryGroup.js';
import type { Figures } from './results.js';

export const CGROUP_SUITE = 'sidecar, 64Mi cgroup';

const HEALTH_CALLS = 100_000;
const HEAVY_CALLS = 100; // each of get_metrics and query_envoy config_dump
const CONCURRENCY = 16;

export async function benchSidecarCgroup(root: string): Promise<Figures> {
  const upstream = await startBigUpstream();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const call = mcpCall(agent);
  const base = `http://127.0.0.1:${upstream.port}`;
  try {
    return await inMemoryGroup(CGROUP_SUITE, 'sidecar_cgroup', sidecarArgs(base, base), root, async (sidecar) => {
      let next = 0;
      let failed: unknown;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (failed === undefined && next < HEALTH_CALLS) {
            try {
              await call(sidecar.port, toolCallBody('get_health', next++));
              sidecar.calls++;
            } catch (e) {
              failed ??= e;
            }
          }
        }),
      );
      if (failed !== undefined) throw await sidecar.failure(`a get_health call failed (${(failed as Error).message})`);
      for (let i = 0; i < HEAVY_CALLS; i++) {
        for (const body of [getMetricsBody(i), configDumpBody(i)]) {
          try {
            await call(sidecar.port, body);
            sidecar.calls++;
          } catch (e) {
            throw await sidecar.failure(`a heavy call failed (${(e as Error).message})`);
          }
        }
      }
      if (upstream.served.metrics < HEAVY_CALLS || upstream.served.configDump < HEAVY_CALLS) {
        throw new Error(`${CGROUP_SUITE}: the upstream sent only ${JSON.stringify(upstream.served)} 4 MiB answers`);
      }
      return {
        sidecar_cgroup_get_health_calls: { value: HEALTH_CALLS, unit: 'calls' },
        sidecar_cgroup_heavy_calls: { value: 2 * HEAVY_CALLS, unit: 'calls' },
      };
    });
  } finally {
    upstream.close();
    agent.destroy();
  }
}
