// The collection's fetch over node:http, against a real loopback server: what the MCP client transport reads of a
// Response (status, headers, a streamed body, no body where HTTP has none), one kept-alive connection shared by a
// collection's requests, every connection closed by close(), an abort, and a refused connection as a failure.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { collectionFetch } from '../../control/catalog/collectionFetch.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Seen {
  url: string;
  requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string; port: number }>;
  open: Set<unknown>;
  connections: number;
}

async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Seen> {
  const seen: Seen = { url: '', requests: [], open: new Set(), connections: 0 };
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.requests.push({
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body,
        port: req.socket.remotePort!,
      });
      handler(req, res);
    });
  });
  s.on('connection', (sock) => {
    seen.connections++;
    seen.open.add(sock);
    sock.once('close', () => seen.open.delete(sock));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      }),
  );
  seen.url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
  return seen;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('collectionFetch', () => {
  it('answers as fetch does: status, headers, a streamed body, and none for 204', async () => {
    const s = await server((req, res) => {
      if (req.method === 'DELETE') {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'abc' });
      res.write('event: message\ndata: {"a":1}\n\n');
      setTimeout(() => res.end('event: message\ndata: {"b":2}\n\n'), 20);
    });
    const c = collectionFetch();
    const res = await c.fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBe('abc');
    expect(await res.text()).toBe('event: message\ndata: {"a":1}\n\nevent: message\ndata: {"b":2}\n\n');
    expect(s.requests[0]).toMatchObject({
      method: 'POST',
      path: '/mcp',
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    });
    const gone = await c.fetch(s.url, { method: 'DELETE' });
    expect(gone.status).toBe(204);
    expect(gone.body).toBeNull();
    c.close();
  });

  it("shares one kept-alive connection between a collection's requests, and close() ends it", async () => {
    const s = await server((_req, res) => res.end('{}'));
    const c = collectionFetch();
    for (let i = 0; i < 3; i++) await (await c.fetch(s.url, { method: 'POST', body: '{}' })).text();
    expect(s.connections).toBe(1);
    expect(new Set(s.requests.map((r) => r.port)).size).toBe(1);
    expect(s.open.size).toBe(1);
    c.close();
    await until(() => s.open.size === 0);
    expect(s.open.size).toBe(0);
  });

  it('stops at an abort, and fails on a refused connection', async () => {
    const s = await server(() => {
      // Never answers.
    });
    const c = collectionFetch();
    const abort = new AbortController();
    const pending = c.fetch(s.url, { method: 'POST', body: '{}', signal: abort.signal });
    await until(() => s.requests.length === 1);
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    c.close();
    const closed = await server(() => undefined);
    const url = closed.url;
    await cleanups.pop()!();
    await expect(collectionFetch().fetch(url, { method: 'POST', body: '{}' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
