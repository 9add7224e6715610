// Backoff delays and ApplyLoop: coalescing offers while an apply runs, applying only as leader, retrying failures
// with backoff (also with the real Applier against apiMock, a MOCK kube-apiserver), and stop() waiting for an apply.
import { afterEach, describe, expect, it } from 'vitest';
import { Applier, ApplyError, type ApplyReport } from '../../control/apply/applier.js';
import { ApplyLoop, Backoff, backoffDelay } from '../../control/apply/applyLoop.js';
import type { Resource } from '../../control/types.js';
import { ApiMock } from './support/apiMock.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

const vs = (name: string): Resource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: {
    name,
    namespace: 'istio-system',
    labels: { 'app.kubernetes.io/managed-by': 'meshmcp-control' },
    annotations: { 'meshmcp.io/content-hash': name },
  },
  spec: { hosts: ['mcp.example.com'] },
});

const REPORT: ApplyReport = { applied: [], unchanged: [], pruned: [] };

/** An apply function whose calls wait until the test releases (or fails) them. */
function gatedApply() {
  const calls: Array<{ names: string[]; release: () => void; fail: (e: Error) => void }> = [];
  const apply = (resources: Resource[]) =>
    new Promise<ApplyReport>((resolve, reject) => {
      calls.push({ names: resources.map((r) => r.metadata.name), release: () => resolve(REPORT), fail: reject });
    });
  return { calls, apply };
}

describe('backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    expect([0, 1, 2, 3, 6, 7, 50].map((n) => backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 60000, 60000, 60000]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, { initialMs: 10, maxMs: 50, factor: 3 }))).toEqual([10, 30, 50, 50]);
  });

  it('shortens delays by up to the jitter share', () => {
    expect(backoffDelay(2, { jitter: 0.5, random: () => 0 })).toBe(4000);
    expect(backoffDelay(2, { jitter: 0.5, random: () => 1 })).toBe(2000);
    expect(backoffDelay(2, { jitter: 0.5, random: () => 0.5 })).toBe(3000);
  });

  it('counts failures and starts over on reset', () => {
    const b = new Backoff({ initialMs: 1 });
    expect([b.next(), b.next(), b.next(), b.failures]).toEqual([1, 2, 4, 3]);
    b.reset();
    expect(b.next()).toBe(1);
  });
});

describe('ApplyLoop', () => {
  it('coalesces offers made while an apply runs: only the latest is applied next', async () => {
    const g = gatedApply();
    const applied: ApplyReport[] = [];
    const loop = new ApplyLoop({ apply: g.apply, isLeader: () => true, onApplied: (r) => applied.push(r) });
    cleanups.push(() => loop.stop());
    loop.offer([vs('a')]);
    await until(() => g.calls.length === 1);
    loop.offer([vs('b')]);
    loop.offer([vs('c')]);
    g.calls[0]!.release();
    await until(() => g.calls.length === 2);
    g.calls[1]!.release();
    await until(() => applied.length === 2);
    expect(g.calls.map((c) => c.names)).toEqual([['a'], ['c']]);
  });

  it('applies only while leader, and again on resync when it becomes leader', async () => {
    const g = gatedApply();
    let leader = false;
    const loop = new ApplyLoop({ apply: g.apply, isLeader: () => leader });
    cleanups.push(() => loop.stop());
    loop.offer([vs('a')]);
    loop.offer([vs('b')]);
    await new Promise((r) => setImmediate(r));
    expect(g.calls).toEqual([]);
    leader = true;
    loop.resync();
    await until(() => g.calls.length === 1);
    expect(g.calls[0]!.names).toEqual(['b']);
    g.calls[0]!.release();
    // A later term re-applies the same desired state (another leader may have written meanwhile).
    loop.resync();
    await until(() => g.calls.length === 2);
    expect(g.calls[1]!.names).toEqual(['b']);
    g.calls[1]!.release();
  });

  it('retries a failed apply with growing delays, with the latest offer', async () => {
    const g = gatedApply();
    const errors: Array<[string, number]> = [];
    const applied: ApplyReport[] = [];
    const loop = new ApplyLoop({
      apply: g.apply,
      isLeader: () => true,
      backoff: { initialMs: 5, maxMs: 40 },
      onError: (err, retryInMs) => errors.push([(err as Error).message, retryInMs]),
      onApplied: (r) => applied.push(r),
    });
    cleanups.push(() => loop.stop());
    loop.offer([vs('a')]);
    await until(() => g.calls.length === 1);
    g.calls[0]!.fail(new Error('boom 1'));
    await until(() => g.calls.length === 2);
    loop.offer([vs('b')]);
    g.calls[1]!.fail(new Error('boom 2'));
    await until(() => g.calls.length === 3);
    g.calls[2]!.release();
    await until(() => applied.length === 1);
    expect(errors).toEqual([
      ['boom 1', 5],
      ['boom 2', 10],
    ]);
    expect(g.calls.map((c) => c.names)).toEqual([['a'], ['a'], ['b']]);
    // Success resets the backoff.
    loop.offer([vs('c')]);
    await until(() => g.calls.length === 4);
    g.calls[3]!.fail(new Error('boom 3'));
    await until(() => errors.length === 3);
    expect(errors[2]).toEqual(['boom 3', 5]);
  });

  it('stop() waits for the apply in flight and applies nothing after', async () => {
    const g = gatedApply();
    const loop = new ApplyLoop({ apply: g.apply, isLeader: () => true });
    loop.offer([vs('a')]);
    await until(() => g.calls.length === 1);
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    g.calls[0]!.release();
    await stopping;
    loop.offer([vs('b')]);
    await new Promise((r) => setImmediate(r));
    expect(g.calls).toHaveLength(1);
  });

  it('drives the Applier: a refused write is retried until the API server accepts it', async () => {
    const m = await new ApiMock().start();
    cleanups.push(() => m.close());
    m.failPatch('VirtualService', 'istio-system', 'meshmcp-routes', 422, 'spec.hosts: Invalid value');
    const applier = new Applier({ kubeConfig: m.kubeConfig(), scope: { namespaces: [] } });
    const errors: unknown[] = [];
    const applied: ApplyReport[] = [];
    const loop = new ApplyLoop({
      apply: (r) => applier.apply(r),
      isLeader: () => true,
      backoff: { initialMs: 5, maxMs: 20 },
      onError: (err) => errors.push(err),
      onApplied: (r) => applied.push(r),
    });
    cleanups.push(() => loop.stop());
    loop.offer([vs('meshmcp-routes')]);
    await until(() => errors.length >= 2);
    expect(errors[0]).toBeInstanceOf(ApplyError);
    expect((errors[0] as ApplyError).apiMessage).toBe('spec.hosts: Invalid value');
    m.clearFailures();
    await until(() => applied.length === 1);
    expect(applied[0]!.applied).toEqual(['VirtualService istio-system/meshmcp-routes']);
    expect(m.ids('VirtualService')).toEqual(['VirtualService istio-system/meshmcp-routes']);
  });
});
