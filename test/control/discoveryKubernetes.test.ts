// Kubernetes discovery against kubeMock, a MOCK kube-apiserver on loopback (list + watch streams): label selection,
// readiness from EndpointSlices, watch events, reconnection after an outage, the 410 Gone relist and the periodic
// relist. The same class runs against a real kube-apiserver in test/cluster.
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesDiscovery } from '../../control/discovery/kubernetes.js';
import type { DiscoveredService } from '../../control/types.js';
import { endpointSlice, KubeMock, mcpService } from './support/kubeMock.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function mock(): Promise<KubeMock> {
  const m = await new KubeMock().start();
  cleanups.push(() => m.close());
  return m;
}

interface Seen {
  sets: DiscoveredService[][];
  logs: string[];
  /** Resolves when a set satisfying pred has been seen (the test's own timeout bounds the wait). */
  until(pred: (s: DiscoveredService[]) => boolean): Promise<DiscoveredService[]>;
}

async function discover(m: KubeMock, extra: Partial<ConstructorParameters<typeof KubernetesDiscovery>[0]> = {}) {
  const logs: string[] = [];
  const log = {
    info: (_o: object, msg: string) => logs.push(msg),
    warn: (_o: object, msg: string) => logs.push(msg),
    error: (_o: object, msg: string) => logs.push(msg),
  };
  const d = new KubernetesDiscovery({
    kubeConfig: m.kubeConfig(),
    namespaces: ['production', 'staging'],
    backoff: { initialMs: 20, maxMs: 200 },
    log,
    ...extra,
  });
  const sets: DiscoveredService[][] = [];
  const waiters: Array<() => void> = [];
  await d.start((s) => {
    sets.push(s);
    for (const w of waiters.splice(0)) w();
  });
  cleanups.push(() => d.stop());
  const seen: Seen = {
    sets,
    logs,
    async until(pred) {
      for (;;) {
        const hit = sets.find(pred);
        if (hit) return hit;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
  return seen;
}

const brief = (s: DiscoveredService[]) =>
  s.map((x) => `${x.namespace}/${x.name}:${x.port}:${x.ready ? 'ready' : 'not-ready'}`);

describe('KubernetesDiscovery against a mock kube-apiserver', () => {
  it('lists mcp-enabled Services in the allowed namespaces, with readiness from EndpointSlices', async () => {
    const m = await mock();
    m.put('services', mcpService('payment-service', 'production', 3000));
    m.put('services', mcpService('user-service', 'staging', 3100));
    m.put('services', mcpService('elsewhere', 'kube-system'));
    m.put('services', {
      ...mcpService('plain', 'production'),
      metadata: { name: 'plain', namespace: 'production', labels: {} },
    });
    m.put('endpointslices', endpointSlice('payment-service', 'production', true));
    m.put('endpointslices', endpointSlice('user-service', 'staging', false));
    const seen = await discover(m);
    expect(seen.sets).toHaveLength(1);
    expect(brief(seen.sets[0]!)).toEqual([
      'production/payment-service:3000:ready',
      'staging/user-service:3100:not-ready',
    ]);
    expect(seen.sets[0]![0]).toEqual({
      name: 'payment-service',
      namespace: 'production',
      host: 'payment-service.production.svc.cluster.local',
      port: 3000,
      url: 'http://payment-service.production.svc.cluster.local:3000/mcp',
      ready: true,
      pods: expect.stringMatching(/^[0-9a-f]{16}$/),
      selector: { app: 'payment-service' },
    });
    expect(seen.sets[0]![1]!.pods).toBeUndefined();
    expect(m.requests.some((r) => r.includes('labelSelector=mcp-enabled%3Dtrue') && r.includes('watch=true'))).toBe(
      true,
    );
  });

  it('follows watch events: a new Service, an endpoint turning ready, a deletion', async () => {
    const m = await mock();
    m.put('services', mcpService('payment-service', 'production'));
    const seen = await discover(m);
    expect(brief(seen.sets[0]!)).toEqual(['production/payment-service:3000:not-ready']);
    m.put('services', mcpService('user-service', 'staging'));
    await seen.until((s) => s.length === 2);
    m.put('endpointslices', endpointSlice('user-service', 'staging', true));
    await seen.until((s) => s.some((x) => x.name === 'user-service' && x.ready));
    m.remove('services', 'production', 'payment-service');
    const last = await seen.until((s) => s.length === 1 && s[0]!.name === 'user-service');
    expect(brief(last)).toEqual(['staging/user-service:3000:ready']);
    // onChange only on change: every set differs from the one before it
    for (let i = 1; i < seen.sets.length; i++) expect(seen.sets[i]).not.toEqual(seen.sets[i - 1]);
  });

  it('gives a new pods fingerprint when the pod behind a Service is replaced, and a new set for it', async () => {
    const m = await mock();
    m.put('services', mcpService('payment-service', 'production'));
    m.put('endpointslices', endpointSlice('payment-service', 'production', true, 'uid-old'));
    const seen = await discover(m);
    const before = seen.sets[0]![0]!.pods;
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    // A rollout: the same address, ready throughout, but another pod.
    m.put('endpointslices', endpointSlice('payment-service', 'production', true, 'uid-new'));
    const after = await seen.until((s) => s[0]!.pods !== before);
    expect(after[0]!.ready).toBe(true);
    expect(after[0]!.pods).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reconnects after an outage and relists when the watch answers 410 Gone', async () => {
    const m = await mock();
    m.put('services', mcpService('payment-service', 'production'));
    const seen = await discover(m);
    m.setDown(true); // watches are cut; reconnects get 503 and back off
    m.put('services', mcpService('user-service', 'production'));
    m.compact(); // the events above are gone from history: only a fresh list can show them
    const listsBefore = m.requests.filter((r) => !r.includes('watch=true')).length;
    await new Promise<void>((r) => {
      const check = () => (seen.logs.some((l) => l.includes('retrying')) ? r() : setTimeout(check, 10));
      check();
    });
    m.setDown(false);
    const after = await seen.until((s) => s.length === 2);
    expect(brief(after)).toEqual([
      'production/payment-service:3000:not-ready',
      'production/user-service:3000:not-ready',
    ]);
    expect(m.gone).toBeGreaterThan(0);
    expect(m.requests.filter((r) => !r.includes('watch=true')).length).toBeGreaterThan(listsBefore);
  });

  it('relists every interval, which catches what a quiet watch missed', async () => {
    const m = await mock();
    m.put('services', mcpService('payment-service', 'production'));
    const seen = await discover(m, { relistIntervalMs: 100 });
    const lists = () => m.requests.filter((r) => r.includes('/services?') && !r.includes('watch=true')).length;
    const before = lists();
    m.putQuietly('services', mcpService('user-service', 'production'));
    const after = await seen.until((s) => s.length === 2);
    expect(brief(after)).toContain('production/user-service:3000:not-ready');
    expect(lists()).toBeGreaterThan(before);
  });

  it('fails start with the fix when the API server forbids listing', async () => {
    const m = await mock();
    m.forbid('endpointslices');
    const d = new KubernetesDiscovery({ kubeConfig: m.kubeConfig(), namespaces: ['production'] });
    cleanups.push(() => d.stop());
    let called = 0;
    await expect(d.start(() => called++)).rejects.toThrow(
      /cannot list endpointslices in production: forbidden \(403\); grant the control service list and watch/,
    );
    expect(called).toBe(0);
  });
});
