// The kubernetes pack (`meshmcp sidecar --pack kubernetes`) under the pod's 64Mi memory limit (bench/memoryGroup.ts),
// reading lists as large as its caps allow: 250 pods a request (`listIn`), answers up to 3 MiB (`LIST_MAX_BYTES`),
// from a mock API server whose pods are as large as Istio-injected ones (bench/kubeApiMock.ts). 300 `get pods`, 100
// `events` and 50 `nodes` calls, 32 in flight (more than the pack's two reads at a time), each answer checked for what it must say; then one list just over the
// cap, which must be refused as an isError naming the fix, not kill the sidecar. Fails on any failed or wrong answer,
// a dead sidecar or an OOM kill; skips with one line where it cannot make a memory cgroup.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIST_MAX_BYTES } from '../sidecar/packs/kubernetes/api.js';
import { MAX_ROWS } from '../sidecar/packs/kubernetes/scope.js';
import { bundleArgs, type McpToolResult, mcpResult } from './bigUpstream.js';
import { NAMESPACE, NODES, OVER_CAP_SELECTOR, PAGE, startKubeApiMock } from './kubeApiMock.js';
import { toolCallBody } from './mcpPost.js';
import { inMemoryGroup } from './memoryGroup.js';
import { type Figures, percentile, round } from './results.js';

export const KUBE_PACK_SUITE = 'kubernetes pack, 64Mi cgroup';

/** The calls of the run, in the order they are started; CONCURRENCY in flight. */
const CALLS = { get: 300, events: 100, nodes: 50 } as const;
type Call = keyof typeof CALLS;
const CONCURRENCY = 32;
/** What the pack's refusal of a list over its cap must tell the model to do. */
export const OVER_CAP_FIX = 'narrow it with a namespace or a label selector';

/** The `events` tool's default number of rows. */
const EVENT_ROWS = 50;

const ARGS: Record<Call, Record<string, unknown>> = { get: { kind: 'pods' }, events: {}, nodes: {} };

/** The calls interleaved (get, get, events, get, nodes …) so that every kind is in flight beside the others. */
export function callOrder(counts: Record<Call, number>): Call[] {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const done: Record<Call, number> = { get: 0, events: 0, nodes: 0 };
  const order: Call[] = [];
  for (let i = 0; i < total; i++) {
    // the kind furthest behind its share so far
    const next = (Object.keys(counts) as Call[])
      .filter((k) => done[k] < counts[k])
      .sort((a, b) => done[a] / counts[a] - done[b] / counts[b])[0]!;
    done[next]++;
    order.push(next);
  }
  return order;
}

const text = (r: McpToolResult) => (r.content ?? []).map((c) => c.text ?? '').join('\n');

/**
 * What is wrong with an answer to `call` over the mock's lists (250 pods of the bench namespace on 6 nodes, 400
 * events read 250 at a time), or undefined when it says what it must.
 */
export function answerProblem(call: Call, r: McpToolResult, pods = PAGE): string | undefined {
  if (r.isError) return `isError: ${text(r).slice(0, 300)}`;
  const s = r.structuredContent ?? {};
  const rows = (key: string) => (Array.isArray(s[key]) ? (s[key] as unknown[]).length : -1);
  switch (call) {
    case 'get': {
      const note = `… ${pods - MAX_ROWS} more pods not shown`;
      if (rows('pods') !== MAX_ROWS || s['total'] !== pods || !text(r).includes(note))
        return `get pods showed ${rows('pods')} rows of ${s['total']}, ${text(r).includes(note) ? 'with' : 'without'} "${note}"`;
      return undefined;
    }
    case 'events': {
      const note = `… ${PAGE - EVENT_ROWS} more events not shown`;
      if (rows('events') !== EVENT_ROWS || s['total'] !== PAGE || !text(r).includes(note))
        return `events showed ${rows('events')} of ${s['total']}, ${text(r).includes(note) ? 'with' : 'without'} "${note}"`;
      return undefined;
    }
    case 'nodes': {
      const nodes = (s['nodes'] ?? []) as Array<{ pods?: { running?: number } }>;
      const running = nodes.reduce((n, x) => n + (x.pods?.running ?? 0), 0);
      if (nodes.length !== NODES || running !== pods) return `nodes showed ${nodes.length} nodes with ${running} pods`;
      return undefined;
    }
  }
}

