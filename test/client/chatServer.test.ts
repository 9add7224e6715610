// `meshmcp chatops`' HTTP surfaces with payloads in the platforms' documented formats: Zulip's outgoing webhook
// (JSON, token in the body, `{"content": …}` back) and Slack's slash command (a form, signed with HMAC-SHA256 over
// `v0:<timestamp>:<body>`), answered through the gateway rig; wrong tokens and signatures get 401, stale ones too.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatServer, slackSignatureValid, startChatServer, zulipLine } from '../../client/index.js';
import { auditLines } from '../filter/harness.js';
import { zulipPayload as makeZulipPayload, slackRequest } from '../support/chatPayloads.js';
import { type GatewayRig, RIG_KEY, startGatewayRig } from '../support/gatewayRig.js';

const ZULIP_TOKEN = 'xvOzfurIutdRRVLzpXrIIHXJvNfaJLJ0';
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_796_000_000;

let rig: GatewayRig;
let chat: ChatServer;

beforeAll(async () => {
  rig = await startGatewayRig(1000);
  chat = await startChatServer({
    client: { url: rig.url, headers: { 'x-api-key': RIG_KEY }, timeoutMs: 5000 },
    zulipToken: ZULIP_TOKEN,
    slackSigningSecret: SLACK_SECRET,
    now: () => NOW,
  });
});

afterAll(async () => {
  await chat?.close();
  await rig?.close();
});

const zulipPayload = (content: string, token = ZULIP_TOKEN) => makeZulipPayload(content, token);

const zulip = async (body: unknown) => {
  const res = await fetch(`${chat.url}/zulip`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
};

/** A Slack slash command as Slack sends it: a form body, signed. */
async function slack(
  text: string,
  opts: { secret?: string; timestamp?: number; responseUrl?: string; server?: ChatServer } = {},
) {
  const { body, headers } = slackRequest(text, opts.secret ?? SLACK_SECRET, opts.timestamp ?? NOW, opts.responseUrl);
  const res = await fetch(`${(opts.server ?? chat).url}/slack`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

describe('Zulip outgoing webhook', () => {
  it('answers `mcp list` and a tool call in the message content', async () => {
    const list = await zulip(zulipPayload('mcp list'));
    expect(list.status).toBe(200);
    expect(list.json['content']).toContain('**payment-service** (2 tools)');
    const call = await zulip(zulipPayload('mcp payment-service get_health'));
    expect(call.json['content']).toMatch(/^\*\*payment-service get_health\*\*\n```\nHEALTHY/);
    // The gateway's audit line names the bot's principal and the chat user it acted for.
    expect(auditLines(rig.front.plugin).at(-1)).toMatchObject({
      client: 'ci-bot',
      on_behalf_of: 'iago@zulip.example.com',
      tool: 'get_health',
    });
  });

  it('answers bad input with the usage lines', async () => {
    expect((await zulip(zulipPayload(''))).json['content']).toBe(
      'Usage: `mcp <server> <tool> [args...]` or `mcp list`',
    );
  });

  it('refuses a wrong or missing token with 401, and a body that is not JSON with 400', async () => {
    expect((await zulip(zulipPayload('mcp list', 'wrong'))).status).toBe(401);
    const { token: _t, ...noToken } = zulipPayload('mcp list');
    expect((await zulip(noToken)).status).toBe(401);
    const res = await fetch(`${chat.url}/zulip`, { method: 'POST', body: 'not json' });
    expect(res.status).toBe(400);
  });

  it('takes the line after the bot mention', () => {
    expect(zulipLine('@**Ritsuko** mcp list')).toBe('mcp list');
    expect(zulipLine('@_**Ritsuko Akagi** mcp kubernetes get pods')).toBe('mcp kubernetes get pods');
    expect(zulipLine('mcp list')).toBe('mcp list');
  });
});

describe('Slack slash command', () => {
  it('answers a signed command ephemerally', async () => {
    const r = await slack('payment-service get_health');
    expect(r.status).toBe(200);
    expect(r.json['response_type']).toBe('ephemeral');
    expect(r.json['text']).toMatch(/HEALTHY/);
  });

  it('refuses a wrong signature and a stale timestamp with 401', async () => {
    expect((await slack('list', { secret: 'not-the-secret' })).status).toBe(401);
    expect((await slack('list', { timestamp: NOW - 301 })).status).toBe(401);
    expect(slackSignatureValid(SLACK_SECRET, undefined, 'v0=00', Buffer.from(''), NOW)).toBe(false);
  });
});

describe('Slack, slower than its 3 seconds', () => {
  it('acknowledges at once and posts the answer to the response_url; an unlisted response_url is never called', async () => {
    const received: Array<Record<string, unknown>> = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/commands/1/2`;
    const slow = await startChatServer({
      client: { url: rig.url, headers: { 'x-api-key': RIG_KEY }, timeoutMs: 5000 },
      slackSigningSecret: SLACK_SECRET,
      now: () => NOW,
      slackAckMs: 100,
      slackResponseUrl: /^http:\/\/127\.0\.0\.1:\d+\/commands\//,
    });
    try {
      // hanging-service never answers: the gateway's route timeout (1 s) ends the call, past the 100 ms ack.
      const r = await slack('hanging-service get_health', { server: slow, responseUrl: hookUrl });
      expect(r.json['text']).toBe('Working on `hanging-service get_health`; the answer follows.');
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((d) => setTimeout(d, 50));
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ response_type: 'ephemeral', replace_original: true });
      expect(String(received[0]!['text'])).toContain('hanging-service is unavailable');
      const other = await slack('hanging-service get_health', { server: slow, responseUrl: 'https://example.com/x' });
      expect(other.json['text']).toContain('has no response_url to answer on');
    } finally {
      await slow.close();
      await new Promise((r) => hook.close(r));
    }
  });
});

describe('the endpoint', () => {
  it('serves /health, and nothing it was not configured for', async () => {
    expect((await fetch(`${chat.url}/health`)).status).toBe(200);
    expect((await fetch(`${chat.url}/teams`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${chat.url}/zulip`)).status).toBe(405);
    const big = await fetch(`${chat.url}/zulip`, { method: 'POST', body: 'x'.repeat(70 * 1024) }).catch((e) => e);
    expect(big instanceof Error || big.status === 413).toBe(true);
  });
});
