// What the MOCK API servers (kubeMock.ts, apiMock.ts) share: a loopback HTTP listener and a KubeConfig pointing at it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export abstract class LoopbackApiServer {
  protected readonly server = http.createServer((req, res) => this.onRequest(req, res));

  protected abstract onRequest(req: http.IncomingMessage, res: http.ServerResponse): void;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'mock', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'mock' }],
      contexts: [{ name: 'mock', cluster: 'mock', user: 'mock' }],
      currentContext: 'mock',
    });
    return kc;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
