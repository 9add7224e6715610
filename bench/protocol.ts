// The MCP protocol through the whole local mesh (`meshmcp dev`, each part its own process): what an open stream or
// session costs in memory, and what the lists cost through the gateway.
//
// - Open streams: STREAMS 2025-11-25 GET streams (`Accept: text/event-stream`, the API key) on the aggregated /mcp,
//   each on its own connection, held past the control service's 15 s SSE keepalive; then as many sessions on
//   /mcp/conformance, each initialized (initialize, notifications/initialized) and with its GET stream open.
//   Reported: each holding process's RSS growth per stream, (RSS with them open − RSS before) / count, in KiB. Every
//   stream is counted open before the reading: by the control service's mcp_gateway_control_listen_streams, and by
//   each answer's 200, text/event-stream and, for a session, its own Mcp-Session-Id. A stream that closes while
//   held fails the run. Afterwards the streams are closed (the control service's count back to 0) and the sessions
//   deleted. Each case starts with WARMUP_STREAMS opened and closed, and each reading waits for the processes' RSS to
//   hold still (settledRss): V8 shrinks an idle heap only seconds after a busy step, and a reading before that would
//   count garbage. The figures stay approximate (a GC can still move a process by megabytes).
// - The streams are all requested first (OPEN_CONCURRENCY connections being set up at once), and counted open when
//   every one has its headers: a server may send an event stream's headers only with its first bytes.
// - Lists: tools/list, prompts/list and resources/list on the aggregated /mcp (answered by the control service from
//   the catalog, per caller; the gateway routes by body) and on /mcp/conformance (the gateway sends a server's own
//   endpoint's lists to the control service too: that server's part of the catalog, in its own terms; the calls are
//   made in a 2025-11-25 session opened with the server once). Beside them, server-everything's echo (a server that
//   keeps sessions) on /mcp, where its pod's proxy opens and ends a session per call, and on /mcp/everything in a
//   session held once: what a session per call costs. Raw keep-alive node:http POSTs in the 2025-11-25 form, one at a
//   time, the eight interleaved so that they see the same machine: WARMUP_CALLS, then LIST_CALLS timed requests each. The clock
//   stops when the whole answer has been read; any non-200 answer or an answer without a result (a JSON-RPC error)
//   fails the run. They run last: their garbage would otherwise be in the memory readings. The share of those list
//   requests the control service answered from its per-caller view cache is read from its /metrics.
// - The view cache: tools/list posted to the control service itself, as the gateway forwards a caller
//   (x-meshmcp-principal), VIEW_CALLS times as a caller it has not seen (its view is computed: a miss) and as one
//   caller it has (a hit), interleaved; each answer is checked to hold the caller's tools.
// - File descriptors: each held stream takes one descriptor in this process, two in the gateway front (client and
//   upstream side), one in the control service, or two in the conformance pod proxy and one in the server. When a
//   process's open-file limit cannot hold STREAMS, the suite holds fewer and says so (raise `ulimit -n`).
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_KEY, type Mesh, startMesh } from './e2e.js';
import { retainedMiB } from './inspector.js';
import { type McpAnswer, postAnswer } from './mcpPost.js';
import { type Settle, settledMemory } from './proc.js';
import { type Figures, percentile, round } from './results.js';

const LIST_CALLS = 1000;
const VIEW_CALLS = 300;
const WARMUP_CALLS = 200;
const STREAMS = 1000;
/** Streams or sessions being opened at once. */
const OPEN_CONCURRENCY = 32;
/** How long the streams stay open before memory is read: past the control service's 15 s keepalive comment. */
const HOLD_MS = 20_000;
/** A memory reading waits for the processes to hold still (settledRss). */
const SETTLE: Settle = { pollMs: 1000, stillMs: 12_000, stepMiB: 0.5, maxMs: 90_000 };
/** Streams (or sessions) opened and closed before the first memory reading, so that code and pools are warm. */
const WARMUP_STREAMS = 32;
const COUNT_WAIT_MS = 15_000;
/** Descriptors a process keeps besides the streams (listeners, logs, its other connections). */
const FD_RESERVE = 128;
const REVISION = '2025-11-25';
const LISTS = ['tools/list', 'prompts/list', 'resources/list'] as const;
const HOST = '127.0.0.1';
const CONFORMANCE_PATH = '/mcp/conformance';
const EVERYTHING_PATH = '/mcp/everything';

