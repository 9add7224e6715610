// The sidecar's bridge mode (`--bridge`): the bundle with its shipped Node flags, each case its own child process in
// front of an SDK v2 server of one revision (bench/bridgeUpstreams.ts, in this process), all on loopback, port 0.
//
// - Idle: a bridge in front of a 2025-11-25 server, after one exchange, once its RSS holds still.
// - input_required: a 2026-07-28 client (raw fetch, the `_meta` envelope) calls the 2025-11-25 server's ask_name,
//   which asks one elicitation: the first request (answered input_required with a requestState) plus the retry with
//   the answer (answered with the result), one exchange at a time; WARMUP_ROUNDS, then ROUNDS timed.
// - Held stream: a 2025-era client (raw fetch, no envelope, its capabilities in x-meshmcp-client-capabilities) calls a
//   2026-07-28 server's ask_name: the POST until the relayed elicitation/create arrives on its SSE answer, the answer
//   POST (202), and the final result on the held stream; the same rounds.
// - Held exchanges: a fresh bridge in front of a 2025-11-25 server, warmed with WARMUP_ROUNDS exchanges, then HELD
//   2026-07-28 first requests answered input_required and never retried (the default --bridge-max-held). Per held
//   exchange: (RSS holding them − RSS before) / HELD, each reading once the RSS holds still; approximate, as a
//   collection at another moment moves it by some KiB.
// Every answer is checked; one that is not what the bridge should send fails the run.
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleArgs } from './bigUpstream.js';
import { startSessionUpstream, startStatelessUpstream, type TestUpstream } from './bridgeUpstreams.js';
import { rpcMessages } from './mcpPost.js';
import { type Settle, type Started, settledMemory, startProcess } from './proc.js';
import { type Figures, percentile, round } from './results.js';

const ROUNDS = 300;
const WARMUP_ROUNDS = 30;
const HELD = 256;
/** A memory reading waits until the RSS moved less than 0.25 MiB over 2 s (at most 10 s). */
const SETTLE: Settle = { pollMs: 250, stillMs: 2000, stepMiB: 0.25, maxMs: 10_000 };

const progress = (msg: string) => process.stdout.write(`bench: bridge: ${msg}\n`);

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
  'io.modelcontextprotocol/clientInfo': { name: 'meshmcp-bench', version: '1' },
};
const ACCEPT = 'application/json, text/event-stream';
const NAME = { action: 'accept', content: { name: 'Ada' } };
const HELLO = 'Hello, Ada!';

/** The parts of a JSON-RPC message the suite checks. */
interface Rpc {
  id?: unknown;
  method?: string;
  result?: Result;
}
interface Result {
  resultType?: string;
  requestState?: unknown;
  inputRequests?: Record<string, unknown>;
  content?: { text?: string }[];
}

function startBridge(root: string, upstream: TestUpstream, revision: string): Promise<Started> {
  return startProcess(
    bundleArgs('--service-name', 'bridged-service', '--bridge', upstream.url, '--bridge-protocols', revision),
    root,
  );
}

/** The bridge process's memory once its RSS holds still. */
const settled = async (pid: number) => (await settledMemory([pid], SETTLE))[0]!;

/** The JSON-RPC message of a JSON answer, or the last one of an SSE answer. */
const lastMessage = (contentType: string | null, text: string): Rpc | undefined =>
  rpcMessages(contentType, text).at(-1);

/** One 2026-07-28 tools/call of ask_name; `retry` carries the requestState and the answer. */
async function call2026(url: string, id: number, retry?: string): Promise<Result> {
  const params = retry
    ? { requestState: retry, inputResponses: { 'elicitation-1': NAME } }
    : ({} as Record<string, unknown>);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'ask_name',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'ask_name', arguments: {}, _meta: ENVELOPE, ...params },
    }),
  });
  const text = await res.text();
  const msg = lastMessage(res.headers.get('content-type'), text);
  if (res.status !== 200 || !msg?.result) throw new Error(`bridge answered ${res.status}: ${text.slice(0, 300)}`);
  return msg.result;
}

/** The first request, answered input_required; resolves with its requestState. */
async function firstRequest(url: string, id: number): Promise<string> {
  const r = await call2026(url, id);
  if (r.resultType !== 'input_required' || typeof r.requestState !== 'string' || !r.inputRequests?.['elicitation-1']) {
    throw new Error(`expected input_required asking elicitation-1, got ${JSON.stringify(r).slice(0, 300)}`);
  }
  return r.requestState;
}

/** One whole 2026-07-28 → 2025-11-25 exchange (first request, retry); resolves with its ms. */
async function inputRequiredRound(url: string, id: number): Promise<number> {
  const t0 = performance.now();
  const state = await firstRequest(url, id);
  const r = await call2026(url, id + 1, state);
  const ms = performance.now() - t0;
  if (r.resultType !== 'complete' || r.content?.[0]?.text !== HELLO) {
    throw new Error(`expected the result of ask_name, got ${JSON.stringify(r).slice(0, 300)}`);
  }
  return ms;
}

