// The compiled probe module in the host: statuses, local replies, encodings, shared data, metrics, ticks, traps.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  createPlugin,
  deserializePairs,
  FilterDataStatus,
  FilterHeadersStatus,
  LogLevel,
  type PluginOptions,
  type StreamInput,
  WasmResult,
} from '../../filter/host/index.js';
import { compileFixture } from './compileFixture.js';

let wasm: Uint8Array;
beforeAll(async () => {
  wasm = await compileFixture('probe');
});

const plugin = (options: PluginOptions = {}, config = 'ok') => createPlugin(wasm, config, options);

function request(
  action: string,
  extra: Record<string, string> = {},
  body?: StreamInput['request']['body'],
): StreamInput {
  return {
    request: {
      headers: {
        ':method': 'POST',
        ':path': '/mcp?x=1',
        ':authority': 'gw.example',
        'x-probe-action': action,
        ...extra,
      },
      body,
    },
  };
}

const header = (pairs: Array<[string, string]> | undefined, name: string) => pairs?.find(([k]) => k === name)?.[1];
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString();
const unhex = (hex: string | undefined) => Uint8Array.from(Buffer.from(hex ?? '', 'hex'));

describe('header status handling', () => {
  it('turns StopIteration into StopAllIterationAndWatermark by default, which also holds back body callbacks', async () => {
    const p = await plugin();
    const r = p.runStream(request('route-by-body', {}, 'payment'));
    expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.StopAllIterationAndWatermark);
    expect(r.requestBodyStatuses).toEqual([]);
    expect(r.stalled).toBe('request');
    expect(r.forwarded).toBeUndefined();
  });

  it('keeps StopIteration with allow_on_headers_stop_iteration, so body-time header changes reach routing', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true });
    const r = p.runStream(request('route-by-body', {}, ['pay', 'ment']));
    expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.StopIteration);
    expect(r.requestBodyStatuses).toEqual([FilterDataStatus.StopIterationAndBuffer, FilterDataStatus.Continue]);
    expect(header(r.forwarded?.headers, 'x-probe-service')).toBe('payment');
    expect(header(r.forwarded?.headers, 'x-probe-body-size')).toBe('7');
    expect(text(r.forwarded?.body)).toBe('PAYMENT');
    expect(r.response?.status).toBe(200);
    expect(header(r.response?.headers, 'x-probe-response')).toBe('seen');
  });

  it('lets go of the request headers once they continued, so a body callback cannot change the route', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true });
    const r = p.runStream(request('body', {}, 'payment'));
    expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.Continue);
    expect(header(r.forwarded?.headers, 'x-probe-service')).toBeUndefined();
    expect(p.logs.map((l) => l.message)).toContain(`header edit refused: ${WasmResult.BadArgument}`);
    expect(text(r.forwarded?.body)).toBe('PAYMENT');
  });

  it('clamps out-of-range answers and passes StopAll through', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true });
    expect(p.runStream(request('huge')).requestHeadersStatus).toBe(FilterHeadersStatus.StopAllIterationAndWatermark);
    expect(p.runStream(request('stop-all')).requestHeadersStatus).toBe(
      FilterHeadersStatus.StopAllIterationAndWatermark,
    );
    expect(p.runStream(request('stop')).requestHeadersStatus).toBe(FilterHeadersStatus.StopIteration);
  });
});

describe('body buffering', () => {
  it('answers 413 like Envoy when a buffering filter holds more than the buffer limit', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true, bufferLimitBytes: 4 });
    const r = p.runStream(request('route-by-body', {}, ['pay', 'ment']));
    expect(r.requestBodyStatuses).toEqual([FilterDataStatus.StopIterationAndBuffer]);
    expect(r.forwarded).toBeUndefined();
    expect(r.localReply).toMatchObject({ status: 413, details: 'request_payload_too_large' });
    expect(text(r.response?.body)).toBe('Payload Too Large');
    const fits = p.runStream(request('route-by-body', {}, ['pa', 'y']));
    expect(header(fits.forwarded?.headers, 'x-probe-service')).toBe('pay');
  });
});

