// Filter size and speed: the release meshmcp.wasm through the proxy-wasm host (filter/host), per whole stream,
// against the same host running a pass-through module (bench/passthroughModule.ts) to show what the host costs;
// and how long a configuration with the largest routing table the schema allows takes to load.
import { readFileSync, statSync } from 'node:fs';
import {
  createPlugin,
  type Plugin,
  Profile,
  type PropertyMap,
  readingCosts,
  type StreamInput,
  type StreamResult,
  withoutReadings,
} from '../filter/host/index.js';
import { BEFORE_UPSTREAMS, baselineWasm } from './filterBaseline.js';
import { passthroughModule } from './passthroughModule.js';
import { type Figures, round } from './results.js';

const WARMUP = 2000;
const CALLS = 20_000;
const BODY_BYTES = 1024;

/** A tools/call whose arguments are padded so the whole JSON body is exactly BODY_BYTES long. */
export function toolsCallBody(name: string, bytes = BODY_BYTES): string {
  const make = (pad: string) =>
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { pad } } });
  const body = make('x'.repeat(Math.max(0, bytes - make('').length)));
  if (Buffer.byteLength(body) !== bytes) throw new Error(`tools/call body is ${body.length} bytes, not ${bytes}`);
  return body;
}

/** What the gateway adds to a body without a trace: `"_meta":{"traceparent":"00-…-…-01"},`. */
const TRACE_BYTES = `"_meta":{"traceparent":"00-${'0'.repeat(32)}-${'0'.repeat(16)}-01"},`.length;

const upstreamBody = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}';
const upstreamAnswer = {
  headers: {
    ':status': '200',
    'content-type': 'application/json',
    'content-length': String(upstreamBody.length),
  },
  body: upstreamBody,
};

function input(body: string, headers: Record<string, string>, properties: PropertyMap = {}): StreamInput {
  return {
    request: {
      headers: {
        ':method': 'POST',
        ':path': '/mcp',
        ':authority': 'mcp.example.com',
        ':scheme': 'https',
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        accept: 'application/json, text/event-stream',
        // Envoy's own request ids are random UUIDs.
        'x-request-id': '7f3c2a9e-1b4d-4c8e-9a0f-2d6b8e1c5a37',
        ...headers,
      },
      body,
    },
    properties,
    upstream: () => upstreamAnswer,
  };
}

/** JWT claims as Envoy's jwt_authn leaves them in dynamic metadata (payload_in_metadata "payload"). */
const jwt = (claims: PropertyMap): PropertyMap => ({
  metadata: { filter_metadata: { 'envoy.filters.http.jwt_authn': { payload: claims } } },
});

/** sam in group sre: the gateway example's sre-all rule allows every tool. */
const allowed = input(toolsCallBody('payment-service__get_health'), {}, jwt({ sub: 'sam', groups: ['sre'] }));

/** A ~256 KiB tool result in 16 KiB chunks, as a sidecar streams a large answer: what the response scan reads. */
const BIG_CHUNK = 16 * 1024;
function bigAnswer(): { headers: Record<string, string>; body: string[]; bytes: number } {
  // Escaped quotes, backslashes and newlines, as real text carries: the scan steps over each escape.
  const text = 'GET /api "quoted" \\ path answered 200\n'.repeat(6000);
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }], isError: false } });
  const chunks: string[] = [];
  for (let i = 0; i < body.length; i += BIG_CHUNK) chunks.push(body.slice(i, i + BIG_CHUNK));
  return { headers: { ':status': '200', 'content-type': 'application/json' }, body: chunks, bytes: body.length };
}
const big = bigAnswer();
const allowedBig: StreamInput = { ...allowed, upstream: () => ({ headers: big.headers, body: big.body }) };
/** The configuration with the audit's params written as given (redact, hash or full). */
function withAuditParams(example: string, params: string): string {
  const doc = JSON.parse(example) as { audit?: Record<string, unknown> };
  return JSON.stringify({ ...doc, audit: { ...doc.audit, params } });
}

