// The phased stream API and real tick timers, with the compiled front router fixture.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  createPlugin,
  FilterDataStatus,
  FilterHeadersStatus,
  type HeaderPairs,
  type LogEntry,
  type PluginOptions,
  type Step,
} from '../../filter/host/index.js';
import { compileFixture } from './compileFixture.js';

let wasm: Uint8Array;
beforeAll(async () => {
  wasm = await compileFixture('frontRouter');
});

const plugin = (options: PluginOptions = {}, config = '{}') => createPlugin(wasm, config, options);
const header = (pairs: HeaderPairs | undefined, name: string) => pairs?.find(([k]) => k === name)?.[1];
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString();
const request = (extra: Record<string, string> = {}) => ({
  headers: { ':method': 'POST', ':path': '/mcp', ':authority': 'front.test', ...extra },
});

function forward(step: Step) {
  if (step.kind !== 'forward') throw new Error(`expected forward, got ${step.kind}`);
  return step;
}

describe('phased stream', () => {
  it('routes on the headers released by on_request_headers and streams response chunks through the filter', async () => {
    const p = await plugin();
    const s = p.openStream(request({ 'x-route-to': 'alpha', 'x-front-mode': 'upper-response' }));
    const req = forward(s.requestHeaders(false));
    expect(header(req.headers, 'x-meshmcp-service')).toBe('alpha');
    expect(req.endOfStream).toBe(false);
    const body = forward(s.requestData('{"a":1}', false));
    expect(body.headers).toBeUndefined();
    expect(text(body.data)).toBe('{"a":1}');
    expect(text(forward(s.requestData('', true)).data)).toBe('');

    const res = forward(s.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }, false));
    expect(header(res.headers, 'x-front-seen')).toBe('200');
    // Each chunk comes back from its own callback, rewritten, before the next one exists.
    const first = forward(s.responseData('data: one\n\n', false));
    expect(text(first.data)).toBe('DATA: ONE\n\n');
    expect(first.headers).toBeUndefined();
    expect(text(forward(s.responseData('data: two\n\n', false)).data)).toBe('DATA: TWO\n\n');
    expect(forward(s.responseData('', true)).endOfStream).toBe(true);
    expect(s.responseBodyStatuses).toEqual([FilterDataStatus.Continue, FilterDataStatus.Continue, 0]);

    s.finish();
    s.finish();
    expect(p.logs.filter((l) => l.message === `on_log ${s.contextId} alpha`)).toHaveLength(1);
    expect(s.responseData('late', true)).toEqual({ kind: 'ended' });
  });

  it('holds StopIteration headers until a body callback continues, so its header changes reach routing', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true });
    const s = p.openStream(request({ 'x-route-to': 'beta', 'x-front-mode': 'body-route' }));
    expect(s.requestHeaders(false)).toEqual({ kind: 'hold' });
    expect(s.requestHeadersStatus).toBe(FilterHeadersStatus.StopIteration);
    expect(s.requestData('pay', false)).toEqual({ kind: 'hold' });
    const released = forward(s.requestData('ment', true));
    expect(header(released.headers, 'x-meshmcp-service')).toBe('beta');
    expect(header(released.headers, 'x-front-body')).toBe('payment');
    expect(text(released.data)).toBe('payment');
    expect(released.endOfStream).toBe(true);
    s.finish();
  });

  it('turns StopIteration into StopAll without allow_on_headers_stop_iteration: body callbacks never run', async () => {
    const s = (await plugin()).openStream(request({ 'x-route-to': 'beta', 'x-front-mode': 'body-route' }));
    expect(s.requestHeaders(false)).toEqual({ kind: 'hold' });
    expect(s.requestHeadersStatus).toBe(FilterHeadersStatus.StopAllIterationAndWatermark);
    expect(s.requestData('x', true)).toEqual({ kind: 'stalled' });
    expect(s.requestBodyStatuses).toEqual([]);
    s.finish();
  });

  it('answers 413 past the buffer limit, and the reply passes through the response callbacks', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true, bufferLimitBytes: 4 });
    const s = p.openStream(request({ 'x-route-to': 'beta', 'x-front-mode': 'body-route' }));
    s.requestHeaders(false);
    expect(s.requestData('pay', false)).toEqual({ kind: 'hold' });
    const step = s.requestData('ment', true);
    expect(step).toMatchObject({ kind: 'localReply', reply: { status: 413, details: 'request_payload_too_large' } });
    if (step.kind !== 'localReply') return;
    expect(header(step.response.headers, 'x-front-seen')).toBe('413');
    expect(text(step.response.body)).toBe('Payload Too Large');
    expect(s.requestData('more', true)).toEqual({ kind: 'ended' });
    s.finish();
  });

  it("sends the module's local reply through its own response callbacks", async () => {
    const s = (await plugin()).openStream(request({ 'x-front-mode': 'local' }));
    const step = s.requestHeaders(true);
    expect(step).toMatchObject({ kind: 'localReply', reply: { status: 418, details: 'front_denied' } });
    if (step.kind !== 'localReply') return;
    expect(step.response.status).toBe(418);
    expect(header(step.response.headers, 'x-front-seen')).toBe('418');
    expect(text(step.response.body)).toBe('denied by filter');
    expect(s.responseBodyStatuses).toEqual([FilterDataStatus.Continue]);
    s.finish();
  });

  it("sends the router's reply through the response callbacks when no response has started", async () => {
    const s = (await plugin()).openStream(request({ 'x-route-to': 'nowhere' }));
    forward(s.requestHeaders(true));
    const step = s.localReply({
      status: 404,
      body: new Uint8Array(),
      headers: [],
      details: 'route_not_found',
      grpcStatus: -1,
    });
    expect(step).toMatchObject({ kind: 'localReply', response: { status: 404 } });
    if (step.kind === 'localReply') expect(header(step.response.headers, 'x-front-seen')).toBe('404');
    s.finish();
  });

  it('resets when the module sends a local reply after response headers went downstream', async () => {
    const s = (await plugin()).openStream(request({ 'x-route-to': 'alpha', 'x-front-mode': 'deny-response' }));
    forward(s.requestHeaders(true));
    forward(s.responseHeaders({ ':status': '200' }, false));
    expect(s.responseStarted).toBe(true);
    expect(s.responseData('secret', false)).toEqual({ kind: 'reset' });
    expect(s.ctx.localReply).toMatchObject({ status: 403, details: 'front_late_deny' });
    s.finish();
  });
});

describe('tick timers', () => {
  it('calls proxy_on_tick on every VM at the period it set', async () => {
    const ticked = new Set<number>();
    let allTicked!: () => void;
    const done = new Promise<void>((resolve) => {
      allTicked = resolve;
    });
    const onLog = (entry: LogEntry) => {
      if (entry.message !== 'tick') return;
      ticked.add(entry.vm);
      if (ticked.size === 2) allTicked();
    };
    const p = await plugin({ workers: 2, onLog }, '{"tick":true}');
    expect(p.logs.some((l) => l.message === 'tick')).toBe(false);
    p.startTicks();
    await done;
    expect([...ticked].sort()).toEqual([0, 1]);
    p.close();
  });

  it('fires nothing until started, and tick() stays deterministic', async () => {
    const p = await plugin({ logLimit: 1 }, '{"tick":true}');
    p.tick();
    p.tick();
    expect(p.logs).toEqual([expect.objectContaining({ message: 'tick' })]);
  });
});
