// trace_request (logs pack): one request id across the mesh. Acting for its caller through the gateway (a delegate
// key: the gateway grants only what the caller and the key may both do), it lists the tools the caller may call, asks
// every `<service>__get_logs` for the lines holding the id, and merges them by time, with a status per service. No
// per-pod server sees more than its own pod; this is the one view across them.
import { nowMs } from '../clock.js';
import { ToolError } from '../errors.js';
import { budgetMs, toolResult } from '../toolSupport.js';
import { lineTime, parseSince } from '../tools/getLogs.js';
import type { Tool, ToolContext } from '../types.js';
import { DelegateClient, type ListedTool, type RpcAnswer } from './delegateClient.js';
import { type Level, lineLevel, SINCE_SCHEMA } from './logLine.js';

const SUFFIX = '__get_logs';
/** get_logs calls in flight at once. */
const CONCURRENCY = 8;
/** Longest wait for one gateway answer, within what is left of the tool's own time. */
const CALL_TIMEOUT_MS = 8000;
/** Bytes read of one get_logs answer (its text and structured lines hold at most ~200 KiB of lines). */
const MAX_ANSWER_BYTES = 512 * 1024;
/** Characters of a line kept; get_logs cuts at 4000 already. */
const MAX_LINE_CHARS = 2000;
/** Below this much time left a service is not asked at all. */
const MIN_CALL_MS = 100;

export type ServiceStatus = 'found' | 'no_match' | 'failed' | 'not_permitted' | 'skipped';

export interface ServiceRow {
  service: string;
  status: ServiceStatus;
  lines: number;
  reason?: string;
}

export interface TraceLine {
  service: string;
  /** ISO time the line carries, or the one before it in its service's log; null when neither has one */
  time: string | null;
  level: Level | null;
  text: string;
}

interface Timed {
  line: TraceLine;
  t: number;
  order: number;
}

/** The text lines of a get_logs answer: our sidecar's structured lines, else the text lines holding the id. */
function answerLines(result: Record<string, unknown>, id: string): string[] {
  const structured = (result['structuredContent'] as { lines?: unknown } | undefined)?.lines;
  if (Array.isArray(structured)) return structured.filter((l): l is string => typeof l === 'string');
  const needle = id.toLowerCase();
  const content = (result['content'] as Array<{ type?: string; text?: unknown }> | undefined) ?? [];
  return content
    .flatMap((c) => (c.type === 'text' && typeof c.text === 'string' ? c.text.split('\n') : []))
    .filter((l) => l.toLowerCase().includes(needle));
}

const firstText = (result: Record<string, unknown>): string => {
  const c = (result['content'] as Array<{ text?: unknown }> | undefined)?.[0]?.text;
  return typeof c === 'string' ? c.replace(/\s+/g, ' ').slice(0, 300) : 'no text';
};