/** An MCP server of its own in the table: its tool name loses the prefix on /mcp; `stateless` also bridges. */
function withUpstreams(example: string): string {
  const doc = JSON.parse(example) as { services: Array<Record<string, unknown>> };
  const entry = (name: string, upstream: Record<string, unknown>) => ({
    name,
    namespace: 'tools',
    host: `${name}-mcp.tools.svc.cluster.local`,
    port: 3001,
    tools: ['get_health'],
    upstream,
  });
  doc.services.push(entry('everything', { path: '/' }), entry('weather', { path: '/mcp', stateless: true }));
  return JSON.stringify(doc);
}
const sam = jwt({ sub: 'sam', groups: ['sre'] });
/** A tools/call on /mcp to a server of its own: the name rewritten in the body, Content-Length and :path set. */
const toUpstream = input(toolsCallBody('everything__get_health'), {}, sam);
/** The same to a 2026-07-28 server from a 2025-11-25 client: also the _meta members and that revision's headers. */
const bridged = input(toolsCallBody('weather__get_health'), { 'mcp-protocol-version': '2025-11-25' }, sam);
/** /mcp/<service>: the server's own name, the body untouched. */
const direct = input(toolsCallBody('get_health'), { ':path': '/mcp/everything' }, sam);

/** The API key caller ci-bot (sre-readonly) may not see user-service__query_users: an unknown tool, locally. */
const denied = input(toolsCallBody('user-service__query_users'), { 'x-api-key': 'test' });
/** No credential at all: 401 with the protected resource metadata challenge, locally. */
const unauthenticated = input(toolsCallBody('payment-service__get_health'), {});

/** A tools/call of BIG_REQUEST_BYTES (its arguments padded): what scanning a large request body costs. */
const BIG_REQUEST_BYTES = 512 * 1024;
const allowedBigRequest = input(
  toolsCallBody('payment-service__get_health', BIG_REQUEST_BYTES),
  {},
  jwt({ sub: 'sam', groups: ['sre'] }),
);

/**
 * A clock that moves one second per read, so the per-principal token bucket (60, 1/s in the example) refills
 * between calls and stays full: every call still reads, refills and CAS-writes it, but none is rate limited.
 */
function steppingClock(): () => bigint {
  let ns = 1_790_000_000_000_000_000n;
  return () => {
    ns += 1_000_000_000n;
    return ns;
  };
}

async function plugin(wasm: Uint8Array, config: string): Promise<Plugin> {
  return createPlugin(wasm, config, { allowOnHeadersStopIteration: true, now: steppingClock(), logLimit: 1000 });
}

const header = (r: StreamResult, name: string) => r.forwarded?.headers.find(([k]) => k.toLowerCase() === name)?.[1];

/** Throws unless the stream went as the figure claims (checked before and after the timed loop). */
type Check = (r: StreamResult) => string | undefined;

const forwardedTo =
  (service: string | undefined): Check =>
  (r) => {
    if (r.vmFailed || r.localReply || r.stalled || r.reset) return `not forwarded (${r.localReply?.status ?? '-'})`;
    if (r.response?.status !== 200) return `response status ${r.response?.status}`;
    if (service !== undefined && header(r, 'x-meshmcp-service') !== service)
      return `routed to ${header(r, 'x-meshmcp-service')}`;
    const n = r.forwarded?.body.length;
    // The pass-through module forwards the body as it came; the filter adds the trace to params._meta.
    if (n !== BODY_BYTES && n !== BODY_BYTES + TRACE_BYTES) return `forwarded ${n} body bytes`;
    return undefined;
  };