describe('local responses', () => {
  it('forces Stop after send_local_response and returns status, body, headers and details', async () => {
    const p = await plugin();
    const r = p.runStream(request('local', {}, '{"jsonrpc":"2.0"}'));
    expect(r.requestHeadersStatus).toBe(FilterHeadersStatus.StopAllIterationAndWatermark);
    expect(r.forwarded).toBeUndefined();
    expect(r.localReply).toMatchObject({
      status: 403,
      details: 'probe_denied',
      headers: [['x-probe-reason', 'local']],
    });
    expect(text(r.localReply?.body)).toBe('{"error":"denied"}');
    expect(r.response?.status).toBe(403);
    expect(text(r.response?.body)).toBe('{"error":"denied"}');
    expect(header(r.response?.headers, 'x-probe-reason')).toBe('local');
    expect(header(r.response?.headers, 'content-type')).toBe('text/plain');
    expect(header(r.response?.headers, 'content-length')).toBe('18');
    // The reply passes through this filter's response callbacks, as in Envoy.
    expect(header(r.response?.headers, 'x-probe-status')).toBe('403');
  });

  it('forces StopIterationNoBuffer when the reply is sent from a body callback', async () => {
    const p = await plugin({ allowOnHeadersStopIteration: true });
    const r = p.runStream(request('body-local', {}, 'x'));
    expect(r.requestBodyStatuses).toEqual([FilterDataStatus.StopIterationNoBuffer]);
    expect(r.response?.status).toBe(403);
  });
});

describe('encodings', () => {
  const property = async (path: string, options: PluginOptions = {}, extra: Partial<StreamInput> = {}) => {
    const p = await plugin(options);
    const r = p.runStream({ ...request('property', { 'x-probe-path': path }), ...extra });
    const h = r.forwarded?.headers;
    return { code: Number(header(h, 'x-probe-code')), bytes: unhex(header(h, 'x-probe-hex')) };
  };

  it('returns strings as raw bytes, ints as 8-byte little-endian and bools as one byte', async () => {
    const properties = { upstream: { port: 8080, tls: true }, node: { id: 'sidecar~10.0.0.1' } };
    expect(text((await property('request/path')).bytes)).toBe('/mcp?x=1');
    expect(text((await property('request/url_path')).bytes)).toBe('/mcp');
    expect(text((await property('node/id', { properties })).bytes)).toBe('sidecar~10.0.0.1');
    expect(Buffer.from((await property('upstream/port', { properties })).bytes).toString('hex')).toBe(
      '901f000000000000',
    );
    expect([...(await property('upstream/tls', { properties })).bytes]).toEqual([1]);
  });

  it('answers NotFound for an unknown property, as a normal result', async () => {
    expect(await property('no/such/attribute')).toEqual({ code: WasmResult.NotFound, bytes: new Uint8Array() });
  });

  it('walks segments that contain dots, and takes per-stream attributes', async () => {
    const jwt = { metadata: { filter_metadata: { 'envoy.filters.http.jwt_authn': { payload: { sub: 'alice' } } } } };
    const found = await property(
      'metadata/filter_metadata/envoy.filters.http.jwt_authn/payload/sub',
      {},
      { properties: jwt },
    );
    expect(text(found.bytes)).toBe('alice');
    const san = { connection: { uri_san_peer_certificate: 'spiffe://cluster.local/ns/istio-system/sa/gateway' } };
    expect(text((await property('connection/uri_san_peer_certificate', {}, { properties: san })).bytes)).toMatch(
      /^spiffe:/,
    );
  });

  it('serializes map properties as pairs', async () => {
    const pairs = deserializePairs((await property('request/headers')).bytes);
    expect(pairs).toContainEqual([':path', '/mcp?x=1']);
    expect(pairs).toContainEqual(['x-probe-action', 'property']);
  });

  it('round-trips the request header map through get_header_map_pairs and set_header_map_pairs', async () => {
    const p = await plugin();
    const input = request('pairs', { 'x-dup': 'a' });
    const r = p.runStream(input);
    const seen = deserializePairs(unhex(header(r.forwarded?.headers, 'x-probe-hex')));
    expect(seen).toEqual(Object.entries(input.request.headers));
    expect(r.forwarded?.headers.filter(([k]) => k !== 'x-probe-hex')).toEqual(seen);
  });

  it('reads back what proxy_set_property stored', async () => {
    const r = (await plugin()).runStream(request('set-property'));
    expect(header(r.forwarded?.headers, 'x-probe-code')).toBe('0,0');
    expect(header(r.forwarded?.headers, 'x-probe-value')).toBe('remembered');
  });

  it('answers BadArgument for a call to a cluster it does not have, as Envoy does', async () => {
    const r = (await plugin()).runStream(request('http-call'));
    expect(Number(header(r.forwarded?.headers, 'x-probe-code'))).toBe(WasmResult.BadArgument);
  });

  it('answers BadArgument for a call without :path, :method and :authority, even to a known cluster', async () => {
    let called = false;
    const cluster = async () => {
      called = true;
      return { headers: [[':status', '200']] as Array<[string, string]>, body: new Uint8Array(), trailers: [] };
    };
    const r = (await plugin({ clusters: { cluster } })).runStream(request('http-call'));
    expect(Number(header(r.forwarded?.headers, 'x-probe-code'))).toBe(WasmResult.BadArgument);
    expect(called).toBe(false);
  });
});