/** What one get_logs answer says about its service. */
function rowOf(service: string, a: RpcAnswer, id: string, out: Timed[]): ServiceRow {
  if (a.status === 403) {
    return { service, status: 'not_permitted', lines: 0, reason: a.error?.message ?? 'forbidden (403)' };
  }
  if (a.status === 429) {
    const wait = a.retryAfter ? `; retry after ${a.retryAfter} s` : '';
    return { service, status: 'failed', lines: 0, reason: `the caller's rate limit at the gateway${wait}` };
  }
  if (a.error) {
    // The gateway answers a tool its policy denies exactly as an unknown one.
    if (a.error.code === -32602 && /^Unknown tool/.test(a.error.message)) {
      return {
        service,
        status: 'not_permitted',
        lines: 0,
        reason: 'the gateway refused the call as it refuses a tool the policy denies you or this pack',
      };
    }
    return {
      service,
      status: 'failed',
      lines: 0,
      reason: `JSON-RPC ${a.error.code}: ${a.error.message.slice(0, 300)}`,
    };
  }
  if (!a.result) return { service, status: 'failed', lines: 0, reason: `HTTP ${a.status} without an MCP answer` };
  if (a.result['isError'] === true) return { service, status: 'failed', lines: 0, reason: firstText(a.result) };
  const lines = answerLines(a.result, id);
  // A line without a time stays with the line before it (a stack trace after its error).
  let last: number | undefined;
  for (const text of lines) {
    const own = lineTime(text);
    const t = own ?? last;
    last = t;
    const line: TraceLine = {
      service,
      time: t === undefined ? null : new Date(t).toISOString(),
      level: lineLevel(text) ?? null,
      text: text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… [line cut]` : text,
    };
    out.push({ line, t: t ?? Number.NEGATIVE_INFINITY, order: out.length });
  }
  return lines.length ? { service, status: 'found', lines: lines.length } : { service, status: 'no_match', lines: 0 };
}

/** The arguments this get_logs takes for a literal, case-insensitive search; undefined when it takes no grep. */
function getLogsArgs(tool: ListedTool, id: string, since: string, lines: number): Record<string, unknown> | undefined {
  const props = tool.inputSchema?.properties ?? {};
  if (!('grep' in props)) return undefined;
  // grep without regex is a plain substring match in get_logs: the id is never read as a pattern.
  const args: Record<string, unknown> = { grep: id };
  if ('regex' in props) args['regex'] = false;
  if ('lines' in props) args['lines'] = lines;
  if ('since' in props) args['since'] = since;
  return args;
}

async function eachLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const STATUS_TEXT: Record<ServiceStatus, string> = {
  found: 'lines found',
  no_match: 'no match',
  failed: 'failed',
  not_permitted: 'not permitted',
  skipped: 'skipped',
};

async function trace(args: Record<string, unknown>, ctx: ToolContext) {
  const id = String(args['request_id']);
  const since = typeof args['since'] === 'string' ? args['since'] : '1h';
  const limit = typeof args['limit'] === 'number' ? args['limit'] : 200;
  parseSince(since); // a bad window is the caller's to fix, before anything is asked
  const deadline = nowMs() + budgetMs(undefined, ctx);
  const left = () => Math.max(1, Math.min(CALL_TIMEOUT_MS, deadline - nowMs()));
  const client = await DelegateClient.forCaller(ctx, 'trace_request');
  const tools = (await client.listTools(left)).filter((t) => t.name.endsWith(SUFFIX) && t.name.length > SUFFIX.length);
  tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const timed: Timed[] = [];
  const rows = await eachLimited(tools, CONCURRENCY, async (tool): Promise<ServiceRow> => {
    const service = tool.name.slice(0, -SUFFIX.length);
    const callArgs = getLogsArgs(tool, id, since, limit);
    if (!callArgs) {
      return { service, status: 'skipped', lines: 0, reason: 'its get_logs takes no grep argument' };
    }
    if (deadline - nowMs() < MIN_CALL_MS) {
      return { service, status: 'failed', lines: 0, reason: 'not asked: the time budget ran out' };
    }
    try {
      const a = await client.rpc(
        'tools/call',
        { name: tool.name, arguments: callArgs },
        { timeoutMs: left(), maxBytes: MAX_ANSWER_BYTES },
      );
      return rowOf(service, a, id, timed);
    } catch (err) {
      return { service, status: 'failed', lines: 0, reason: (err as Error).message };
    }
  });
  // Oldest first; lines of one service keep their order, services sort by name at equal times.
  timed.sort(
    (a, b) =>
      a.t - b.t ||
      (a.line.service < b.line.service ? -1 : a.line.service > b.line.service ? 1 : 0) ||
      a.order - b.order,
  );
  const shown = timed.slice(-limit).map((x) => x.line);
  const notes: string[] = [];
  if (timed.length > shown.length) notes.push(`${timed.length - shown.length} older lines left out (limit ${limit})`);
  notes.push('services whose get_logs you may not call are not listed to you, so they are not searched');
  return { id, since, rows, shown, notes, found: rows.filter((r) => r.status === 'found').length };
}

export const traceRequest: Tool = {
  name: 'trace_request',
  title: 'Trace a request id across the mesh',
  description:
    "Follows one request id through every service's logs: asks each service's get_logs, through the meshmcp " +
    'gateway and with your own rights, for the lines holding the id (a literal, case-insensitive match), and ' +
    'merges them by time. Each line comes with its service, time and level; each service with what it said ' +
    '(lines found, no match, failed and why, not permitted). Use it after an incident names a request id ' +
    '(x-request-id) to see where the request went and where it failed. Call it through the gateway.',
  inputSchema: {
    type: 'object',
    properties: {
      request_id: {
        type: 'string',
        minLength: 6,
        maxLength: 128,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'the request id, e.g. an x-request-id value (6 to 128 printable characters, no spaces)',
      },
      since: SINCE_SCHEMA,
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 200,
        description: 'most lines returned (the newest), and asked of each service',
      },
    },
    required: ['request_id'],
    additionalProperties: false,
  },
  annotations: { title: 'Trace a request id', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { id, since, rows, shown, notes, found } = await trace(args, ctx);
    if (rows.length === 0) {
      throw new ToolError(
        'the gateway lists no get_logs tool this caller may call, so there is nothing to search; ' +
          'check the policy for *__get_logs',
      );
    }
    const width = Math.max(...rows.map((r) => r.service.length), ...shown.map((l) => l.service.length));
    const text = [
      `request ${id} since ${since}: ${plural(shown.length, 'line')} from ${found} of ${plural(rows.length, 'service')}`,
      ...rows.map(
        (r) =>
          `  ${r.service.padEnd(width)}  ${r.status === 'found' ? plural(r.lines, 'line') : STATUS_TEXT[r.status]}` +
          `${r.reason ? `: ${r.reason}` : ''}`,
      ),
      ...notes.map((n) => `note: ${n}`),
      '',
      ...(shown.length
        ? shown.map(
            (l) => `${l.time ?? '?'.padEnd(24)}  ${l.service.padEnd(width)}  ${(l.level ?? '-').padEnd(5)}  ${l.text}`,
          )
        : ['(no lines)']),
    ].join('\n');
    return toolResult(text, { request_id: id, since, services: rows, lines: shown, notes });
  },
};
