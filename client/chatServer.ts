// The chat surfaces over HTTP, for `meshmcp chatops`: Zulip's outgoing webhook (POST /zulip: its JSON payload in,
// `{"content": …}` out, the bot's token checked) and Slack's slash command (POST /slack: its form payload in, a JSON
// message out, its request signature checked). Each line is answered by runChatCommand through one MeshClient per
// chat user, which sends the user's name in `userHeader` so the upstream can log who asked. Bounded bodies, constant
// time secret checks, and a 401 for a wrong token or signature.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeAfterAnswer, readBody } from '../shared/readBody.js';
import { runChatCommand } from './chat.js';
import { MeshClient, type MeshClientOptions } from './meshClient.js';

export interface ChatServerOptions {
  /** How to reach the tools (gateway url or named servers, credentials, protocol, timeout). */
  client: MeshClientOptions;
  /** Zulip outgoing-webhook token: POST /zulip answers only payloads carrying it. Unset: /zulip is off (404). */
  zulipToken?: string;
  /** Slack signing secret: POST /slack answers only requests signed with it. Unset: /slack is off (404). */
  slackSigningSecret?: string;
  /** The request header that names the chat user to the gateway. Default `x-chat-user`. */
  userHeader?: string;
  host?: string;
  port?: number;
  /** Longest tool output in an answer. Default 3000 characters. */
  maxOutputChars?: number;
  /** Clock for Slack's replay window (seconds since the epoch). */
  now?: () => number;
  /**
   * Slack waits 3 s for an answer: past this many ms the command is acknowledged at once and the answer posted to
   * the request's response_url when it is ready. Default 2500.
   */
  slackAckMs?: number;
  /** Which response_url may receive answers (no other is ever called). Default: https://hooks.slack.com/ only. */
  slackResponseUrl?: RegExp;
  log?: (line: Record<string, unknown>) => void;
}

export interface ChatServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const SLACK_RESPONSE_URL = /^https:\/\/hooks\.slack\.com\//;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Posts a late answer to a Slack response_url (bounded in time; failures are logged, never thrown). */
async function postToSlack(url: string, text: string, log: (line: Record<string, unknown>) => void): Promise<void> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: true, text }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) log({ level: 'warn', msg: 'slack response_url refused the answer', status: res.status });
  } catch (err) {
    log({ level: 'warn', msg: 'slack response_url unreachable', error: (err as Error).message });
  }
}
/** Slack refuses to act on requests older than five minutes; so does this. */
const SLACK_WINDOW_S = 300;
/** Chat users with a client of their own; the oldest is closed past this. */
const MAX_USERS = 256;

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Whether a Slack request is signed with the secret and recent: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export function slackSignatureValid(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: Buffer,
  nowSeconds: number,
): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_WINDOW_S) return false;
  const mac = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex');
  return sameSecret(`v0=${mac}`, signature);
}

/** The chat line of a Zulip message: its text without the leading `@**Bot name**` mention. */
export function zulipLine(data: string): string {
  return data.replace(/^\s*@_?\*\*[^*]+\*\*\s*/, '').trim();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const userHeader = (options.userHeader ?? 'x-chat-user').toLowerCase();
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const clients = new Map<string, MeshClient>();
  const clientFor = (user: string): MeshClient => {
    let c = clients.get(user);
    if (c) {
      clients.delete(user); // re-inserted below: the map stays in order of last use
    } else {
      c = new MeshClient({ ...options.client, headers: { ...options.client.headers, [userHeader]: user } });
    }
    clients.set(user, c);
    if (clients.size > MAX_USERS) {
      const [oldest, client] = clients.entries().next().value!;
      clients.delete(oldest);
      void client.close();
    }
    return c;
  };
  const answer = (user: string, line: string) =>
    runChatCommand(clientFor(user), line, { maxOutputChars: options.maxOutputChars ?? 3000 });

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method === 'GET' && path === '/health') return json(res, 200, { status: 'ok' });
      const zulip = path === '/zulip' && options.zulipToken;
      const slack = path === '/slack' && options.slackSigningSecret;
      if (!zulip && !slack) return json(res, 404, { error: `nothing is served at ${req.method} ${path}` });
      if (req.method !== 'POST') return json(res, 405, { error: `${path} takes POST` });
      const body = await readBody(req, MAX_BODY);
      if (body === undefined) {
        closeAfterAnswer(res);
        return json(res, 413, { error: `the body is over ${MAX_BODY} bytes` });
      }
      if (zulip) {
        let payload: { token?: unknown; data?: unknown; message?: { sender_email?: unknown; content?: unknown } };
        try {
          payload = JSON.parse(body.toString('utf8'));
        } catch {
          return json(res, 400, { error: 'the body is not JSON (Zulip outgoing webhooks send JSON)' });
        }
        if (typeof payload.token !== 'string' || !sameSecret(payload.token, options.zulipToken!)) {
          log({ level: 'warn', msg: 'zulip request with a wrong token refused' });
          return json(res, 401, { error: 'wrong or missing token' });
        }
        const text = typeof payload.data === 'string' ? payload.data : String(payload.message?.content ?? '');
        const user = String(payload.message?.sender_email ?? 'unknown');
        log({ level: 'info', msg: 'zulip command', user, line: zulipLine(text) });
        return json(res, 200, { content: await answer(user, zulipLine(text)) });
      }
      const ok = slackSignatureValid(
        options.slackSigningSecret!,
        req.headers['x-slack-request-timestamp'] as string | undefined,
        req.headers['x-slack-signature'] as string | undefined,
        body,
        now(),
      );
      if (!ok) {
        log({ level: 'warn', msg: 'slack request with a bad or stale signature refused' });
        return json(res, 401, { error: 'bad or stale request signature' });
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const user = form.get('user_name') ?? form.get('user_id') ?? 'unknown';
      const line = form.get('text') ?? '';
      log({ level: 'info', msg: 'slack command', user, line });
      const pending = answer(user, line);
      const quick = await Promise.race([pending, sleep(options.slackAckMs ?? 2500).then(() => undefined)]);
      if (quick !== undefined) return json(res, 200, { response_type: 'ephemeral', text: quick });
      // Too slow for Slack's 3 s: acknowledge now, post the answer to response_url when it is ready.
      const responseUrl = form.get('response_url') ?? '';
      const allowed = (options.slackResponseUrl ?? SLACK_RESPONSE_URL).test(responseUrl);
      json(res, 200, {
        response_type: 'ephemeral',
        text: allowed
          ? `Working on \`${line}\`; the answer follows.`
          : 'That takes longer than Slack waits, and this request has no response_url to answer on.',
      });
      if (allowed) void pending.then((text) => postToSlack(responseUrl, text, log));
      return;
    } catch (err) {
      log({ level: 'error', msg: 'chat request failed', error: (err as Error).message });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    async close() {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
