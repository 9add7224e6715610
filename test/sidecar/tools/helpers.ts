// Test helpers for the generic tools: real loopback HTTP servers, a real ToolContext and a call that validates
// arguments the way the sidecar's runner does before a tool runs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SidecarSettings, ToolContext, ToolResult } from '../../../sidecar/types.js';
import { testContext } from '../../support/toolContext.js';

export interface RecordedRequest {
  method: string;
  url: string;
}

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a real HTTP server on 127.0.0.1 (port 0) that records every request it receives. */
export async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real context: the bounded HTTP client allowing only the app and Envoy admin origins of settings. */
export function makeContext(settings: SidecarSettings, env: Record<string, string | undefined> = {}): ToolContext {
  return testContext({ settings, env });
}

export { freePort } from '../../support/ports.js';
export { callTool as call, InvalidArgs, testSettings as makeSettings } from '../../support/toolContext.js';

export function textOf(r: ToolResult): string {
  return r.content.map((c) => c.text).join('\n');
}

export function structured<T = Record<string, unknown>>(r: ToolResult): T {
  return r.structuredContent as T;
}