/** Forwarded to service with a body the filter rewrote (a different length than it came with). */
const rewrittenFor =
  (service: string): Check =>
  (r) => {
    if (r.vmFailed || r.localReply || r.stalled || r.reset) return `not forwarded (${r.localReply?.status ?? '-'})`;
    if (header(r, 'x-meshmcp-service') !== service) return `routed to ${header(r, 'x-meshmcp-service')}`;
    if (r.forwarded?.body.length === BODY_BYTES) return 'the body was not rewritten';
    return undefined;
  };

const unauthorized: Check = (r) =>
  r.vmFailed || r.localReply?.status !== 401 ? `not a 401 (${r.localReply?.status ?? 'forwarded'})` : undefined;

/** Whether the big request went to payment-service (its body grew by the trace the gateway adds). */
const bigForwarded: Check = (r) => {
  if (r.vmFailed || r.localReply || r.stalled || r.reset) return `not forwarded (${r.localReply?.status ?? '-'})`;
  const n = r.forwarded?.body.length ?? 0;
  return n === BIG_REQUEST_BYTES || n === BIG_REQUEST_BYTES + TRACE_BYTES ? undefined : `forwarded ${n} body bytes`;
};

/** Host function calls per stream, by name, over `runs` streams (the module's own requests of Envoy). */
async function hostCallsPer(wasm: Uint8Array, config: string, stream: StreamInput, runs = 100) {
  const counts = new Map<string, number>();
  const p = await createPlugin(wasm, config, {
    allowOnHeadersStopIteration: true,
    now: steppingClock(),
    logLimit: 1000,
    hostCalls: counts,
  });
  p.runStream(stream);
  counts.clear();
  for (let i = 0; i < runs; i++) p.runStream(stream);
  p.close();
  const per = [...counts].map(([name, n]) => [name, n / runs] as const).sort((a, b) => b[1] - a[1]);
  return { total: per.reduce((n, [, c]) => n + c, 0), per };
}

const refused: Check = (r) => {
  if (r.vmFailed || !r.localReply) return 'not answered locally';
  const text = Buffer.from(r.response?.body ?? []).toString();
  if (!text.includes('Unknown tool')) return `reply ${r.localReply.status}: ${text.slice(0, 200)}`;
  return undefined;
};

const ROUNDS = 5;

/**
 * Mean microseconds per runStream after WARMUP streams: CALLS streams in ROUNDS timed loops, reporting the best
 * loop's mean, so a burst of other work on the machine does not decide the figure.
 */
function usPerStream(p: Plugin, what: string, stream: StreamInput, check: Check): number {
  const verify = (r: StreamResult) => {
    const problem = check(r);
    if (problem) throw new Error(`bench ${what}: ${problem}`);
  };
  verify(p.runStream(stream));
  for (let i = 0; i < WARMUP; i++) p.runStream(stream);
  let last: StreamResult | undefined;
  let best = Number.POSITIVE_INFINITY;
  const perRound = Math.ceil(CALLS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) last = p.runStream(stream);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / perRound / 1000);
  }
  verify(last!);
  if (p.failure(0)) throw new Error(`bench ${what}: VM failed: ${p.failure(0)}`);
  return best;
}

/**
 * Two plugins' µs per stream, timed in turns (a round of one, then of the other, ROUNDS * 2 times), each its best
 * round: a side by side in the same machine state, which timing one after the other is not.
 */
function usPerStreamInTurns(a: Plugin, b: Plugin, what: string, stream: StreamInput, check: Check): [number, number] {
  const plugins = [a, b];
  for (const p of plugins) {
    const problem = check(p.runStream(stream));
    if (problem) throw new Error(`bench ${what}: ${problem}`);
    for (let i = 0; i < WARMUP * 5; i++) p.runStream(stream);
  }
  const best = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  const perRound = Math.ceil(CALLS / ROUNDS);
  for (let round = 0; round < ROUNDS * 2; round++) {
    plugins.forEach((p, i) => {
      const t0 = process.hrtime.bigint();
      for (let n = 0; n < perRound; n++) p.runStream(stream);
      best[i] = Math.min(best[i]!, Number(process.hrtime.bigint() - t0) / perRound / 1000);
    });
  }
  for (const p of plugins) if (p.failure(0)) throw new Error(`bench ${what}: VM failed: ${p.failure(0)}`);
  return [best[0]!, best[1]!];
}

