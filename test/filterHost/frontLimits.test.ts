// Envoy's HTTP/1 codec limits on request headers at the front: 431 before any filter, connection closed.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Front, type FrontOptions, startFront } from '../../filter/host/front.js';
import { compileFixture } from './compileFixture.js';

let wasm: Uint8Array;
const fronts: Front[] = [];
// An upstream whose own Node limits are out of the way (Node's defaults: 16 KiB, 2,000 lines kept).
let upstream: Server;
let upstreamPort: number;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  wasm = await compileFixture('frontRouter');
  upstream = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '2' }).end('ok'));
  });
  upstream.maxHeadersCount = 0;
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
  seen.length = 0;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

async function front(options: Partial<FrontOptions> = {}): Promise<Front> {
  const f = await startFront({
    wasm,
    configuration: '{"tag":"one"}',
    upstreams: { alpha: { host: '127.0.0.1', port: upstreamPort } },
    ...options,
  });
  fronts.push(f);
  return f;
}

interface Raw {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/**
 * One request written as exactly these header lines (Host and the route header first, then `x-h-N` fillers up to
 * `lines` in all), read until the front closes the connection.
 */
function rawRequest(f: Front, lines: number, options: { body?: string; filler?: string } = {}): Promise<Raw> {
  const body = options.body ?? '';
  const head = ['host: front', 'x-route-to: alpha', `content-length: ${Buffer.byteLength(body)}`];
  for (let i = head.length; i < lines; i++) head.push(`x-h-${i}: ${options.filler ?? 'v'}`);
  return new Promise((resolve, reject) => {
    const socket = connect(f.port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(parts).toString();
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers: headerLines.map((l) => {
          const at = l.indexOf(':');
          return [l.slice(0, at).toLowerCase(), l.slice(at + 1).trim()];
        }),
        body: text.slice(split + 4),
      });
    });
    // connection: close on the passing request too, so every read ends with the front's close.
    socket.write(`POST /mcp HTTP/1.1\r\n${head.join('\r\n')}\r\nconnection: close\r\n\r\n${body}`);
  });
}

const onLogs = (f: Front) => f.plugin.logs.filter((l) => l.message.startsWith('on_log'));
/** The fixture counts proxy_on_request_headers calls. */
const filterSaw = (f: Front) => f.plugin.metrics()['wasmcustom.front_requests_total']?.value ?? 0;

function expectEnvoyRefusal(r: Raw): void {
  expect(r.status).toBe(431);
  expect(r.body).toBe('Request Header Fields Too Large');
  const names = r.headers.map(([k]) => k);
  expect(names.filter((k) => k !== 'date').sort()).toEqual(['connection', 'content-length', 'content-type']);
  expect(Object.fromEntries(r.headers)).toMatchObject({
    'content-length': '31',
    'content-type': 'text/plain',
    connection: 'close',
  });
}

describe('max_headers_count (default 100)', () => {
  it('passes a request of exactly 100 header lines to the filter and the upstream', async () => {
    const f = await front();
    const r = await rawRequest(f, 99, { body: 'hi' }); // + connection: close = 100
    expect([r.status, r.body]).toEqual([200, 'ok']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!['x-h-98']).toBe('v');
    expect(onLogs(f)).toHaveLength(1);
    expect(filterSaw(f)).toBe(1);
  });

  it('answers 101 header lines as Envoy does (431, its body, connection: close) and the filter never sees it', async () => {
    const f = await front();
    expectEnvoyRefusal(await rawRequest(f, 100, { body: 'hi' }));
    expect(seen).toHaveLength(0);
    expect(onLogs(f)).toHaveLength(0);
    expect(filterSaw(f)).toBe(0);
  });

  it('answers 2,000 header lines the same way: Node drops none and refuses none before the front counts', async () => {
    const f = await front();
    expectEnvoyRefusal(await rawRequest(f, 1999));
    expect(seen).toHaveLength(0);
    expect(onLogs(f)).toHaveLength(0);
    expect(filterSaw(f)).toBe(0);
  });

  it('takes the limit from maxHeadersCount', async () => {
    const f = await front({ maxHeadersCount: 2000 });
    const r = await rawRequest(f, 1999);
    expect(r.status).toBe(200);
    expect(Object.keys(seen[0]!).filter((k) => k.startsWith('x-h-'))).toHaveLength(1996);
    expectEnvoyRefusal(await rawRequest(f, 2000));
  });
});

describe('max_request_headers_kb (default 60)', () => {
  it('passes headers under 60 KiB (beyond Node 16 KiB default) and refuses them past it', async () => {
    const f = await front();
    const ok = await rawRequest(f, 40, { filler: 'a'.repeat(1400) }); // ~52 KiB of values
    expect(ok.status).toBe(200);
    expectEnvoyRefusal(await rawRequest(f, 50, { filler: 'a'.repeat(1400) })); // ~66 KiB
    expect(seen).toHaveLength(1);
    expect(onLogs(f)).toHaveLength(1);
  });

  it("gives Envoy's answer for a header block too large even for Node's parser", async () => {
    const f = await front({ maxRequestHeadersKb: 1 });
    expectEnvoyRefusal(await rawRequest(f, 50, { filler: 'a'.repeat(1000) }));
    expect(onLogs(f)).toHaveLength(0);
  });
});
