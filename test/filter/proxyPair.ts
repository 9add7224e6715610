// The two proxies in front of an MCP server of a pod's own, as the mesh runs them: the pod's (sidecar mode, the
// gateway's identity as its mTLS peer, the `meshmcp-upstream` cluster its EnvoyFilter adds) and the gateway's
// (gateway mode), whose routing entry for the service points at the pod's proxy.
import { type Front, startFront } from '../../filter/host/front.js';
import { example, filterWasm, type Json } from './harness.js';

export const GATEWAY_SAN = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

export interface ProxyPair {
  pod: Front;
  gateway: Front;
  close(): Promise<void>;
}

/**
 * entry: the service's routing entry, its port the server's (on 127.0.0.1); gatewayConfig: the gateway's
 * configuration, whose entry of the same name is replaced by one pointing at the pod's proxy.
 */
export async function startProxyPair(
  entry: Json,
  gatewayConfig: Json,
  envs: Record<string, string> = {},
): Promise<ProxyPair> {
  const podConfig = example('sidecar');
  podConfig.services = [entry];
  const target = { host: '127.0.0.1', port: entry.port as number };
  const pod = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(podConfig),
    defaultUpstream: target,
    clusters: { 'meshmcp-upstream': target },
    streamProperties: () => ({ connection: { uri_san_peer_certificate: GATEWAY_SAN } }),
  });
  const routed = { ...gatewayConfig };
  routed.services = [
    ...gatewayConfig.services.filter((s: Json) => s.name !== entry.name),
    { ...entry, port: pod.port },
  ];
  const gateway = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(routed),
    allowOnHeadersStopIteration: true,
    upstreams: { [entry.name]: { host: '127.0.0.1', port: pod.port } },
    envs,
  });
  return {
    pod,
    gateway,
    close: async () => {
      await gateway.close();
      await pod.close();
    },
  };
}