/** Rounds of the release and the profile build in turn (more than ROUNDS: each sees the machine's quiet moments). */
const PROFILE_ROUNDS = 10;

/** Microseconds per stream by bucket (the sections of filter/assembly/profile.ts, `host calls`, `outside`). */
interface Sections {
  us: Record<string, number>;
  /** The release build's µs per stream, measured in the same rounds: what the buckets add up to. */
  releaseUs: number;
  /** The profile build's own µs per stream, marks and readings included, and with them taken out. */
  profiledUs: number;
  correctedUs: number;
  /** What one mark and one host-side reading cost, in µs (taken out of `us` per reading, see readingCosts). */
  markUs: number;
  readingUs: number;
  /** The `host calls` bucket by host function, µs per stream. */
  hostUs: Record<string, number>;
  /** Sections entered per stream, by name. */
  entered: Record<string, number>;
  /** Callbacks per stream that returned with a section still open. */
  unbalanced: number;
}

/**
 * Where one stream's time goes. Two plugins run the stream in turns, each timed like usPerStream (best of
 * PROFILE_ROUNDS): the release build, and the profile build (filter/build/meshmcp.profile.wasm: the same sources with
 * section marks compiled in) with every callback, host function and section on one timeline (filter/host/profile.ts).
 * What a mark and a host-side reading cost is measured on its own (readingCosts) and taken out per reading; each
 * bucket's share of what is left, times the release build's time, is the bucket's figure (the two builds' best rounds
 * come from different moments of a busy machine, so their times differ by more than the smallest sections).
 */
async function sectionsPerStream(
  release: Uint8Array,
  profileBuild: Uint8Array,
  config: string,
  what: string,
  stream: StreamInput,
  check: Check,
): Promise<Sections> {
  const timeline = new Profile();
  const options = { allowOnHeadersStopIteration: true, logLimit: 1000 };
  const plugins = [
    await createPlugin(release, config, { ...options, now: steppingClock() }),
    await createPlugin(profileBuild, config, { ...options, now: steppingClock(), profile: timeline }),
  ];
  const verify = (r: StreamResult) => {
    const problem = check(r);
    if (problem) throw new Error(`bench ${what} (profile): ${problem}`);
  };
  for (const p of plugins) {
    verify(p.runStream(stream));
    for (let i = 0; i < WARMUP; i++) p.runStream(stream);
  }
  const perRound = Math.ceil(CALLS / PROFILE_ROUNDS);
  let releaseUs = Number.POSITIVE_INFINITY;
  let profiled = { us: Number.POSITIVE_INFINITY, totals: timeline.totals() };
  for (let round = 0; round < PROFILE_ROUNDS; round++) {
    releaseUs = Math.min(releaseUs, usPerRound(plugins[0]!, stream, perRound));
    timeline.reset();
    const us = usPerRound(plugins[1]!, stream, perRound);
    if (us < profiled.us) profiled = { us, totals: timeline.totals() };
  }
  for (const p of plugins) {
    verify(p.runStream(stream));
    if (p.failure(0)) throw new Error(`bench ${what} (profile): VM failed: ${p.failure(0)}`);
    p.close();
  }
  const costs = readingCosts();
  const t = withoutReadings(profiled.totals, costs.markMs, costs.hostMs);
  const correctedUs = (Object.values(t.ms).reduce((n, ms) => n + ms, 0) * 1000) / perRound;
  // Each bucket's share of the profile build's time, readings taken out, of the release build's time.
  const scale = releaseUs / correctedUs;
  const perStream = (ms: number) => ((ms * 1000) / perRound) * scale;
  return {
    us: Object.fromEntries(Object.entries(t.ms).map(([k, ms]) => [k, perStream(ms)])),
    releaseUs,
    profiledUs: profiled.us,
    correctedUs,
    markUs: costs.markMs * 1000,
    readingUs: costs.hostMs * 1000,
    hostUs: Object.fromEntries(Object.entries(t.hostFunctions).map(([k, f]) => [k, perStream(f.ms)])),
    entered: Object.fromEntries(Object.entries(t.entered).map(([k, n]) => [k, n / perRound])),
    unbalanced: t.unbalanced / perRound,
  };
}