export async function benchKubePackCgroup(root: string): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'meshmcp-bench-kube-'));
  const token = `bench-${process.pid}-${Date.now()}`;
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  const api = await startKubeApiMock(root, token, LIST_MAX_BYTES);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const call = mcpResult(agent);
  const args = bundleArgs(
    ...['--pack', 'kubernetes', '--kube-api-url', api.url, '--kube-token-file', tokenFile, '--namespaces', NAMESPACE],
  );
  try {
    if (api.podListBytes >= LIST_MAX_BYTES) {
      throw new Error(`${KUBE_PACK_SUITE}: the mock's pod list is ${api.podListBytes} bytes, not under the cap`);
    }
    return await inMemoryGroup(KUBE_PACK_SUITE, 'kube_pack_cgroup', args, root, async (sidecar) => {
      const order = callOrder(CALLS);
      const getMs: number[] = [];
      let next = 0;
      let failed: string | undefined;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (failed === undefined && next < order.length) {
            const id = next++;
            const kind = order[id]!;
            try {
              const { result, ms } = await call(sidecar.port, toolCallBody(kind, id, ARGS[kind]));
              const problem = answerProblem(kind, result);
              if (problem) failed ??= `a ${kind} call answered wrong (${problem})`;
              sidecar.calls++;
              if (kind === 'get') getMs.push(ms);
            } catch (e) {
              failed ??= `a ${kind} call failed (${(e as Error).message})`;
            }
          }
        }),
      );
      if (failed !== undefined) throw await sidecar.failure(failed);

      // At the cap: one list just over it is refused with the fix, and the sidecar goes on answering.
      const over = await call(
        sidecar.port,
        toolCallBody('get', order.length, { kind: 'pods', selector: OVER_CAP_SELECTOR }),
      ).catch((e: Error) => e);
      if (over instanceof Error) throw await sidecar.failure(`the over-cap call failed (${over.message})`);
      if (!over.result.isError || !text(over.result).includes(OVER_CAP_FIX)) {
        throw await sidecar.failure(
          `the over-cap list was not refused with the fix: ${text(over.result).slice(0, 300)}`,
        );
      }
      sidecar.calls++;
      const after = await call(sidecar.port, toolCallBody('get', order.length + 1, ARGS.get)).catch((e: Error) => e);
      const problem = after instanceof Error ? after.message : answerProblem('get', after.result);
      if (problem) throw await sidecar.failure(`get pods after the over-cap call: ${problem}`);
      sidecar.calls++;

      const { served } = api;
      if (served.refused > 0 || served.overCap !== 1 || served.pods < CALLS.get + CALLS.nodes) {
        throw new Error(`${KUBE_PACK_SUITE}: the mock API server served ${JSON.stringify(served)}`);
      }
      getMs.sort((a, b) => a - b);
      return {
        kube_pack_cgroup_pod_list_bytes: {
          value: api.podListBytes,
          unit: `bytes per answer (${PAGE} pods)`,
          goal: '< 3 MiB (LIST_MAX_BYTES)',
        },
        kube_pack_cgroup_get_pods_calls: { value: CALLS.get, unit: 'calls' },
        kube_pack_cgroup_events_calls: { value: CALLS.events, unit: 'calls' },
        kube_pack_cgroup_nodes_calls: { value: CALLS.nodes, unit: `calls (each also reads the ${PAGE} pods)` },
        kube_pack_cgroup_calls_in_flight: { value: CONCURRENCY, unit: 'calls' },
        kube_pack_cgroup_get_pods_p50_ms: { value: round(percentile(getMs, 50), 1), unit: 'ms' },
        kube_pack_cgroup_get_pods_p99_ms: { value: round(percentile(getMs, 99), 1), unit: 'ms' },
        kube_pack_cgroup_over_cap_answer_bytes: { value: api.overCapBytes, unit: 'bytes' },
        kube_pack_cgroup_over_cap_refused: {
          value: 1,
          unit: `(1: isError "${OVER_CAP_FIX}", no OOM)`,
          goal: '1',
        },
      };
    });
  } finally {
    api.close();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