describe('header edits, log level, clock and queues', () => {
  it('adds and removes headers, reports the map byte size, the log level and the injected clock', async () => {
    const p = await plugin({ logLevel: LogLevel.Warn, now: () => 1_700_000_000_000_000_000n });
    const r = p.runStream({
      request: { headers: { ':path': '/', 'x-probe-action': 'edit-headers', 'x-remove-me': 'y' } },
    });
    const h = r.forwarded?.headers;
    expect(header(h, 'x-added')).toBe('1');
    expect(header(h, 'x-remove-me')).toBeUndefined();
    const size = ':path'.length + 1 + 'x-probe-action'.length + 'edit-headers'.length + 'x-added'.length + 1;
    expect(header(h, 'x-probe-value')).toBe(`${size},${LogLevel.Warn},1700000000000000000`);
  });

  it('counts the host functions a module calls, by name, when asked to', async () => {
    const hostCalls = new Map<string, number>();
    const p = await plugin({ hostCalls });
    hostCalls.clear();
    p.runStream(request('edit-headers'));
    expect(hostCalls.get('proxy_add_header_map_value')).toBe(1);
    expect(hostCalls.get('proxy_remove_header_map_value')).toBe(1);
    expect(hostCalls.get('proxy_increment_metric')).toBe(1);
    // Without the map nothing is counted, and nothing else changes.
    expect((await plugin()).runStream(request('edit-headers')).forwarded).toBeDefined();
  });

  it('delivers enqueued items to the registering root context through proxy_on_queue_ready', async () => {
    const p = await plugin({ workers: 2 });
    const r = p.runStream(request('enqueue', { 'x-probe-value': 'hello' }), 0);
    expect(header(r.forwarded?.headers, 'x-probe-code')).toBe('0,0');
    expect(p.logs.filter((l) => l.message === 'queue: hello')).toHaveLength(1);
  });
});

describe('shared data across worker VMs', () => {
  it('shares values between VMs and rejects a stale CAS with CasMismatch', async () => {
    const p = await plugin({ workers: 2 });
    const call = (worker: number, action: string, extra: Record<string, string>) => {
      const h = p.runStream(request(action, { 'x-probe-key': 'bucket', ...extra }), worker).forwarded?.headers;
      return {
        code: Number(header(h, 'x-probe-code')),
        value: header(h, 'x-probe-value'),
        cas: header(h, 'x-probe-cas'),
      };
    };
    expect(call(0, 'shared-get', {}).code).toBe(WasmResult.NotFound);
    expect(call(0, 'shared-set', { 'x-probe-value': 'one', 'x-probe-cas': '0' }).code).toBe(WasmResult.Ok);
    const read = call(1, 'shared-get', {});
    expect(read).toMatchObject({ code: WasmResult.Ok, value: 'one' });
    expect(call(0, 'shared-set', { 'x-probe-value': 'two', 'x-probe-cas': read.cas! }).code).toBe(WasmResult.Ok);
    expect(call(1, 'shared-set', { 'x-probe-value': 'three', 'x-probe-cas': read.cas! }).code).toBe(
      WasmResult.CasMismatch,
    );
    expect(text(p.sharedData('bucket')?.value)).toBe('two');
    expect(call(1, 'shared-get', {})).toMatchObject({ code: WasmResult.Ok, value: 'two' });
  });
});

