// Reading a request body with a bound, for every HTTP server of meshmcp (the sidecar's MCP endpoint, the chat
// endpoint, the demo apps). Node built-ins only: the sidecar bundle pays for every import.
import type { IncomingMessage } from 'node:http';

/**
 * The body, or undefined when it is larger than max bytes (the caller answers 413): refused at once by its
 * Content-Length, else as soon as it outgrows max, after which the rest is drained and dropped.
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
