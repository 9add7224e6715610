// Ports for tests: never a fixed number, which a local mesh, an Envoy or another tool on the machine may hold.
import net from 'node:net';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A loopback port that was free a moment ago and that this test released again: free for a server the test starts
 * next, or an address where nothing listens (connections to it are refused).
 *
 * It is drawn between 20000 and 32000, below Linux's ephemeral range (32768+). A port the OS hands out for
 * `listen(0)` comes from that range, and so does the local port of every outgoing connection: between this check
 * and a child process's own listen, some connection of a parallel test could take it (kube-apiserver once failed
 * with "address already in use" that way).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free loopback port found between 20000 and 32000');
}

/** `http://127.0.0.1:<port>` on a freePort(): an app, Envoy admin or Prometheus that is down. */
export async function closedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