function usPerRound(p: Plugin, stream: StreamInput, streams: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < streams; i++) p.runStream(stream);
  return Number(process.hrtime.bigint() - t0) / streams / 1000;
}

/** The wasm sections' figures: each bucket but `other`, which is the measured total less all the rest. */
const SECTION_FIGURES: Array<[bucket: string, figure: string]> = [
  ['scan', 'scan'],
  ['identity', 'identity'],
  ['policy', 'policy'],
  ['rate limit', 'rate_limit'],
  ['headers', 'headers'],
  ['route', 'route'],
  ['metrics', 'metrics'],
  ['audit', 'audit'],
  ['reply', 'reply'],
  ['gc', 'gc'],
  ['host calls', 'host_calls'],
  ['outside', 'host_stream'],
];

/** The split of the release build's per-stream time, `other` (the module outside every section) last. */
function split(sections: Sections): Array<[figure: string, us: number]> {
  // A section the stream never entered (no reply for an allowed call) has no figure.
  const named = SECTION_FIGURES.filter(([bucket]) => (sections.entered[bucket] ?? 1) > 0).map(
    ([bucket, figure]) => [figure, sections.us[bucket] ?? 0] as [string, number],
  );
  const other = sections.releaseUs - named.reduce((n, [, us]) => n + us, 0);
  return [...named, ['other', other]];
}

function printSplit(what: string, sections: Sections): void {
  const parts = split(sections)
    .map(([figure, us]) => `${figure} ${round(us)}`)
    .join(', ');
  const host = Object.entries(sections.hostUs)
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => `${name.replace(/^proxy_/, '')} ${round(us)}`)
    .join(', ');
  process.stdout.write(
    `bench: filter: µs per ${what}: ${round(sections.releaseUs)} = ${parts}` +
      ` (profile build ${round(sections.profiledUs)} µs, ${round(sections.correctedUs)} µs without its readings` +
      ` at ${round(sections.markUs * 1000, 0)} ns a mark and ${round(sections.readingUs * 1000, 0)} ns a host-side` +
      ` reading; its shares of the release build's time)\n` +
      `bench: filter: host calls' µs per ${what}: ${host}\n`,
  );
}

/** The largest routing table filter/config.schema.json allows: 4096 services of 20 tools each. */
const MAX_SERVICES = 4096;

function largestConfig(example: string): string {
  const doc = JSON.parse(example) as Record<string, unknown>;
  doc['services'] = Array.from({ length: MAX_SERVICES }, (_, i) => ({
    name: `service-${i}`,
    namespace: 'production',
    host: `service-${i}-mcp.production.svc.cluster.local`,
    port: 3000,
    tools: Array.from({ length: 20 }, (_, t) => `tool_${t}`),
  }));
  return JSON.stringify(doc);
}

/**
 * Milliseconds for plugin.configure() with the largest routing table, the best of ROUNDS: a canary VM parses and
 * validates it in on_configure, then the one worker does (as Envoy checks a new configuration before it swaps).
 */
function msToConfigure(p: Plugin, config: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    const accepted = p.configure(config);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    if (!accepted) throw new Error(`bench configure: the largest routing table was refused: ${p.logs.at(-1)?.message}`);
  }
  return best;
}

