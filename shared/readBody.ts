// Reading a request body with a bound, for every HTTP server of meshmcp (the sidecar's MCP endpoint, the chat
// endpoint, the demo apps). Node built-ins only: the sidecar bundle pays for every import.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The body, or undefined when it is larger than max bytes (the caller answers 413 after closeAfterAnswer(res)):
 * refused at once by its Content-Length, else as soon as it outgrows max, after which the rest is drained and dropped.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Marks the answer to a refused body `Connection: close`. The client still owes the rest of that body, so the
 * connection cannot carry another request; kept alive, it would also hold a server's close() until the keep-alive
 * timeout.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  res.setHeader('connection', 'close');
}
