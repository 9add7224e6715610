// The kubernetes pack benchmark's mock API server (bench/kubeApiMock.ts) and its checks of the pack's answers
// (bench/kubePackCgroup.ts): the lists are as large as the suite says (pods of ~12 KiB, 250 of them just under the
// pack's 3 MiB cap, one list just over it), the pack itself reads them, and what the suite accepts is what the pack
// answers. No memory is measured here; the suite does that in a 64Mi cgroup.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiMock, NODES, PAGE, pod, podList, podTemplate, startKubeApiMock } from '../../bench/kubeApiMock.js';
import { answerProblem, callOrder, OVER_CAP_FIX } from '../../bench/kubePackCgroup.js';
import { LIST_MAX_BYTES } from '../../sidecar/packs/kubernetes/api.js';
import { kubernetesPack } from '../../sidecar/packs/kubernetes/index.js';
import { podsTable } from '../../sidecar/packs/kubernetes/pods.js';
import type { Pod } from '../../sidecar/packs/kubernetes/types.js';
import { ROOT } from '../support/cli.js';
import { callTool, testContext } from '../support/toolContext.js';

const KiB = 1024;
const template = podTemplate(ROOT);
const tool = (name: string) => kubernetesPack.find((t) => t.name === name)!;

describe('the mock API server’s objects', () => {
  it('makes pods of ~12 KiB, 250 of them just under the 3 MiB cap, every placeholder filled', () => {
    const sizes = Array.from({ length: PAGE }, (_, i) => JSON.stringify(pod(template, i)).length);
    expect(Math.min(...sizes)).toBeGreaterThan(10 * KiB);
    expect(Math.max(...sizes)).toBeLessThan(12.5 * KiB);
    const list = podList(template, PAGE);
    expect(list.length).toBeLessThan(LIST_MAX_BYTES);
    expect(list.length).toBeGreaterThan(0.95 * LIST_MAX_BYTES);
    expect(list.toString().replaceAll('$(POD_NAMESPACE)', '')).not.toMatch(/\$[A-Z]/);
  });

  it('gives pods the pack reads as kubectl would show them, one in 23 crash-looping', () => {
    const pods = (JSON.parse(podList(template, 30).toString()) as { items: Pod[] }).items;
    const { rows } = podsTable(pods);
    expect(rows[0]).toMatchObject({ namespace: 'bench', ready: '3/3', status: 'Running', restarts: 0, node: 'node-0' });
    expect(rows[5]).toMatchObject({ ready: '2/3', status: 'CrashLoopBackOff', restarts: 7, node: `node-${5 % NODES}` });
    expect(rows[28]).toMatchObject({ status: 'CrashLoopBackOff' });
    expect(new Set(rows.map((r) => r.name)).size).toBe(30);
    expect(rows[1]!.name).toMatch(/^order-service-[b-z2-9]{10}-[b-z2-9]{5}$/);
  });
});

describe('the mock API server and the pack', () => {
  let api: KubeApiMock;
  let dir: string;
  let ctx: ReturnType<typeof testContext>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshmcp-bench-kube-test-'));
    writeFileSync(join(dir, 'token'), 'tok\n');
    api = await startKubeApiMock(ROOT, 'tok', LIST_MAX_BYTES);
    ctx = testContext({
      settings: {
        kubernetes: {
          apiUrl: api.url,
          tokenFile: join(dir, 'token'),
          caFile: undefined,
          namespaces: ['bench'],
          allNamespaces: false,
        },
      },
    });
  });
  afterAll(() => {
    api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the bearer token only, and as many objects as the limit asks, at most 250', async () => {
    const pods = `${api.url}/api/v1/namespaces/bench/pods`;
    expect((await fetch(`${pods}?limit=2`)).status).toBe(401);
    const get = async (url: string) =>
      (await (await fetch(url, { headers: { authorization: 'Bearer tok' } })).json()) as {
        items: unknown[];
        metadata: { continue?: string };
      };
    expect((await get(`${pods}?limit=2`)).items).toHaveLength(2);
    expect((await get(`${pods}?limit=1000`)).items).toHaveLength(PAGE);
    const events = await get(`${api.url}/api/v1/namespaces/bench/events?limit=250`);
    expect(events.items).toHaveLength(PAGE);
    expect(events.metadata.continue).toBeTruthy();
    expect(api.podListBytes).toBeLessThan(LIST_MAX_BYTES);
    expect(api.overCapBytes).toBeGreaterThan(LIST_MAX_BYTES);
    expect(api.overCapBytes).toBeLessThan(LIST_MAX_BYTES + 64 * KiB);
  });

  it('the suite accepts what the pack answers, and nothing less', async () => {
    const pods = await callTool(tool('get'), { kind: 'pods' }, ctx);
    expect(answerProblem('get', pods)).toBeUndefined();
    expect(answerProblem('events', await callTool(tool('events'), {}, ctx))).toBeUndefined();
    expect(answerProblem('nodes', await callTool(tool('nodes'), {}, ctx))).toBeUndefined();
    expect(answerProblem('get', { ...pods, isError: true })).toMatch(/^isError/);
    expect(answerProblem('get', { ...pods, structuredContent: { pods: [], total: 250 } })).toMatch(/showed 0 rows/);
    expect(answerProblem('nodes', pods)).toMatch(/nodes showed 0 nodes/);
  });

  it('the pack refuses the list over its cap with the fix the suite looks for', async () => {
    await expect(callTool(tool('get'), { kind: 'pods', selector: 'bench=over-cap' }, ctx)).rejects.toThrow(
      OVER_CAP_FIX,
    );
    expect(api.served.overCap).toBe(1);
  });
});

describe('the order of the calls', () => {
  it('interleaves the kinds in proportion, every call once', () => {
    const order = callOrder({ get: 300, events: 100, nodes: 50 });
    expect(order).toHaveLength(450);
    expect(order.filter((c) => c === 'nodes')).toHaveLength(50);
    expect(new Set(order.slice(0, 9))).toEqual(new Set(['get', 'events', 'nodes']));
  });
});