const progress = (msg: string) => process.stdout.write(`bench: protocol: ${msg}\n`);

interface Rpc {
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

/** One POST, resolved with the whole answer and the round trip in ms (until its last byte has been read). */
function post(
  agent: http.Agent,
  port: number,
  path: string,
  headers: http.OutgoingHttpHeaders,
  payload: string,
): Promise<McpAnswer> {
  return postAnswer(
    { module: http, options: { host: HOST, port, agent, headers } },
    path,
    payload,
    'application/json, text/event-stream',
  );
}

/** The JSON-RPC message answering `id`, from a JSON body or an SSE stream's data lines. */
function answerTo(a: McpAnswer, id: number): Rpc | undefined {
  const sse = String(a.headers['content-type'] ?? '').includes('text/event-stream');
  const messages = sse
    ? a.text
        .split('\n')
        // A server may prime a stream with an event whose data is empty (an id to resume from).
        .filter((l) => l.startsWith('data:') && l.slice(5).trim() !== '')
        .map((l) => JSON.parse(l.slice(5)) as Rpc)
    : [JSON.parse(a.text) as Rpc];
  return messages.find((m) => m.id === id);
}

/** The answer, if it is a 200 carrying a result for request `id`; the run fails otherwise. */
function accepted(a: McpAnswer, id: number, what: string): McpAnswer {
  const rpc = a.status === 200 ? answerTo(a, id) : undefined;
  if (rpc === undefined || rpc.error !== undefined || rpc.result === undefined) {
    throw new Error(`${what}: unexpected answer ${a.status}: ${a.text.slice(0, 300)}`);
  }
  return a;
}

const request = (id: number, method: string, params: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });

const INITIALIZE = (id: number) =>
  request(id, 'initialize', {
    protocolVersion: REVISION,
    capabilities: {},
    clientInfo: { name: 'meshmcp-bench', version: '1.0.0' },
  });
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

/** A 2025-11-25 session on /mcp/conformance through the gateway: its Mcp-Session-Id. */
async function openSession(
  agent: http.Agent,
  port: number,
  auth: http.OutgoingHttpHeaders,
  id: number,
  path = CONFORMANCE_PATH,
) {
  const init = accepted(await post(agent, port, path, auth, INITIALIZE(id)), id, 'initialize');
  const session = init.headers['mcp-session-id'];
  if (typeof session !== 'string' || session === '') throw new Error('initialize: no Mcp-Session-Id in the answer');
  const headers = { ...auth, 'mcp-session-id': session };
  const done = await post(agent, port, path, headers, INITIALIZED);
  if (done.status !== 202) throw new Error(`notifications/initialized: unexpected answer ${done.status}: ${done.text}`);
  return session;
}

interface Held {
  req: http.ClientRequest;
  res?: http.IncomingMessage;
  closed: boolean;
  session?: string;
}

interface Opening {
  held: Held;
  /** The request has been written to its connection. */
  sent: Promise<void>;
  /** Its 200 text/event-stream response headers have arrived. */
  open: Promise<Held>;
}

/**
 * A GET stream on its own connection. The caller paces the connections on `sent` and counts the stream open on
 * `open`: a server may send the headers only with the stream's first bytes (see the header of this file).
 */
function openStream(port: number, path: string, headers: http.OutgoingHttpHeaders): Opening {
  let sent!: () => void;
  let failed!: (err: Error) => void;
  const sentPromise = new Promise<void>((resolve, reject) => {
    sent = resolve;
    failed = reject;
  });
  const req = http.request({
    host: HOST,
    port,
    path,
    method: 'GET',
    agent: false,
    headers: { ...headers, accept: 'text/event-stream' },
  });
  const held: Held = { req, closed: false };
  const open = new Promise<Held>((resolve, reject) => {
    req.on('response', (res) => {
      res.on('error', () => {});
      const sse = String(res.headers['content-type'] ?? '').includes('text/event-stream');
      if (res.statusCode !== 200 || !sse) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => reject(new Error(`GET ${path}: unexpected answer ${res.statusCode}: ${text}`)));
        return;
      }
      held.res = res;
      // Keepalive comments and any notification are read and dropped.
      res.resume();
      res.on('close', () => {
        held.closed = true;
      });
      resolve(held);
    });
    req.on('error', (err) => {
      failed(err);
      reject(err);
    });
  });
  // A failure before the headers also rejects `sent`; one after is seen as a closed stream.
  open.catch(() => {});
  req.on('finish', () => sent());
  req.end();
  return { held, sent: sentPromise, open };
}

