// The 2025-11-25 standalone GET stream: a client that opens it hears notifications/tools/list_changed when its own
// view of the tools changes, and prompts/ and resources/list_changed when the catalog's do. Stateless like the rest: any replica serves any stream, and nothing survives it.
import type { ServerResponse } from 'node:http';
import type { Identity } from './authorize.js';
import type { ListViews } from './listViews.js';

const listChanged = (kind: 'tools' | 'prompts' | 'resources') =>
  `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` })}\n\n`;
const LIST_CHANGED = listChanged('tools');

interface Stream {
  res: ServerResponse;
  id: Identity;
  seen: string;
}

export interface GetStreamOptions {
  /** Open streams allowed at once; the next is refused with 503. Default 1024. */
  maxStreams?: number;
  /** SSE comment keepalive, so idle proxies keep the stream. Default 15 s; 0 disables. */
  keepAliveMs?: number;
}

export class GetStreams {
  private readonly streams = new Set<Stream>();
  private readonly max: number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly views: ListViews,
    opts: GetStreamOptions = {},
  ) {
    this.max = opts.maxStreams ?? 1024;
    const every = opts.keepAliveMs ?? 15_000;
    if (every > 0) {
      this.timer = setInterval(() => {
        for (const s of this.streams) s.res.write(': keepalive\n\n');
      }, every);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.streams.size;
  }

  /** Whether another stream may open now. */
  hasRoom(): boolean {
    return this.streams.size < this.max;
  }

  /** Takes over the response as an SSE stream until the client goes away or close() is called. */
  open(res: ServerResponse, id: Identity): void {
    const stream: Stream = { res, id, seen: this.views.versionFor(id) };
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    this.streams.add(stream);
    res.on('close', () => this.streams.delete(stream));
  }

  /** After a catalog change: notify each stream whose caller now sees a different list. */
  toolsChanged(): number {
    let told = 0;
    for (const s of this.streams) {
      const now = this.views.versionFor(s.id);
      if (now === s.seen) continue;
      s.seen = now;
      s.res.write(LIST_CHANGED);
      told++;
    }
    return told;
  }

  /** After a catalog change of prompts or resources: every stream hears it (no per-caller version is kept). */
  offeringsChanged(kind: 'prompts' | 'resources'): number {
    const event = listChanged(kind);
    for (const s of this.streams) s.res.write(event);
    return this.streams.size;
  }

  /** Ends every stream (SIGTERM drain): clients reconnect to another replica. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }
}
