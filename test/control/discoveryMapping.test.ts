// How a Service becomes a DiscoveredService: the tool-name prefix from its `app` label (the sidecar's SERVICE_NAME)
// or its name without `-mcp`, the MCP port, readiness, and the collection URL override.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podsFingerprint, toDiscovered } from '../../control/discovery/kubeObjects.js';

function svc(name: string, labels: Record<string, string> = {}, namespace = 'production'): V1Service {
  return {
    metadata: { name, namespace, labels: { 'mcp-enabled': 'true', ...labels } },
    spec: { selector: { app: labels['app'] ?? name }, ports: [{ name: 'mcp', port: 3000 }] },
  };
}

function slice(service: string, ready: boolean, namespace = 'production'): V1EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name: `${service}-abc`, namespace, labels: { 'kubernetes.io/service-name': service } },
    ports: [{ name: 'mcp', port: 3000 }],
    endpoints: [{ addresses: ['10.0.0.7'], conditions: { ready } }],
  };
}

describe('toDiscovered', () => {
  it("names tools after the Service's app label, as the example payment-service-mcp Service is labelled", () => {
    const [d] = toDiscovered(
      [svc('payment-service-mcp', { app: 'payment-service' })],
      [slice('payment-service-mcp', true)],
    );
    expect(d).toEqual({
      name: 'payment-service',
      namespace: 'production',
      host: 'payment-service-mcp.production.svc.cluster.local',
      port: 3000,
      url: 'http://payment-service-mcp.production.svc.cluster.local:3000/mcp',
      ready: true,
      pods: podsFingerprint([slice('payment-service-mcp', true)]),
      selector: { app: 'payment-service' },
    });
    expect(d!.pods).toMatch(/^[0-9a-f]{16}$/);
  });

  it('fingerprints the ready pods behind the MCP port, whatever the order of slices and endpoints', () => {
    const ep = (uid: string | undefined, address: string, ready?: boolean) => ({
      addresses: [address],
      ...(ready === undefined ? {} : { conditions: { ready } }),
      ...(uid ? { targetRef: { kind: 'Pod', uid } } : {}),
    });
    const of = (...endpoints: ReturnType<typeof ep>[][]) =>
      podsFingerprint(
        endpoints.map((e, i) => ({ ...slice('api', true), metadata: { name: `api-${i}` }, endpoints: e })),
      );
    const two = of([ep('a', '10.0.0.1'), ep('b', '10.0.0.2')]);
    expect(of([ep('b', '10.0.0.2')], [ep('a', '10.0.0.1')])).toBe(two);
    // An endpoint that is not ready does not count; without a targetRef the addresses stand for the pod.
    expect(of([ep('a', '10.0.0.1'), ep('b', '10.0.0.2'), ep('c', '10.0.0.3', false)])).toBe(two);
    expect(of([ep('a', '10.0.0.1'), ep('c', '10.0.0.2')])).not.toBe(two);
    expect(of([ep(undefined, '10.0.0.1')])).not.toBe(of([ep(undefined, '10.0.0.9')]));
    expect(of([ep('a', '10.0.0.1', false)])).toBeUndefined();
    expect(of()).toBeUndefined();
    // A slice that does not carry the mcp port is not looked at when the Service names one.
    const [d] = toDiscovered([svc('api')], [{ ...slice('api', true), ports: [{ name: 'http', port: 8080 }] }]);
    expect(d).toMatchObject({ ready: false });
    expect(d!.pods).toBeUndefined();
  });

  it('falls back to the Service name without -mcp, or the name itself', () => {
    const found = toDiscovered([svc('orders-mcp'), svc('billing')], []);
    expect(found.map((d) => [d.name, d.host, d.ready])).toEqual([
      ['billing', 'billing.production.svc.cluster.local', false],
      ['orders', 'orders-mcp.production.svc.cluster.local', false],
    ]);
  });

  it('skips, with the reason, a Service whose app label is no DNS label and the second Service for one name', () => {
    const skipped: string[] = [];
    const found = toDiscovered(
      [svc('a-mcp', { app: 'Payments_V2' }), svc('payment-mcp'), svc('payment-alt', { app: 'payment' })],
      [],
      { skip: (key, why) => skipped.push(`${key}: ${why}`) },
    );
    expect(found.map((d) => d.host)).toEqual(['payment-alt.production.svc.cluster.local']);
    expect(skipped).toEqual([
      'production/a-mcp: its app label "Payments_V2" is not a DNS label; tools are named after it',
      'production/payment-mcp: Service payment-alt already serves the tools of payment in production; label one differently',
    ]);
  });

  it('collects from an override URL where one is given for the Service', () => {
    const [d] = toDiscovered([svc('payment-service-mcp', { app: 'payment-service' })], [], {
      urlOverrides: { 'production/payment-service-mcp': 'http://127.0.0.1:3101/mcp' },
    });
    expect(d?.url).toBe('http://127.0.0.1:3101/mcp');
    expect(d?.host).toBe('payment-service-mcp.production.svc.cluster.local');
  });
});
