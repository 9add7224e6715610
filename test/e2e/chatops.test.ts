// ChatOps against the local mesh (`npm start`): the real `meshmcp chatops` process in front of the real gateway,
// with the bot's read-only key, answering Zulip's outgoing-webhook payloads and Slack's signed slash commands in
// their documented formats. Proves list, call, help, usage, a tool the bot's group may not call, a request id traced
// across the mesh from chat, the 401s, and that the gateway's audit names the bot and the chat user.
// @module-tag openssl
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { slackRequest, zulipPayload } from '../support/chatPayloads.js';
import { ROOT } from '../support/cli.js';
import { type Mesh, startMesh } from './support/mesh.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

const ZULIP_TOKEN = `zulip-${randomBytes(12).toString('hex')}`;
const SLACK_SECRET = `slack-${randomBytes(12).toString('hex')}`;
const TRACE_ID = `chat-trace-${randomBytes(6).toString('hex')}`;

let mesh: Mesh;
let chatops: ChildProcessByStdio<null, Readable, null> | undefined;
let chatUrl: string;

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
  chatops = spawn(
    process.execPath,
    [
      ...['bin/meshmcp.js', 'chatops', '--url', mesh.url, '--header', `x-api-key: ${mesh.readonlyKey}`],
      ...['--zulip-token', ZULIP_TOKEN, '--slack-signing-secret', SLACK_SECRET, '--port', '0'],
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  chatUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    chatops!.stdout.on('data', (c: Buffer) => {
      out += c;
      const m = /"msg":"listening","url":"([^"]+)"/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    chatops!.once('exit', (code) => reject(new Error(`meshmcp chatops exited with ${code}:\n${out}`)));
  });
});

afterAll(async () => {
  chatops?.kill('SIGTERM');
  if (!mesh) return;
  const { code, output } = await mesh.stop();
  expect(code, output.slice(-3000)).toBe(0);
});

async function zulip(content: string, token = ZULIP_TOKEN): Promise<{ status: number; content?: string }> {
  const res = await fetch(`${chatUrl}/zulip`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(zulipPayload(content, token)),
  });
  const json = (await res.json()) as { content?: string };
  return { status: res.status, content: json.content };
}

async function slack(text: string, secret = SLACK_SECRET): Promise<{ status: number; json: Record<string, string> }> {
  const { body, headers } = slackRequest(text, secret, Math.floor(Date.now() / 1000));
  const res = await fetch(`${chatUrl}/slack`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

describe('meshmcp chatops in front of the local mesh', () => {
  it('Zulip: `mcp list` lists every service of the mesh the bot may reach, packs included', async () => {
    const r = await zulip('mcp list');
    expect(r.status).toBe(200);
    for (const s of ['payment-service', 'user-service', 'mqtt-publisher', 'logs'])
      expect(r.content).toMatch(new RegExp(`\\*\\*${s}\\*\\* \\(\\d+ tools\\)`));
  });

  it('Zulip: a call through the gateway, audited with the bot as client and the chat user it acted for', async () => {
    const r = await zulip('mcp payment-service get_health');
    expect(r.content).toMatch(/^\*\*payment-service get_health\*\*\n```\n/);
    const line = await mesh.lastAudit(
      (l) => l.tool === 'get_health' && l.service === 'payment-service' && l.on_behalf_of === 'iago@zulip.example.com',
    );
    expect(line).toMatchObject({ client: 'dev-readonly', on_behalf_of: 'iago@zulip.example.com', decision: 'allow' });
  });

  it('Zulip: help, usage lines, and a tool the bot’s group may not call reads as unknown', async () => {
    expect((await zulip('mcp help user-service get_user')).content).toMatch(/Usage: `mcp user-service get_user/);
    expect((await zulip('')).content).toBe('Usage: `mcp <server> <tool> [args...]` or `mcp list`');
    // The read-only group may not read payment-service's logs: the bot cannot either, whoever asks.
    expect((await zulip('mcp payment-service get_logs')).content).toContain('payment-service has no tool get_logs');
  });

  it('Zulip: traces a request id across the mesh with the bot’s rights', async () => {
    for (const [name, args] of [
      ['user-service__get_user', { id: 'u_1001' }],
      ['payment-service__check_transaction_status', { id: 'tx_12345' }],
    ] as const) {
      const r = await mesh.post(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
        { 'x-api-key': mesh.adminKey, 'x-request-id': TRACE_ID },
      );
      expect(r.status, r.text).toBe(200);
    }
    const r = await zulip(`mcp logs trace_request ${TRACE_ID}`);
    expect(r.content).toMatch(/^\*\*logs trace_request\*\*\n```\n/);
    expect(r.content).toMatch(/^ {2}user-service {4}1 line$/m);
    expect(r.content).toMatch(/user-service {4}info .*"request_id":"chat-trace-/);
    // payment-service's logs are off limits to the bot's group: not listed to it, so not searched either.
    expect(r.content).not.toMatch(/^ {2}payment-service/m);
    expect(r.content).toContain('services whose get_logs you may not call are not listed to you');
  });

  it('Zulip: a wrong token is 401', async () => {
    expect((await zulip('mcp list', 'not-the-token')).status).toBe(401);
  });

  it('Slack: a signed slash command is answered ephemerally; a bad signature is 401', async () => {
    const r = await slack('user-service get_user u_1001');
    expect(r.status).toBe(200);
    expect(r.json['response_type']).toBe('ephemeral');
    expect(r.json['text']).toMatch(/^\*\*user-service get_user\*\*\n```\n/);
    expect(r.json['text']).toContain('u_1001');
    // The line is written once the answer is out, and an earlier test's get_user (the admin's) is in the log too: wait
    // for the one made for steve.
    const line = await mesh.lastAudit((l) => l.tool === 'get_user' && l.on_behalf_of === 'steve');
    expect(line).toMatchObject({ client: 'dev-readonly', on_behalf_of: 'steve' });
    expect((await slack('list', 'not-the-secret')).status).toBe(401);
  });
});
