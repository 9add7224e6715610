// Keeps one MCP session open to an MCP server of a service's own, to hear its notifications/{tools,prompts,resources}
// /list_changed: the runner then collects that server again at once instead of at the next CACHE_TTL. One client per
// server, reconnecting with backoff when the session or its stream ends; the session is ended (DELETE) on stop.
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

  constructor(
    private readonly url: string,
    private readonly onChange: (what: string) => void,
    private readonly log: ListWatchLog,
    private readonly timeoutMs: number,
  ) {}

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
