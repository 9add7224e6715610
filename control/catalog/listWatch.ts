// Keeps one MCP session open to an MCP server of a service's own, to hear its notifications/{tools,prompts,resources}
// /list_changed: the runner then collects that server again at once instead of at the next CACHE_TTL. The same
// session holds the resource subscriptions the aggregated endpoint's listeners ask for (setResources), and hears
// their notifications/resources/updated. One client per server, reconnecting with backoff when the session or its
// stream ends (subscribing again); the session is ended (DELETE) on stop.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { VERSION } from '../../shared/version.js';

const NOTIFICATIONS = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
] as const;

export interface ListWatchLog {
  info(obj: object, msg: string): void;
}

/** Backoff between attempts to open the session again: 1 s doubling to 60 s. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

export class ListWatch {
  private client: Client | undefined;
  private transport: StreamableHTTPClientTransport | undefined;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  /** The server's own URIs wanted now, and those its session is subscribed to. */
  private wanted = new Set<string>();
  private subscribed = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly onChange: (what: string) => void,
    private readonly log: ListWatchLog,
    private readonly timeoutMs: number,
    private readonly onResourceUpdated: (uri: string) => void = () => {},
  ) {}

  /** The resources (the server's own URIs) to be subscribed to from now on; the rest are unsubscribed. */
  setResources(uris: ReadonlySet<string>): void {
    this.wanted = new Set(uris);
    void this.syncResources();
  }

  /** Brings the session's subscriptions to what is wanted, one request at a time (the order a server sees them). */
  private async syncResources(): Promise<void> {
    const client = this.client;
    if (!client) return;
    for (const uri of [...this.subscribed]) {
      if (this.wanted.has(uri)) continue;
      this.subscribed.delete(uri);
      await client.unsubscribeResource({ uri }).catch(() => undefined);
    }
    for (const uri of [...this.wanted]) {
      if (this.subscribed.has(uri) || this.client !== client) continue;
      this.subscribed.add(uri);
      try {
        await client.subscribeResource({ uri });
      } catch (err) {
        this.subscribed.delete(uri);
        this.log.info(
          { url: this.url, uri, error: (err as Error).message },
          'the server refused a resource subscription',
        );
      }
    }
  }

  start(): void {
    void this.open();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const client = new Client(
      { name: 'meshmcp-control-watch', version: VERSION },
      // 2025-11-25: its standalone GET stream carries the server's list_changed notifications.
      { versionNegotiation: { mode: 'legacy' }, capabilities: { sampling: {}, elicitation: {}, roots: {} } },
    );
    for (const method of NOTIFICATIONS) client.setNotificationHandler(method, () => this.onChange(method));
    client.setNotificationHandler('notifications/resources/updated', (n) => this.onResourceUpdated(n.params.uri));
    const transport = new StreamableHTTPClientTransport(new URL(this.url), {
      reconnectionOptions: {
        maxRetries: 2,
        initialReconnectionDelay: 1000,
        maxReconnectionDelay: 5000,
        reconnectionDelayGrowFactor: 2,
      },
    });
    client.onclose = () => this.again();
    try {
      await client.connect(transport, { timeout: this.timeoutMs, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch {
      await client.close().catch(() => undefined);
      this.again();
      return;
    }
    if (this.stopped) {
      await this.end(client, transport);
      return;
    }
    this.client = client;
    this.transport = transport;
    this.retryMs = FIRST_RETRY_MS;
    this.log.info({ url: this.url }, 'watching the server for list changes');
    // A new session holds no subscriptions: take up every wanted one.
    this.subscribed = new Set();
    void this.syncResources();
  }

  /** After a failure or a closed session: try again later, with backoff. */
  private again(): void {
    this.client = undefined;
    this.transport = undefined;
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.open();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }

  private async end(client: Client, transport: StreamableHTTPClientTransport): Promise<void> {
    client.onclose = undefined;
    if (transport.sessionId !== undefined) await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const { client, transport } = this;
    this.client = undefined;
    this.transport = undefined;
    if (client && transport) await this.end(client, transport);
  }
}
