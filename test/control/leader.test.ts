// LeaderElection against apiMock, a MOCK kube-apiserver on loopback with Lease optimistic concurrency: one leader
// of two, hand-over on stop(), takeover of an expired lease, stepping down when renewal fails or another replica
// holds the lease. Short intervals; the tests wait for conditions, and an injectable clock makes leases expire.
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderElection, type LeaderElectionOptions, microTime } from '../../control/apply/leader.js';
import { ApiMock } from './support/apiMock.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function mock(): Promise<ApiMock> {
  const m = await new ApiMock().start();
  cleanups.push(() => m.close());
  return m;
}

/** Resolves once cond() holds; the test's own timeout bounds the wait. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

function elect(m: ApiMock, identity: string, extra: Partial<LeaderElectionOptions> = {}) {
  const events: string[] = [];
  const le = new LeaderElection({
    kubeConfig: m.kubeConfig(),
    namespace: 'meshmcp-system',
    identity,
    renewEveryMs: 10,
    retryEveryMs: 10,
    ...extra,
  });
  le.start({ onStartedLeading: () => events.push('started'), onStoppedLeading: () => events.push('stopped') });
  cleanups.push(() => le.stop());
  return { le, events };
}

const lease = (m: ApiMock) => m.get('Lease', 'meshmcp-system', 'meshmcp-control');
const leaseGets = (m: ApiMock) =>
  m.requests.filter((r) => r.method === 'GET' && r.target === 'Lease meshmcp-system/meshmcp-control').length;

function putLease(m: ApiMock, holder: string, renewedMsAgo: number, transitions = 0): void {
  const t = microTime(Date.now() - renewedMsAgo);
  m.put({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'meshmcp-control', namespace: 'meshmcp-system' },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      acquireTime: t,
      renewTime: t,
      leaseTransitions: transitions,
    },
  });
}

describe('LeaderElection', () => {
  it('lets exactly one of two replicas lead, and hands over on stop()', async () => {
    const m = await mock();
    const a = elect(m, 'replica-a');
    const b = elect(m, 'replica-b');
    await until(() => a.le.isLeader() || b.le.isLeader());
    // Both keep campaigning for a while: still one leader, and it keeps renewing.
    const gets = leaseGets(m);
    await until(() => leaseGets(m) > gets + 10);
    expect([a.le.isLeader(), b.le.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.le.isLeader() ? [a, b] : [b, a];
    const holder = leader === a ? 'replica-a' : 'replica-b';
    expect(lease(m)!.spec).toMatchObject({ holderIdentity: holder, leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(other.events).toEqual([]);

    await leader.le.stop();
    expect(leader.events).toEqual(['started', 'stopped']);
    expect(leader.le.isLeader()).toBe(false);
    await until(() => other.le.isLeader());
    expect(other.events).toEqual(['started']);
    expect(lease(m)!.spec).toMatchObject({
      holderIdentity: holder === 'replica-a' ? 'replica-b' : 'replica-a',
      leaseDurationSeconds: 15,
      leaseTransitions: 1,
    });
  });

  it('takes over an expired lease and counts the transition', async () => {
    const m = await mock();
    putLease(m, 'gone-replica', 60_000, 4);
    const a = elect(m, 'replica-a');
    await until(() => a.le.isLeader());
    expect(lease(m)!.spec).toMatchObject({ holderIdentity: 'replica-a', leaseTransitions: 4 + 1 });
    expect(lease(m)!.spec!['renewTime']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("respects another replica's live lease until it expires", async () => {
    const m = await mock();
    putLease(m, 'replica-b', 0);
    let now = Date.now();
    const a = elect(m, 'replica-a', { clock: () => now });
    const gets = leaseGets(m);
    await until(() => leaseGets(m) > gets + 5);
    expect(a.le.isLeader()).toBe(false);
    expect(m.writes()).toEqual([]);

    now += 16_000;
    await until(() => a.le.isLeader());
    expect(lease(m)!.spec).toMatchObject({ holderIdentity: 'replica-a', leaseTransitions: 1 });
  });

  it('steps down when it cannot renew before the deadline', async () => {
    const m = await mock();
    let now = Date.now();
    const a = elect(m, 'replica-a', { clock: () => now });
    await until(() => a.le.isLeader());
    m.setDown(true);
    const gets = leaseGets(m);
    await until(() => leaseGets(m) > gets + 3);
    expect(a.le.isLeader()).toBe(true);
    now += 11_000;
    await until(() => !a.le.isLeader());
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('steps down at once when another replica holds the lease', async () => {
    const m = await mock();
    const a = elect(m, 'replica-a');
    await until(() => a.le.isLeader());
    putLease(m, 'replica-b', 0);
    await until(() => !a.le.isLeader());
    expect(a.events).toEqual(['started', 'stopped']);
    expect(lease(m)!.spec!['holderIdentity']).toBe('replica-b');
  });

  it('refuses a renew deadline that is not below the lease duration', async () => {
    const m = await mock();
    expect(
      () =>
        new LeaderElection({
          kubeConfig: m.kubeConfig(),
          namespace: 'x',
          identity: 'a',
          leaseDurationSeconds: 5,
          renewDeadlineMs: 5000,
        }),
    ).toThrow(/renewDeadlineMs \(5000\) must be below leaseDurationSeconds \(5 s\)/);
  });
});
