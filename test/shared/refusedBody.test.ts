// A body refused by its size (shared/readBody.ts) is answered 413, often before the body arrives. That connection must
// then close: a kept-alive one would still owe the unread body, so the server could not tell where the next request
// starts, and a shutdown would wait for it until the keep-alive timeout (65 s).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startChatServer } from '../../client/index.js';
import { startConformanceServer } from '../../demo/conformanceServer.js';
import { startBridgeSidecar } from '../support/bridgeSidecar.js';
import { startStatelessUpstream } from '../support/bridgeUpstreams.js';
import { closedUrl } from '../support/ports.js';
import { startTestSidecar } from '../support/sidecar.js';
import { TEST_TOOLS } from '../support/testTools.js';

interface Closable {
  close(): Promise<void>;
}
const started: Closable[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

/**
 * Sends a POST's head on a keep-alive connection declaring `declared` bytes, then `sent` of them, and reads until the
 * server ends the connection: resolves with what the server wrote and whether it ended the connection itself.
 */
function oversizedPost(url: string, declared: number, sent: number): Promise<{ head: string; endedByServer: boolean }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let text = '';
    let answered = false;
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      sock.write(
        `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n` +
          `Accept: application/json, text/event-stream\r\nConnection: keep-alive\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      if (sent > 0) sock.write('x'.repeat(sent));
    });
    sock.on('data', (c: string) => {
      text += c;
      if (!answered && text.includes('\r\n\r\n')) answered = true;
    });
    sock.on('end', () => {
      resolve({ head: text.split('\r\n\r\n')[0] ?? '', endedByServer: answered });
      sock.destroy();
    });
    sock.on('error', reject);
  });
}

describe('a body refused by its size', () => {
  it.each([
    ['declared too large, nothing sent', 1_000_000, 0],
    ['declared too large, part sent', 1_000_000, 10_000],
  ])('%s: the sidecar answers 413 and closes the connection', async (_label, declared, sent) => {
    const sc = await startTestSidecar(TEST_TOOLS, ['--max-body-bytes', '4096']);
    started.push(sc);
    const r = await oversizedPost(sc.mcpUrl, declared, sent);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.head.toLowerCase()).toContain('connection: close');
    expect(r.endedByServer).toBe(true);
  });

  it('the conformance server answers 413 and closes the connection', async () => {
    const s = await startConformanceServer({ port: 0 });
    started.push(s);
    const r = await oversizedPost(`http://127.0.0.1:${s.port}/mcp`, 100_000_000, 0);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.head.toLowerCase()).toContain('connection: close');
    expect(r.endedByServer).toBe(true);
  });

  it('the chat endpoint answers 413 and closes the connection', async () => {
    // The gateway is never reached: the body is refused first.
    const chat = await startChatServer({ client: { url: await closedUrl() }, zulipToken: 'a-token-for-this-test' });
    started.push(chat);
    const r = await oversizedPost(`${chat.url}/zulip`, 100_000_000, 0);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.head.toLowerCase()).toContain('connection: close');
    expect(r.endedByServer).toBe(true);
  });

  it('the bridge answers 413 and closes the connection', async () => {
    const up = await startStatelessUpstream();
    started.push(up);
    const b = await startBridgeSidecar(up.url, ['--bridge-protocols', '2026-07-28']);
    started.push(b);
    const r = await oversizedPost(b.mcpUrl, 100_000_000, 0);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.head.toLowerCase()).toContain('connection: close');
    expect(r.endedByServer).toBe(true);
  });
});
