// A loopback HTTP forwarder that adds one header (the gateway API key) to every request and passes everything else
// through unchanged, both ways and streaming: for clients that cannot send credentials, such as the MCP conformance
// suite's `server` command. Host, Origin and every other header reach the gateway as the client sent them.
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarder {
  /** http://127.0.0.1:<port>: put the gateway's path after it. */
  url: string;
  close(): Promise<void>;
}

export async function startCredentialForwarder(target: string, header: [string, string]): Promise<Forwarder> {
  const to = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res) => {
    const headers = { ...req.headers, [header[0]]: header[1] };
    const up = request(
      { host: to.hostname, port: Number(to.port), method: req.method, path: req.url, headers },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`forwarder: ${err.message}`);
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