/**
 * Opens `n` GET streams into `held`, OPEN_CONCURRENCY connections being set up at once, then waits for every
 * stream's headers. `headersFor(i)` may first open the session the stream belongs to.
 */
async function openStreams(
  n: number,
  held: Held[],
  port: number,
  path: string,
  headersFor: (i: number) => Promise<{ headers: http.OutgoingHttpHeaders; session?: string }>,
): Promise<void> {
  const opening: Promise<Held>[] = [];
  await pool(n, OPEN_CONCURRENCY, async (i) => {
    const { headers, session } = await headersFor(i);
    const o = openStream(port, path, headers);
    if (session !== undefined) o.held.session = session;
    held.push(o.held);
    opening.push(o.open);
    await o.sent;
  });
  await Promise.all(opening);
}

/** Runs task(0..n-1) with at most `concurrency` in flight; the first failure fails the whole. */
async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

/** A process's soft limit on open files (Infinity when unlimited). */
function fileLimit(pid: number | 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

const openFiles = (pid: number | 'self'): number => readdirSync(`/proc/${pid}/fd`).length;

/**
 * How many streams fit in every process's open-file limit, given the descriptors each takes per stream; fewer than
 * wanted is said in a progress line.
 */
function streamsThatFit(what: string, wanted: number, perStream: Record<string, [number | 'self', number]>): number {
  let fit = wanted;
  for (const [name, [pid, per]] of Object.entries(perStream)) {
    const limit = fileLimit(pid);
    const room = Math.floor((limit - openFiles(pid) - FD_RESERVE) / per);
    if (room < fit) {
      progress(
        `${name}'s open-file limit (${limit}) leaves room for ${Math.max(0, room)} ${what}, not ${wanted}: ` +
          `holding ${Math.max(0, room)} (raise ulimit -n for the full count)`,
      );
      fit = room;
    }
  }
  if (fit < 10) throw new Error(`too few file descriptors to hold ${what}: raise ulimit -n`);
  return fit;
}

/** The control service's count of open list_changed streams. */
async function controlStreams(mesh: Mesh): Promise<number> {
  const text = await (await fetch(`http://${HOST}:${mesh.control}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('mcp_gateway_control_listen_streams '));
  if (!line) throw new Error('the control service has no mcp_gateway_control_listen_streams');
  return Number(line.split(' ')[1]);
}

async function waitForControlStreams(mesh: Mesh, want: number, what: string): Promise<void> {
  const deadline = Date.now() + COUNT_WAIT_MS;
  let seen = await controlStreams(mesh);
  while (seen !== want) {
    if (Date.now() > deadline) throw new Error(`${what}: the control service counts ${seen} open streams, not ${want}`);
    await sleep(100);
    seen = await controlStreams(mesh);
  }
}

/** Fails the run if a held stream has closed. */
function stillOpen(held: Held[], what: string): void {
  const closed = held.filter((h) => h.closed).length;
  if (closed > 0) throw new Error(`${what}: ${closed} of ${held.length} streams were closed while held`);
}

function closeAll(held: Held[]): void {
  for (const h of held) h.req.destroy();
}

/** RSS of each named process once they hold still (settledMemory). */
async function settledRss(pids: Record<string, number>, names: string[]): Promise<Record<string, number>> {
  const m = await settledMemory(
    names.map((n) => pids[n]!),
    SETTLE,
  );
  return Object.fromEntries(names.map((n, i) => [n, m[i]!.rss]));
}

const kibPer = (before: number, after: number, n: number) => round(((after - before) * 1024) / n, 2);

const p = (sorted: number[], q: number) => round(percentile(sorted, q), 3);

const figureName = (method: string) => method.replace('/', '_');

/** Ends each session with a DELETE, as a client that is done does. */
async function deleteSessions(
  agent: http.Agent,
  port: number,
  auth: http.OutgoingHttpHeaders,
  ids: string[],
  path = CONFORMANCE_PATH,
) {
  await pool(ids.length, OPEN_CONCURRENCY, async (i) => {
    const headers = { ...auth, 'mcp-session-id': ids[i]! };
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: HOST, port, path, method: 'DELETE', agent, headers }, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode !== undefined && res.statusCode < 300
            ? resolve()
            : reject(new Error(`DELETE ${path}: unexpected answer ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  });
}

const described = (parts: string[], a: Record<string, number>, b: Record<string, number>) =>
  parts.map((n) => `${n} ${round(a[n]!, 1)} → ${round(b[n]!, 1)} MiB`).join(', ');

/** Open GET streams on the aggregated /mcp: the gateway front and the control service hold them. */
async function aggregatedStreams(mesh: Mesh, auth: http.OutgoingHttpHeaders, figures: Figures): Promise<void> {
  const n = streamsThatFit('GET streams', STREAMS, {
    'this process': ['self', 1],
    gateway: [mesh.pids['gateway']!, 2],
    'the control service': [mesh.pids['control']!, 1],
  });
  const atStart = await controlStreams(mesh);
  if (atStart !== 0) throw new Error(`the control service already counts ${atStart} open streams`);
  const held: Held[] = [];
  const parts = ['control', 'gateway'];
  try {
    const open = (count: number) => openStreams(count, held, mesh.gateway, '/mcp', async () => ({ headers: auth }));
    await open(WARMUP_STREAMS);
    await waitForControlStreams(mesh, WARMUP_STREAMS, 'warm-up GET streams on /mcp');
    closeAll(held);
    held.length = 0;
    await waitForControlStreams(mesh, 0, 'warm-up GET streams on /mcp, closed');
    progress('waiting for the processes to settle...');
    const before = await settledRss(mesh.pids, parts);
    const retainedBefore = await retainedMiB(mesh.inspectors['control']!);
    progress(`opening ${n} GET streams on /mcp...`);
    await open(n);
    await waitForControlStreams(mesh, n, 'GET streams on /mcp');
    progress(`${n} GET streams open (the control service counts ${n}); holding them ${HOLD_MS / 1000} s...`);
    await sleep(HOLD_MS);
    const after = await settledRss(mesh.pids, parts);
    const retainedAfter = await retainedMiB(mesh.inspectors['control']!);
    stillOpen(held, 'GET streams on /mcp');
    await waitForControlStreams(mesh, n, 'GET streams on /mcp, after the hold');
    progress(`RSS before → with ${n} open: ${described(parts, before, after)}`);
    progress(
      `the control service's heap and buffers after a full collection: ${round(retainedBefore, 1)} → ` +
        `${round(retainedAfter, 1)} MiB`,
    );
    figures['open_streams'] = { value: n, unit: 'streams' };
    figures['control_kib_per_open_stream'] = { value: kibPer(retainedBefore, retainedAfter, n), unit: 'KiB' };
    figures['gateway_kib_per_open_stream'] = { value: kibPer(before['gateway']!, after['gateway']!, n), unit: 'KiB' };
  } finally {
    closeAll(held);
  }
  await waitForControlStreams(mesh, 0, 'GET streams on /mcp, closed');
  progress('all closed (the control service counts 0)');
}

/** Sessions on /mcp/conformance, each with its GET stream: the server, its pod proxy and the gateway hold them. */
async function upstreamSessions(
  mesh: Mesh,
  agent: http.Agent,
  auth: http.OutgoingHttpHeaders,
  figures: Figures,
): Promise<void> {
  const n = streamsThatFit('sessions', STREAMS, {
    'this process': ['self', 1],
    gateway: [mesh.pids['gateway']!, 2],
    'the conformance pod proxy': [mesh.pids['conformance-proxy']!, 2],
    'the conformance server': [mesh.pids['conformance']!, 1],
  });
  const held: Held[] = [];
  const parts = ['conformance', 'conformance-proxy', 'gateway'];
  let nextId = 1_000_000;
  const open = async (count: number) => {
    await openStreams(count, held, mesh.gateway, CONFORMANCE_PATH, async () => {
      const session = await openSession(agent, mesh.gateway, auth, nextId++);
      return { headers: { ...auth, 'mcp-session-id': session }, session };
    });
    for (const h of held) {
      const answered = h.res?.headers['mcp-session-id'];
      if (answered !== h.session) throw new Error(`a GET stream of session ${h.session} answered for ${answered}`);
    }
    if (new Set(held.map((h) => h.session)).size !== held.length) throw new Error('two streams of one session');
    stillOpen(held, `sessions on ${CONFORMANCE_PATH}`);
  };
  const close = async () => {
    closeAll(held);
    const ids = held.map((h) => h.session!);
    held.length = 0;
    await deleteSessions(agent, mesh.gateway, auth, ids);
  };
  try {
    progress(`warm-up: ${WARMUP_STREAMS} sessions...`);
    await open(WARMUP_STREAMS);
    await close();
    progress('waiting for the processes to settle...');
    const before = await settledRss(mesh.pids, parts);
    progress(`opening ${n} sessions on ${CONFORMANCE_PATH} (initialize, initialized, GET stream)...`);
    const t0 = performance.now();
    await open(n);
    progress(
      `${n} sessions open, each with its GET stream (${round((performance.now() - t0) / 1000, 1)} s); ` +
        `holding them ${HOLD_MS / 1000} s...`,
    );
    await sleep(HOLD_MS);
    const after = await settledRss(mesh.pids, parts);
    stillOpen(held, `sessions on ${CONFORMANCE_PATH}`);
    progress(`RSS before → with ${n} open: ${described(parts, before, after)}`);
    figures['open_sessions'] = { value: n, unit: 'sessions' };
    figures['upstream_kib_per_open_session'] = {
      value: kibPer(before['conformance']!, after['conformance']!, n),
      unit: 'KiB',
    };
    figures['upstream_proxy_kib_per_open_session'] = {
      value: kibPer(before['conformance-proxy']!, after['conformance-proxy']!, n),
      unit: 'KiB',
    };
    figures['gateway_kib_per_open_session_stream'] = {
      value: kibPer(before['gateway']!, after['gateway']!, n),
      unit: 'KiB',
    };
    await close();
    progress(`all ${n} streams closed and sessions deleted`);
  } finally {
    closeAll(held);
  }
}

/** The control service's per-caller view lookups so far, by result. */
async function viewLookups(mesh: Mesh): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`http://${HOST}:${mesh.control}/metrics`)).text();
  const count = (result: string) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`mcp_gateway_control_list_view_lookups_total{result="${result}"} `));
    if (!line) throw new Error(`the control service counts no ${result} of its view cache`);
    return Number(line.split(' ')[1]);
  };
  return { hit: count('hit'), miss: count('miss') };
}

