// The logs pack (`meshmcp sidecar --pack logs`): read-only tools over every log file of the pod's log directory
// (LOG_DIR), each file read as get_logs reads one (confined by real path, newest lines first, redacted, bounded):
// a search across the files by time window, pattern and level, merged by time; and the top error signatures, with
// numbers, ids, hex and timestamps normalised so one error that repeats counts once.
import { ToolError } from '../errors.js';
import { toolResult } from '../toolSupport.js';
import { COMPRESSED, getLogs, lineTime, logFileNames, realLogDir } from '../tools/getLogs.js';
import type { Tool, ToolContext } from '../types.js';
import { LEVELS, type Level, lineLevel, SINCE_SCHEMA, WORD_LEVEL } from './logLine.js';
import { traceRequest } from './trace.js';

export { lineLevel };

const MAX_FILES = 20;

/** What stays the same when an error repeats: its message with ids, numbers, hex, times and quoted values masked. */
export function errorSignature(line: string): string {
  let text = line;
  if (line.startsWith('{')) {
    const m = /"(?:msg|message|error|err)"\s*:\s*"((?:[^"\\]|\\.){0,500})"/.exec(line);
    if (m) text = m[1]!;
  }
  return text
    .replace(/^\[?\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\]?\s*/, '')
    .replace(WORD_LEVEL, '')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b[0-9a-f]{12,}\b/gi, '<hex>')
    .replace(/\b[A-Za-z]+_[A-Za-z0-9]*\d[A-Za-z0-9]*\b/g, '<id>')
    .replace(/\d+(?:\.\d+)?/g, '<n>')
    .replace(/"[^"]{0,200}"|'[^']{0,200}'/g, '"…"')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

interface FileLine {
  file: string;
  line: string;
  time: number | undefined;
}

/** The newest matching lines of every plain-text log file (at most MAX_FILES files), read by get_logs. */
async function linesOfAllFiles(
  ctx: ToolContext,
  filter: { grep?: string; since?: string; lines: number },
): Promise<{
  lines: FileLine[];
  files: string[];
  notes: string[];
}> {
  const dir = await realLogDir(ctx.settings.logDir);
  const names = (await logFileNames(dir)).filter((n) => !COMPRESSED.test(n));
  if (names.length === 0) throw new ToolError(`the log directory ${ctx.settings.logDir} has no plain-text log files`);
  const notes: string[] = [];
  if (names.length > MAX_FILES) notes.push(`only the first ${MAX_FILES} of ${names.length}+ files were searched`);
  const files = names.slice(0, MAX_FILES);
  const out: FileLine[] = [];
  for (const file of files) {
    const args: Record<string, unknown> = { file, lines: filter.lines, regex: true };
    if (filter.grep) args['grep'] = filter.grep;
    if (filter.since) args['since'] = filter.since;
    let r: Awaited<ReturnType<Tool['run']>>;
    try {
      r = await getLogs.run(args, ctx);
    } catch (err) {
      notes.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    for (const n of (r.structuredContent?.['notes'] as string[] | undefined) ?? []) notes.push(`${file}: ${n}`);
    for (const line of (r.structuredContent?.['lines'] as string[] | undefined) ?? []) {
      out.push({ file, line, time: lineTime(line) });
    }
  }
  return { lines: out, files, notes };
}

/** Lines merged by time across files; a line without a time keeps the time of the line before it in its file. */
function byTime(lines: FileLine[]): FileLine[] {
  // A line without a time of its own sorts with the line before it in its file.
  const last = new Map<string, number>();
  const timed = lines.map((l, i) => {
    const t = l.time ?? last.get(l.file) ?? 0;
    last.set(l.file, t);
    return { l, t, i };
  });
  return timed.sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.l);
}

const levelRank = (l: Level | undefined) => (l === undefined ? -1 : LEVELS.indexOf(l));

