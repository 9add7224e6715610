// The bridge's HTTP client for the one MCP server it fronts, on loopback (node:http: fetch would load undici, which
// the pod's 64Mi cannot spare): each request bounded in time until its answer starts, each message of an answer
// bounded in size, and the messages of one or more answers (JSON, or SSE events) read into an Inbox the exchange
// pulls from with its own time limit.
import http from 'node:http';
import { SseParser } from './sse.js';

export interface UpstreamOptions {
  url: string;
  /** how long the upstream has to start its answer, and (Inbox.next) between two messages a client waits for */
  timeoutMs: number;
  /** the largest message (a JSON body, or one SSE event) read from the upstream */
  maxMessageBytes: number;
}

/** Where an answer's messages go, then its end (with the error that cut it short, if one did). */
export interface Sink {
  message(m: unknown): void;
  end(error?: Error): void;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** reads the body's JSON-RPC messages into sink */
  read(sink: Sink): void;
  /** the body as text (bounded), for an answer that is not a message */
  text(): Promise<string>;
  /** stops reading and drops the connection (the client went away, or the exchange ended) */
  close(): void;
  /** the body itself, for an answer passed on as it comes */
  body: http.IncomingMessage;
}

export class Upstream {
  readonly url: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxFreeSockets: 4 });

  constructor(readonly opts: UpstreamOptions) {
    this.url = new URL(opts.url);
  }

  /**
   * Sends one request (body: a message, or the bytes of one); resolves when the answer's headers are in, rejects
   * with the reason they never came.
   */
  request(method: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(this.url, {
        method,
        agent: this.agent,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`it did not answer within ${this.opts.timeoutMs} ms (--bridge-timeout-ms)`)),
        this.opts.timeoutMs,
      );
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(err.code === 'ECONNREFUSED' ? 'it refused the connection (is it running?)' : err.message));
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        resolve(answerOf(res, req, this.opts.maxMessageBytes));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function answerOf(res: http.IncomingMessage, req: http.ClientRequest, max: number): Answer {
  const ctype = String(res.headers['content-type'] ?? '').toLowerCase();
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    read(sink) {
      const end = once(sink);
      res.once('error', (err) => end(err));
      // A JSON body ends when it is parsed; anything else at its end; any body when its connection drops first.
      res.once('close', () => {
        if (!res.complete) end(new Error('the connection closed mid-answer'));
      });
      if (ctype.startsWith('text/event-stream')) {
        const parser = new SseParser(max);
        const decoder = new TextDecoder();
        const take = (read: () => string[]) => {
          try {
            for (const data of read()) sink.message(JSON.parse(data));
          } catch (err) {
            end(new Error(`its event stream is not MCP: ${(err as Error).message}`));
            res.destroy();
          }
        };
        res.on('data', (chunk: Buffer) => take(() => parser.push(decoder.decode(chunk, { stream: true }))));
        res.once('end', () => {
          take(() => parser.end());
          end();
        });
      } else if (ctype.startsWith('application/json')) {
        collect(res, max).then(
          (text) => {
            try {
              const parsed: unknown = JSON.parse(text);
              for (const m of Array.isArray(parsed) ? parsed : [parsed]) sink.message(m);
              end();
            } catch {
              end(new Error('its answer is not JSON'));
            }
          },
          (err: Error) => end(err),
        );
      } else {
        res.once('end', () => end());
        res.resume();
      }
    },
    text: () => collect(res, max),
    close() {
      res.destroy();
      req.destroy();
    },
    body: res,
  };
}

function once(sink: Sink): (error?: Error) => void {
  let done = false;
  return (error) => {
    if (done) return;
    done = true;
    sink.end(error);
  };
}

function collect(res: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        res.destroy();
        reject(new Error(`its answer is larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}

export type Next = { message: unknown } | { end: Error | undefined } | { timeout: true };

/**
 * The messages of an exchange's answers, in order, for the exchange to pull. Only the primary answer's end ends the
 * inbox (a 2025-11-25 session's standalone GET stream may close without meaning anything); messages queued before
 * it are still taken first. Bounded: an upstream that floods it ends it.
 */
export class Inbox {
  private readonly queue: unknown[] = [];
  private ended: { error: Error | undefined } | undefined;
  private waiter: ((n: Next) => void) | undefined;

  constructor(private readonly maxQueued = 1024) {}

  get isEnded(): boolean {
    return this.ended !== undefined && this.queue.length === 0;
  }

  sink(primary: boolean): Sink {
    return {
      message: (m) => {
        if (this.ended) return;
        if (this.queue.length >= this.maxQueued) {
          this.finish(new Error(`it sent more than ${this.maxQueued} messages nobody took`));
          return;
        }
        this.queue.push(m);
        this.wake();
      },
      end: (error) => {
        if (primary) this.finish(error);
      },
    };
  }

  /** Ends the inbox from outside (the exchange is over). */
  finish(error?: Error): void {
    if (this.ended) return;
    this.ended = { error };
    this.wake();
  }

  /** The next queued message without waiting, if there is one. */
  take(): unknown | undefined {
    return this.queue.shift();
  }

  /** The next message, the end, or a timeout after timeoutMs. One caller at a time. */
  next(timeoutMs: number): Promise<Next> {
    const now = this.ready();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ timeout: true });
      }, timeoutMs);
      this.waiter = (n) => {
        clearTimeout(timer);
        resolve(n);
      };
    });
  }

  private ready(): Next | undefined {
    if (this.queue.length > 0) return { message: this.queue.shift() };
    if (this.ended) return { end: this.ended.error };
    return undefined;
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    const n = this.ready();
    if (!n) return;
    this.waiter = undefined;
    w(n);
  }
}
