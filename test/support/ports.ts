// Ports for tests: never a fixed number, which a local mesh, an Envoy or another tool on the machine may hold.
import net from 'node:net';

/**
 * A loopback port the OS just handed out and this test released again: free for a server the test starts next, or
 * an address where nothing listens (connections to it are refused).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** `http://127.0.0.1:<port>` on a freePort(): an app, Envoy admin or Prometheus that is down. */
export async function closedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