export async function benchFilter(root: string): Promise<Figures> {
  const wasmPath = `${root}filter/build/meshmcp.wasm`;
  const wasm = readFileSync(wasmPath);
  const config = readFileSync(`${root}filter/examples/gateway.json`, 'utf8');

  const host = await plugin(passthroughModule(), config);
  const hostUs = usPerStream(host, 'pass-through', allowed, forwardedTo(undefined));
  const hostBigUs = usPerStream(host, 'pass-through, 256 KiB answer', allowedBig, forwardedTo(undefined));
  const hostBigRequestUs = usPerStream(host, 'pass-through, 512 KiB request', allowedBigRequest, bigForwarded);
  host.close();

  const filter = await plugin(wasm, config);
  const allowedUs = usPerStream(filter, 'allowed tools/call', allowed, forwardedTo('payment-service'));
  const allowedBigUs = usPerStream(filter, 'allowed, 256 KiB answer', allowedBig, forwardedTo('payment-service'));
  // What reading the larger answer costs the filter beyond the host's own cost of passing it.
  const scanUs = allowedBigUs - allowedUs - (hostBigUs - hostUs);
  const deniedUs = usPerStream(filter, 'denied tools/call', denied, refused);
  const unauthenticatedUs = usPerStream(filter, 'unauthenticated tools/call', unauthenticated, unauthorized);
  const allowedBigRequestUs = usPerStream(filter, 'allowed, 512 KiB request', allowedBigRequest, bigForwarded);
  // What reading the larger request costs the filter beyond the host's own cost of passing it.
  const requestScanUs = allowedBigRequestUs - allowedUs - (hostBigRequestUs - hostUs);
  const configureMs = msToConfigure(filter, largestConfig(config));
  filter.close();

  // The same, with the audit writing the params' size instead of their SHA-256 (audit.params: redact): the scan
  // alone, without the hash the example's audit.params: hash asks of every byte.
  const redacting = await plugin(wasm, withAuditParams(config, 'redact'));
  const redactUs = usPerStream(
    redacting,
    'allowed tools/call, params redacted',
    allowed,
    forwardedTo('payment-service'),
  );
  const redactBigRequestUs = usPerStream(
    redacting,
    'allowed, 512 KiB request, params redacted',
    allowedBigRequest,
    bigForwarded,
  );
  const requestScanRedactUs = redactBigRequestUs - redactUs - (hostBigRequestUs - hostUs);
  redacting.close();

  const upstreams = await plugin(wasm, withUpstreams(config));
  const upstreamUs = usPerStream(
    upstreams,
    'tools/call to a server of its own',
    toUpstream,
    rewrittenFor('everything'),
  );
  const bridgedUs = usPerStream(upstreams, 'bridged tools/call', bridged, rewrittenFor('weather'));
  const directUs = usPerStream(upstreams, 'tools/call on /mcp/<service>', direct, forwardedTo('everything'));
  upstreams.close();

  // What the module asks of the host per request, by host function: the calls Envoy would answer.
  const calls = {
    allowed: await hostCallsPer(wasm, config, allowed),
    denied: await hostCallsPer(wasm, config, denied),
    unauthenticated: await hostCallsPer(wasm, config, unauthenticated),
  };
  for (const [what, c] of Object.entries(calls)) {
    const list = c.per.map(([name, n]) => `${name.replace(/^proxy_/, '')} ${n}`).join(', ');
    process.stdout.write(`bench: filter: host calls per ${what} call: ${c.total} (${list})\n`);
  }

  // Where the time of each goes, by section of the filter's own work (the profile build), host calls and the rest.
  const profileWasm = readFileSync(`${root}filter/build/meshmcp.profile.wasm`);
  const sections = await sectionsPerStream(
    wasm,
    profileWasm,
    config,
    'allowed',
    allowed,
    forwardedTo('payment-service'),
  );
  printSplit('allowed tools/call', sections);
  printSplit('denied tools/call', await sectionsPerStream(wasm, profileWasm, config, 'denied', denied, refused));
  printSplit(
    'unauthenticated call',
    await sectionsPerStream(wasm, profileWasm, config, 'unauthenticated', unauthenticated, unauthorized),
  );
  if (sections.unbalanced > 0) throw new Error('bench filter: the profile build left a section open');
  const sectionFigures: Figures = {
    filter_section_us_total: { value: round(sections.releaseUs), unit: 'µs' },
    ...Object.fromEntries(
      split(sections).map(([figure, us]) => [`filter_section_us_${figure}`, { value: round(us), unit: 'µs' }]),
    ),
  };

  // The module from before this work, timed now, beside the current one: same host, same machine state.
  const before = baselineWasm(root, BEFORE_UPSTREAMS);
  let inTurns: [number, number] | undefined;
  if (typeof before === 'string') process.stderr.write(`bench filter: ${before}; no side-by-side figure\n`);
  else {
    const now = await plugin(wasm, config);
    const old = await plugin(before, config);
    inTurns = usPerStreamInTurns(
      now,
      old,
      `allowed tools/call, this module and the module at ${BEFORE_UPSTREAMS} in turns`,
      allowed,
      forwardedTo('payment-service'),
    );
    now.close();
    old.close();
  }

  return {
    filter_wasm_bytes: { value: statSync(wasmPath).size, unit: 'bytes', goal: '<= 65536' },
    filter_us_per_tools_call: { value: round(allowedUs), unit: 'µs', goal: '<= 10' },
    filter_us_per_denied_call: { value: round(deniedUs), unit: 'µs', goal: '<= 10' },
    filter_us_per_unauthenticated_call: { value: round(unauthenticatedUs), unit: 'µs' },
    filter_host_calls_per_tools_call: { value: calls.allowed.total, unit: 'calls' },
    filter_host_calls_per_denied_call: { value: calls.denied.total, unit: 'calls' },
    filter_host_calls_per_unauthenticated_call: { value: calls.unauthenticated.total, unit: 'calls' },
    filter_request_scan_mb_per_s: {
      value: round((BIG_REQUEST_BYTES - BODY_BYTES) / requestScanUs, 0),
      unit: 'MB/s',
      goal: '>= 500',
    },
    filter_request_scan_mb_per_s_params_redacted: {
      value: round((BIG_REQUEST_BYTES - BODY_BYTES) / requestScanRedactUs, 0),
      unit: 'MB/s',
      goal: '>= 500',
    },
    filter_us_per_tools_call_params_redacted: { value: round(redactUs), unit: 'µs' },
    host_overhead_us: { value: round(hostUs), unit: 'µs' },
    filter_us_per_tools_call_net: { value: round(allowedUs - hostUs), unit: 'µs' },
    ...sectionFigures,
    filter_us_per_tools_call_256k_answer: { value: round(allowedBigUs), unit: 'µs' },
    host_overhead_us_256k_answer: { value: round(hostBigUs), unit: 'µs' },
    filter_response_scan_mb_per_s: { value: round(big.bytes / scanUs, 0), unit: 'MB/s' },
    [`filter_configure_ms_${MAX_SERVICES}_services`]: { value: round(configureMs, 1), unit: 'ms' },
    filter_us_per_upstream_call: { value: round(upstreamUs), unit: 'µs' },
    filter_us_per_bridged_call: { value: round(bridgedUs), unit: 'µs' },
    filter_us_per_direct_call: { value: round(directUs), unit: 'µs' },
    ...(inTurns === undefined
      ? {}
      : {
          filter_us_per_tools_call_in_turns: { value: round(inTurns[0]), unit: 'µs' },
          [`filter_us_per_tools_call_module_${BEFORE_UPSTREAMS}`]: {
            value: round(inTurns[1]),
            unit: 'µs',
            goal: '>= filter_us_per_tools_call_in_turns (no dearer than before)',
          },
        }),
  };
}
