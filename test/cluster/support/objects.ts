// Kubernetes objects the cluster tests create as the admin: MCP-enabled Services and their EndpointSlices. The
// endpoint addresses are placeholders discovery only reads; nothing is ever sent to them.
import { type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';

export function mcpService(name: string, namespace: string, port = 3000, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { 'mcp-enabled': 'true', ...labels } },
    spec: {
      selector: { app: name },
      ports: [
        { name: 'http', port: 8080, targetPort: 8080 },
        { name: 'mcp', port, targetPort: port },
      ],
    },
  };
}

/** One endpoint at address; with pod, the pod it belongs to (targetRef, as the EndpointSlice controller writes it). */
export function endpointSlice(
  service: string,
  namespace: string,
  ready: boolean,
  address = '10.0.0.1',
  port = 3000,
  pod?: { name: string; uid: string },
) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-x1`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'mcp', port, protocol: 'TCP' }],
    endpoints: [
      {
        addresses: [address],
        conditions: { ready },
        ...(pod ? { targetRef: { kind: 'Pod', namespace, name: pod.name, uid: pod.uid } } : {}),
      },
    ],
  };
}

/** Server-side apply and delete through the generic client (the admin's, in these tests). */
export function objects(kc: KubeConfig) {
  const client = KubernetesObjectApi.makeApiClient(kc);
  return {
    client,
    async put(o: KubernetesObject): Promise<void> {
      await client.patch(o, undefined, undefined, 'meshmcp-cluster-test', true, PatchStrategy.ServerSideApply);
    },
    async remove(o: KubernetesObject): Promise<void> {
      await client.delete(o);
    },
  };
}
