// The answer to one client POST: a single JSON body, or (when the client accepts it and there is something to send
// before the end) an SSE stream of JSON-RPC messages. It switches to the stream on the first message that needs it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sseEvent } from './sse.js';

/** A comment line on a held stream this often, so no proxy on the way takes it for idle. */
const KEEPALIVE_MS = 15_000;

export class ClientReply {
  private streaming = false;
  private gone = false;
  private keepalive: NodeJS.Timeout | undefined;
  readonly acceptsStream: boolean;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.acceptsStream = /text\/event-stream/i.test(String(req.headers.accept ?? ''));
    res.once('close', () => {
      this.gone = true;
      clearInterval(this.keepalive);
    });
  }

  /** False once the answer is complete or the client went away. */
  get open(): boolean {
    return !this.gone && !this.res.writableEnded;
  }

  /** Runs fn when the client goes away before the answer is complete. */
  onGone(fn: () => void): void {
    this.res.once('close', () => {
      if (!this.res.writableFinished) fn();
    });
  }

  /** Makes the answer a stream; false when the client does not accept one. */
  stream(): boolean {
    if (this.streaming) return true;
    if (!this.acceptsStream || !this.open) return false;
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' });
    this.res.flushHeaders();
    this.streaming = true;
    this.keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    return true;
  }

  /** Sends a message before the end (a notification, a relayed request); dropped when the client takes no stream. */
  send(message: unknown): boolean {
    if (!this.open || !this.stream()) return false;
    this.res.write(sseEvent(message));
    return true;
  }

  /** Sends the last message and completes the answer. */
  finish(message: unknown, status = 200, headers: Record<string, string> = {}): void {
    if (!this.open) return;
    clearInterval(this.keepalive);
    if (this.streaming) {
      this.res.end(sseEvent(message));
      return;
    }
    const text = JSON.stringify(message);
    this.res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    this.res.end(text);
  }
}