const search: Tool = {
  name: 'search',
  description:
    'Searches every log file of the pod (not only app.log) for lines matching a regular expression, at or above a ' +
    'level, within a time window, and merges them by time, each with its file. Use it to follow an error or an id ' +
    'across the app’s logs. Secrets are redacted; at most 500 lines.',
  inputSchema: {
    type: 'object',
    properties: {
      pattern: {
        type: 'string',
        maxLength: 256,
        description: 'a regular expression (case-insensitive); omit for all lines',
      },
      level: {
        type: 'string',
        enum: [...LEVELS],
        description: 'only lines at this level or above (lines without one are left out)',
      },
      since: SINCE_SCHEMA,
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 500,
        default: 100,
        description: 'most lines returned (the newest)',
      },
    },
    additionalProperties: false,
  },
  annotations: { title: 'Search logs', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const limit = typeof args['limit'] === 'number' ? args['limit'] : 100;
    const min = typeof args['level'] === 'string' ? (args['level'] as Level) : undefined;
    const { lines, files, notes } = await linesOfAllFiles(ctx, {
      ...(typeof args['pattern'] === 'string' && args['pattern'] ? { grep: args['pattern'] } : {}),
      since: typeof args['since'] === 'string' ? args['since'] : '1h',
      lines: min ? 1000 : limit,
    });
    const kept = byTime(lines).filter((l) => min === undefined || levelRank(lineLevel(l.line)) >= levelRank(min));
    const shown = kept.slice(-limit);
    if (kept.length > shown.length) notes.push(`${kept.length - shown.length} older matching lines left out`);
    const text = [
      `${shown.length} lines from ${files.length} files`,
      ...notes.map((n) => `note: ${n}`),
      '',
      ...(shown.length ? shown.map((l) => `${l.file}: ${l.line}`) : ['(no lines)']),
    ].join('\n');
    return toolResult(text, { files, lines: shown.map(({ file, line }) => ({ file, line })), notes });
  },
};

const topErrors: Tool = {
  name: 'top_errors',
  description:
    'The most frequent error signatures in the pod’s logs within a time window: error and fatal lines grouped with ' +
    'numbers, ids, hex, uuids, times and quoted values normalised, each with its count, first and last time and one ' +
    'example. Use it first to see what is failing most.',
  inputSchema: {
    type: 'object',
    properties: {
      since: { type: 'string', maxLength: 64, default: '1h', description: 'an ISO time or a duration back from now' },
      limit: { type: 'integer', minimum: 1, maximum: 50, default: 10, description: 'how many signatures' },
    },
    additionalProperties: false,
  },
  annotations: { title: 'Top error signatures', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const limit = typeof args['limit'] === 'number' ? args['limit'] : 10;
    const { lines, files, notes } = await linesOfAllFiles(ctx, {
      grep: '\\b(error|err|fatal|panic|exception|critical)\\b|"level":\\s*(50|60)',
      since: typeof args['since'] === 'string' ? args['since'] : '1h',
      lines: 1000,
    });
    const groups = new Map<string, { count: number; first?: number; last?: number; example: string; file: string }>();
    for (const l of lines) {
      if (levelRank(lineLevel(l.line)) < levelRank('error')) continue;
      const sig = errorSignature(l.line);
      const g = groups.get(sig) ?? { count: 0, example: l.line, file: l.file };
      g.count++;
      if (l.time !== undefined) {
        g.first = Math.min(g.first ?? l.time, l.time);
        g.last = Math.max(g.last ?? l.time, l.time);
      }
      groups.set(sig, g);
    }
    const top = [...groups].sort((a, b) => b[1].count - a[1].count).slice(0, limit);
    const iso = (t: number | undefined) => (t === undefined ? '?' : new Date(t).toISOString());
    const text = [
      `${groups.size} error signatures in ${files.length} files${groups.size > top.length ? `, top ${top.length}` : ''}`,
      ...notes.map((n) => `note: ${n}`),
      ...top.map(
        ([sig, g], i) =>
          `\n${i + 1}. ${g.count}× ${sig}\n   ${iso(g.first)} … ${iso(g.last)} (${g.file})\n   e.g. ${g.example.slice(0, 300)}`,
      ),
      ...(top.length ? [] : ['(no error lines)']),
    ].join('\n');
    return toolResult(text, {
      signatures: top.map(([signature, g]) => ({
        signature,
        count: g.count,
        first: iso(g.first),
        last: iso(g.last),
        file: g.file,
        example: g.example,
      })),
      total_signatures: groups.size,
      notes,
    });
  },
};

export const logsPack: Tool[] = [search, topErrors, traceRequest];