/**
 * tools/list on the control service directly, as callers it has never seen (a view computed: a miss) and as one it
 * has (a hit), interleaved so that both see the same machine.
 */
async function viewCache(mesh: Mesh, agent: http.Agent, figures: Figures): Promise<void> {
  // The local mesh's admin group, whose callers may list every tool.
  const as = (principal: string) => ({ 'x-meshmcp-principal': principal, 'x-meshmcp-groups': 'mcp-admin' });
  const list = async (principal: string, id: number) => {
    const what = `tools/list on the control service as ${principal}`;
    const a = accepted(await post(agent, mesh.control, '/mcp', as(principal), request(id, 'tools/list')), id, what);
    if (!a.text.includes('__get_health')) throw new Error(`${what}: no tool listed: ${a.text.slice(0, 300)}`);
    return a.ms;
  };
  progress(`${VIEW_CALLS} tools/list on the control service as new callers and as a known one...`);
  await list('bench-known', 0);
  const miss: number[] = [];
  const hit: number[] = [];
  for (let i = 0; i < VIEW_CALLS; i++) {
    miss.push(await list(`bench-new-${i}`, 2 * i + 1));
    hit.push(await list('bench-known', 2 * i + 2));
  }
  miss.sort((a, b) => a - b);
  hit.sort((a, b) => a - b);
  figures['control_tools_list_view_miss_ms_p50'] = { value: p(miss, 50), unit: 'ms' };
  figures['control_tools_list_view_hit_ms_p50'] = { value: p(hit, 50), unit: 'ms' };
  progress(
    `view computed ${figures['control_tools_list_view_miss_ms_p50']!.value} ms, cached ${figures['control_tools_list_view_hit_ms_p50']!.value} ms (p50)`,
  );
}