/** One whole 2025-era → 2026-07-28 exchange on a held SSE answer; resolves with its ms. */
async function heldStreamRound(url: string, id: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, 'x-meshmcp-client-capabilities': 'elicitation' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'ask_name', arguments: {} } }),
  });
  if (res.status !== 200 || res.headers.get('content-type') !== 'text/event-stream') {
    throw new Error(`expected a held SSE answer, got ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const next = async (): Promise<Rpc> => {
    for (;;) {
      const cut = buffered.indexOf('\n\n');
      if (cut >= 0) {
        const data = /^data: (.*)$/m.exec(buffered.slice(0, cut));
        buffered = buffered.slice(cut + 2);
        if (data) return JSON.parse(data[1]!);
        continue;
      }
      const { done, value } = await reader.read();
      if (done) throw new Error(`the held stream ended early: ${buffered.slice(0, 300)}`);
      buffered += decoder.decode(value, { stream: true });
    }
  };
  const asked = await next();
  if (asked.method !== 'elicitation/create' || typeof asked.id !== 'string') {
    throw new Error(`expected elicitation/create, got ${JSON.stringify(asked).slice(0, 300)}`);
  }
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({ jsonrpc: '2.0', id: asked.id, result: NAME }),
  });
  const answerText = await answer.text();
  if (answer.status !== 202) throw new Error(`the answer got ${answer.status}: ${answerText.slice(0, 300)}`);
  const final = await next();
  const ms = performance.now() - t0;
  if (final.id !== id || final.result?.content?.[0]?.text !== HELLO) {
    throw new Error(`expected the result of ask_name, got ${JSON.stringify(final).slice(0, 300)}`);
  }
  while (!(await reader.read()).done);
  return ms;
}

/** WARMUP_ROUNDS, then ROUNDS timed, one at a time; sorted ms. */
async function rounds(round: (id: number) => Promise<number>): Promise<number[]> {
  for (let i = 0; i < WARMUP_ROUNDS; i++) await round(2 * i);
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) ms.push(await round(2 * (WARMUP_ROUNDS + i)));
  return ms.sort((a, b) => a - b);
}

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 200 && !what(); i++) await sleep(25);
  if (!what()) throw new Error(`bridge bench: timed out waiting for ${label}`);
}

export async function benchBridge(root: string): Promise<Figures> {
  const sessions = await startSessionUpstream();
  const stateless = await startStatelessUpstream();
  const started: Started[] = [];
  const bridge = async (upstream: TestUpstream, revision: string) => {
    const b = await startBridge(root, upstream, revision);
    started.push(b);
    return { url: `http://127.0.0.1:${b.port}/mcp`, pid: b.child.pid!, stop: () => b.stop() };
  };
  try {
    progress('idle, and 2026-07-28 client → 2025-11-25 server');
    const toSessions = await bridge(sessions, '2025-11-25');
    await inputRequiredRound(toSessions.url, 0);
    const idle = await settled(toSessions.pid);
    const inputRequired = await rounds((id) => inputRequiredRound(toSessions.url, id));
    await toSessions.stop();

    progress('2025-era client → 2026-07-28 server');
    const toStateless = await bridge(stateless, '2026-07-28');
    const heldStream = await rounds((id) => heldStreamRound(toStateless.url, id));
    await toStateless.stop();

    progress(`holding ${HELD} exchanges`);
    const holding = await bridge(sessions, '2025-11-25');
    for (let i = 0; i < WARMUP_ROUNDS; i++) await inputRequiredRound(holding.url, 2 * i);
    await until(() => sessions.openSessions() === 0, 'the warm-up sessions to end');
    const before = await settled(holding.pid);
    for (let i = 0; i < HELD; i++) await firstRequest(holding.url, i);
    await until(() => sessions.openSessions() === HELD, `${HELD} held sessions`);
    const after = await settled(holding.pid);
    await holding.stop();

    const perHeld = (mib: number) => round((mib * 1024) / HELD, 1);
    return {
      bridge_rss_idle_mib: { value: round(idle.rss, 1), unit: 'MiB' },
      bridge_anon_idle_mib: { value: round(idle.anon, 1), unit: 'MiB' },
      bridge_input_required_ms_p50: { value: round(percentile(inputRequired, 50), 3), unit: 'ms' },
      bridge_input_required_ms_p99: { value: round(percentile(inputRequired, 99), 3), unit: 'ms' },
      bridge_held_stream_ms_p50: { value: round(percentile(heldStream, 50), 3), unit: 'ms' },
      bridge_held_stream_ms_p99: { value: round(percentile(heldStream, 99), 3), unit: 'ms' },
      bridge_held_exchanges: { value: HELD, unit: 'exchanges' },
      bridge_rss_holding_mib: { value: round(after.rss, 1), unit: 'MiB', goal: '< 64 (pod limit)' },
      bridge_kib_per_held_exchange: { value: perHeld(after.rss - before.rss), unit: 'KiB' },
      bridge_anon_kib_per_held_exchange: { value: perHeld(after.anon - before.anon), unit: 'KiB' },
    };
  } finally {
    for (const b of started) await b.stop();
    await sessions.close();
    await stateless.close();
  }
}
