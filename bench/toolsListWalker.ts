// One caller of the control service's aggregated endpoint, in a process of its own for the control benchmark's
// tools/list walks (bench/control.ts): `node toolsListWalker.js <json>` with {port, walks, warmup, firstPage} walks
// every page of tools/list as principal bench (group sre) with raw keep-alive POSTs in the stateless 2025-11-25 form,
// and prints one line of JSON on stdout: the first page after a new catalog (its view uncached) and the first walk,
// the timed walks after `warmup` untimed ones, `firstPage` timed first pages, and the tools of one more walk parsed
// whole. A fresh process, so the walks are not slowed by what the benchmark process did before (render catalogs of
// 10,000 services leave a heap whose collections would land in the walks) nor by this process's own parsing: the one
// walk parsed whole comes last, since parsing ~12 MB leaves V8 pretenuring the client's later allocations (about ten
// times the old-space collections over the walks that follow).
import http from 'node:http';

export interface WalkerJob {
  port: number;
  walks: number;
  warmup: number;
  /** Timed first pages after the walks (0: none). */
  firstPage: number;
}

export interface WalkerResult {
  probeMs: number;
  cold: { ms: number; pages: number; bytes: number };
  /** The timed walks, in ms, in order. */
  times: number[];
  /** The timed first pages, in ms, in order. */
  first: number[];
  /** Tools in the one walk parsed whole. */
  tools: number;
}

// --- raw JSON-RPC over keep-alive HTTP ------------------------------------------------------------------------

interface RpcAnswer {
  result?: { tools?: unknown[]; nextCursor?: string };
  error?: { code: number; message: string };
}

const CALLER_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'x-meshmcp-principal': 'bench',
  'x-meshmcp-groups': 'sre',
};

/** The JSON-RPC answer in a body that is either JSON or an SSE stream of messages. */
function parseAnswer(contentType: string, text: string): RpcAnswer {
  if (!contentType.includes('text/event-stream')) return JSON.parse(text) as RpcAnswer;
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data === '') continue;
    const msg = JSON.parse(data) as RpcAnswer & { id?: unknown };
    if (msg.id !== undefined) return msg;
  }
  throw new Error(`no JSON-RPC answer in the event stream: ${text.slice(0, 200)}`);
}

interface RawAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

function post(agent: http.Agent, port: number, body: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        agent,
        headers: { ...CALLER_HEADERS, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let rpcId = 0;
const toolsList = (cursor?: string) =>
  JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/list', params: cursor ? { cursor } : {} });

function fullAnswer(raw: RawAnswer): RpcAnswer {
  const text = raw.body.toString('utf8');
  try {
    return parseAnswer(raw.contentType, text);
  } catch (err) {
    throw new Error(`HTTP ${raw.status}: ${(err as Error).message}: ${text.slice(0, 200)}`);
  }
}

const NEXT_CURSOR = Buffer.from('"nextCursor":"');
const TOOLS = Buffer.from('"tools":[');

/**
 * One tools/list page. `full` parses the answer and counts its tools; otherwise only nextCursor is read from the
 * raw bytes (the catalog holds no such text elsewhere): a timed walk measures the service, and parsing ~250 KB pages
 * here would add the client's own work (and garbage) to every page.
 */
async function listPage(
  agent: http.Agent,
  port: number,
  cursor: string | undefined,
  full: boolean,
): Promise<{ tools: number; bytes: number; next?: string }> {
  const raw = await post(agent, port, toolsList(cursor));
  const bytes = raw.body.length;
  if (full) {
    const answer = fullAnswer(raw);
    if (raw.status !== 200 || !answer.result?.tools) {
      throw new Error(`tools/list answered ${raw.status}: ${JSON.stringify(answer.error ?? answer).slice(0, 300)}`);
    }
    return {
      tools: answer.result.tools.length,
      bytes,
      ...(answer.result.nextCursor ? { next: answer.result.nextCursor } : {}),
    };
  }
  if (raw.status !== 200 || raw.body.indexOf(TOOLS) < 0) {
    throw new Error(`tools/list answered ${raw.status}: ${raw.body.toString('utf8', 0, 300)}`);
  }
  const at = raw.body.lastIndexOf(NEXT_CURSOR);
  if (at < 0) return { tools: -1, bytes };
  const start = at + NEXT_CURSOR.length;
  return { tools: -1, bytes, next: raw.body.toString('latin1', start, raw.body.indexOf(34, start)) };
}

/** One caller lists the whole catalog, following nextCursor to the end; `full` also counts the tools. */
async function walk(
  agent: http.Agent,
  port: number,
  full = false,
): Promise<{ ms: number; tools: number; pages: number; bytes: number }> {
  const t0 = performance.now();
  let page = await listPage(agent, port, undefined, full);
  let tools = page.tools;
  let bytes = page.bytes;
  let pages = 1;
  while (page.next !== undefined) {
    page = await listPage(agent, port, page.next, full);
    tools += page.tools;
    bytes += page.bytes;
    pages++;
  }
  return { ms: performance.now() - t0, tools, pages, bytes };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? 'null') as WalkerJob | null;
  if (!job) throw new Error('usage: toolsListWalker.js <{"port","walks","warmup","firstPage"}>');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // The stateless 2025-11-25 path must answer tools/list with no initialize before it (the gateway forwards a
    // caller's requests to any replica); a failure here stops the bench rather than measuring something else.
    const p0 = performance.now();
    const probe = await post(agent, job.port, toolsList());
    const probeMs = performance.now() - p0;
    const answer = fullAnswer(probe);
    if (probe.status !== 200 || !answer.result?.tools) {
      throw new Error(
        `tools/list without initialize was refused (${probe.status}): ${JSON.stringify(answer).slice(0, 300)}`,
      );
    }
    // That first request after setCatalog computed this caller's filtered view (authorize per tool); every later
    // one hits the per-identity view cache, as every caller but the first after a catalog change does.
    const { ms, pages, bytes } = await walk(agent, job.port);
    for (let i = 0; i < job.warmup; i++) await walk(agent, job.port);
    const times: number[] = [];
    for (let i = 0; i < job.walks; i++) times.push((await walk(agent, job.port)).ms);
    const first: number[] = [];
    for (let i = 0; i < job.firstPage; i++) {
      const t0 = performance.now();
      await listPage(agent, job.port, undefined, false);
      first.push(performance.now() - t0);
    }
    const { tools } = await walk(agent, job.port, true);
    const result: WalkerResult = { probeMs, cold: { ms, pages, bytes }, times, first, tools };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    agent.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`toolsListWalker: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