describe('metrics, logs and ticks', () => {
  it('exposes defined metrics as wasmcustom.* across workers, and as Prometheus text', async () => {
    const p = await plugin({ workers: 2, allowOnHeadersStopIteration: true });
    p.runStream(request('body', {}, 'abc'));
    p.runStream(request('body', {}, 'abcdefgh'));
    p.runStream(request('none'));
    const m = p.metrics();
    expect(m['wasmcustom.probe_requests_total']).toMatchObject({ type: 'counter', value: 3 });
    expect(m['wasmcustom.probe_last_body_bytes']).toMatchObject({ type: 'gauge', value: 8 });
    expect(m['wasmcustom.probe_body_bytes']).toMatchObject({ type: 'histogram', samples: [3, 8] });
    const text = p.prometheus();
    expect(text).toContain('# TYPE probe_requests_total counter\nprobe_requests_total 3\n');
    expect(text).toContain('probe_body_bytes_count 2');
    expect(text).toContain('probe_body_bytes_bucket{le="5"} 1');
  });

  it('collects logs above the configured level, with on_log after each stream', async () => {
    const p = await plugin({ logLevel: LogLevel.Info });
    const r = p.runStream(request('none'));
    expect(p.logs.map((l) => l.message)).toEqual(['configured: ok', `on_log ${r.contextId} none`]);
    expect(p.logs[1]).toMatchObject({ level: LogLevel.Info, vm: 0, contextId: r.contextId });
  });

  it('fires proxy_on_tick on every VM that set a tick period', async () => {
    const p = await plugin({ workers: 2, logLevel: LogLevel.Debug }, 'tick');
    p.tick();
    p.tick();
    expect(p.metrics()['wasmcustom.probe_ticks_total']?.value).toBe(4);
    expect(p.logs.filter((l) => l.message === 'tick' && l.level === LogLevel.Debug)).toHaveLength(4);
    const quiet = await plugin({}, 'quiet');
    quiet.tick();
    expect(quiet.metrics()['wasmcustom.probe_ticks_total']?.value).toBe(0);
  });
});

describe('configuration updates', () => {
  it('keeps the last good configuration when on_configure returns false', async () => {
    const p = await plugin({ workers: 2 });
    expect(p.configure('bad: not accepted')).toBe(false);
    expect(p.logs.some((l) => l.message === 'rejected config: bad: not accepted')).toBe(true);
    for (const worker of [0, 1]) {
      expect(header(p.runStream(request('config'), worker).forwarded?.headers, 'x-probe-config')).toBe('ok');
    }
    expect(p.configure('second')).toBe(true);
    for (const worker of [0, 1]) {
      expect(header(p.runStream(request('config'), worker).forwarded?.headers, 'x-probe-config')).toBe('second');
    }
  });
});

describe('a trap fails the VM', () => {
  it('fails closed with 503 for this and later streams on that worker, while other workers keep serving', async () => {
    const p = await plugin({ workers: 2 });
    const trapped = p.runStream(request('trap'), 0);
    expect(trapped.vmFailed).toBe(true);
    expect(trapped.forwarded).toBeUndefined();
    expect(trapped.localReply).toMatchObject({ status: 503, details: 'wasm_fail_stream' });
    expect(trapped.response?.status).toBe(503);
    expect(p.failure(0)).toMatch(/proxy_on_request_headers.*unreachable/);
    expect(p.logs.some((l) => l.level === LogLevel.Critical && /unreachable/.test(l.message))).toBe(true);

    const later = p.runStream(request('none'), 0);
    expect(later).toMatchObject({ vmFailed: true, response: { status: 503 } });
    expect(p.runStream(request('none'), 1)).toMatchObject({ vmFailed: false, response: { status: 200 } });
  });

  it('fails open when asked: requests pass untouched and no callback runs', async () => {
    const p = await plugin({ failStrategy: 'FAIL_OPEN' });
    const trapped = p.runStream(request('trap'));
    expect(trapped).toMatchObject({ vmFailed: true, response: { status: 200 } });
    expect(trapped.forwarded).toBeDefined();
    const later = p.runStream(request('property', { 'x-probe-path': 'request/path' }));
    expect(later.vmFailed).toBe(true);
    expect(header(later.forwarded?.headers, 'x-probe-code')).toBeUndefined();
    expect(header(later.response?.headers, 'x-probe-response')).toBeUndefined();
  });
});