/**
 * The three lists on the aggregated /mcp and on /mcp/conformance (in one session), interleaved; and server-everything's
 * echo, a server that keeps sessions, on /mcp (its pod's proxy opens and ends a session for each call) beside the
 * same call on /mcp/everything in a session the client holds.
 */
async function lists(mesh: Mesh, agent: http.Agent, auth: http.OutgoingHttpHeaders, figures: Figures): Promise<void> {
  const session = await openSession(agent, mesh.gateway, auth, 1);
  const direct = { ...auth, 'mcp-session-id': session };
  const everything = await openSession(agent, mesh.gateway, auth, 1, EVERYTHING_PATH);
  const held = { ...auth, 'mcp-session-id': everything };
  const echo = (name: string) => ({ name, arguments: { message: 'bench' } });
  const targets = [
    ...LISTS.map((m) => ({ name: `${figureName(m)}_ms`, method: m, path: '/mcp', headers: auth, params: {} })),
    ...LISTS.map((m) => ({
      name: `direct_${figureName(m)}_ms`,
      method: m,
      path: CONFORMANCE_PATH,
      headers: direct,
      params: {},
    })),
    {
      name: 'call_session_per_call_ms',
      method: 'tools/call',
      path: '/mcp',
      headers: auth,
      params: echo('everything__echo'),
    },
    { name: 'call_held_session_ms', method: 'tools/call', path: EVERYTHING_PATH, headers: held, params: echo('echo') },
  ];
  const times = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const bytes = new Map<string, number>();
  const before = await viewLookups(mesh);
  progress(`${WARMUP_CALLS} warm-up and ${LIST_CALLS} timed requests of each list and call...`);
  for (let i = 0; i < WARMUP_CALLS + LIST_CALLS; i++) {
    for (const t of targets) {
      const id = i + 2;
      const a = accepted(
        await post(agent, mesh.gateway, t.path, t.headers, request(id, t.method, t.params)),
        id,
        `${t.method} on ${t.path}`,
      );
      if (i >= WARMUP_CALLS) times.get(t.name)!.push(a.ms);
      bytes.set(t.name, Buffer.byteLength(a.text));
    }
  }
  await deleteSessions(agent, mesh.gateway, auth, [session]);
  await deleteSessions(agent, mesh.gateway, auth, [everything], EVERYTHING_PATH);
  const after = await viewLookups(mesh);
  for (const t of targets) {
    const sorted = times.get(t.name)!.sort((a, b) => a - b);
    figures[`${t.name}_p50`] = { value: p(sorted, 50), unit: 'ms' };
    figures[`${t.name}_p99`] = { value: p(sorted, 99), unit: 'ms' };
  }
  const hits = after.hit - before.hit;
  figures['control_list_view_cache_hit_ratio'] = {
    value: round((100 * hits) / (hits + after.miss - before.miss), 2),
    unit: '%',
  };
  const line = (t: (typeof targets)[number]) =>
    `${t.method} on ${t.path} ${figures[`${t.name}_p50`]!.value} ms (${bytes.get(t.name)} bytes)`;
  progress(`p50: ${targets.map(line).join(', ')}`);
}

export async function benchProtocol(root: string): Promise<Figures> {
  progress('starting the local mesh...');
  const t0 = performance.now();
  // The control service's inspector: what it retains per open stream is read after a full collection (inspector.ts).
  const mesh = await startMesh(root, ['control']);
  progress(`mesh up in ${round((performance.now() - t0) / 1000, 1)} s`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: OPEN_CONCURRENCY });
  const auth = { 'x-api-key': ADMIN_KEY, 'mcp-protocol-version': REVISION };
  const figures: Figures = {};
  try {
    // Memory first, while the processes have served little else; the lists' load would leave garbage to settle.
    await aggregatedStreams(mesh, auth, figures);
    await upstreamSessions(mesh, agent, auth, figures);
    await lists(mesh, agent, auth, figures);
    await viewCache(mesh, agent, figures);
    // The lists first in the table, as the suite's header describes them.
    const order = (k: string) => (k.includes('_list_') ? 0 : 1);
    return Object.fromEntries(Object.entries(figures).sort(([a], [b]) => order(a) - order(b)));
  } finally {
    agent.destroy();
    await mesh.stop();
  }
}
