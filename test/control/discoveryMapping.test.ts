// How a Service becomes a DiscoveredService: the tool-name prefix from its `app` label (the sidecar's SERVICE_NAME)
// or its name without `-mcp`, the MCP port, readiness, and the collection URL override.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toDiscovered } from '../../control/discovery/kubeObjects.js';

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
      selector: { app: 'payment-service' },
    });
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
