// get_logs: the newest lines of a file in the app's log directory, read backwards in chunks, filtered and redacted,
// and confined to that directory by real path so neither '..' nor a symlink can reach other files.
// fs.promises is read on a call, never at start: get_logs is the only user, and most pods never call it.
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../errors.js';
import { redactText } from '../redact.js';
import { formatBytes, toolResult } from '../toolSupport.js';
import type { Tool } from '../types.js';
import { compileSafeRegex } from './safeRegex.js';

const CHUNK_BYTES = 64 * 1024;
/** Bytes read from the end before giving up on finding enough matching lines; bounds time on multi-GB files. */
const MAX_SCAN_BYTES = 32 * 1024 * 1024;
/** Characters of a line kept (and searched by grep); longer lines are cut. */
const MAX_LINE_CHARS = 4000;
/** Bytes of a line held while assembling it: enough for MAX_LINE_CHARS of any UTF-8 text. */
const MAX_LINE_BYTES = MAX_LINE_CHARS * 4;
/** Characters of all returned lines together; the oldest lines are left out past it. */
const MAX_OUTPUT_CHARS = 96 * 1024;
const MAX_LISTED_FILES = 50;
export const COMPRESSED = /\.(gz|zst|bz2|xz|zip|lz4)$/i;

export const getLogs: Tool = {
  name: 'get_logs',
  title: 'App logs',
  description:
    "Returns the newest lines of one of the app's log files (oldest first), from the pod's log directory only. " +
    'Use it to see recent errors, stack traces or what happened around an incident. `file` is a name inside the ' +
    'log directory (default app.log; an unknown name gets the list of available files). `lines` is how many ' +
    'lines to return (default 100, max 1000), counted after filtering. `grep` keeps lines containing the text ' +
    '(case-insensitive), or matching it as a regular expression when `regex` is true. `since` keeps lines at or ' +
    'after an ISO time (2025-01-31T12:00:00Z) or a duration back from now (30s, 15m, 2h, 1d), read from the ' +
    "line's JSON timestamp/time/ts field or a leading ISO time; lines without a time (stack traces) stay with " +
    'the line before them. Secrets in lines are redacted; very long lines are cut.',
  inputSchema: {
    type: 'object',
    properties: {
      file: {
        type: 'string',
        maxLength: 255,
        minLength: 1,
        default: 'app.log',
        description: 'log file name relative to the log directory, e.g. app.log or nginx/access.log',
      },
      lines: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 100,
        description: 'number of lines to return (after filtering)',
      },
      grep: { type: 'string', maxLength: 256, description: 'keep only lines containing this (case-insensitive)' },
      regex: { type: 'boolean', default: false, description: 'treat grep as a regular expression' },
      since: {
        type: 'string',
        maxLength: 64,
        description: 'only lines at or after this time: ISO timestamp or duration like 15m, 2h, 1d',
      },
    },
    additionalProperties: false,
  },
  annotations: { title: 'App logs', readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const file = typeof args['file'] === 'string' && args['file'] !== '' ? args['file'] : 'app.log';
    const want = typeof args['lines'] === 'number' ? Math.min(1000, Math.max(1, Math.floor(args['lines']))) : 100;
    const grep = typeof args['grep'] === 'string' && args['grep'] !== '' ? args['grep'] : undefined;
    const matcher = grep === undefined ? undefined : makeMatcher(grep, args['regex'] === true);
    const since = typeof args['since'] === 'string' && args['since'] !== '' ? parseSince(args['since']) : undefined;

    const dir = await realLogDir(ctx.settings.logDir);
    const real = await confine(dir, file);
    if (COMPRESSED.test(real)) {
      throw new ToolError(
        `${file} is compressed; get_logs reads plain-text logs only (try the current, uncompressed file)`,
      );
    }
    // O_NOFOLLOW: the confined path has no symlink left in it; refuse one swapped in since it was resolved.
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer and pin a libuv thread.
    let handle: FileHandle;
    try {
      const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
      handle = await fs.promises.open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      throw new ToolError(`cannot open log file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new ToolError(`${file} is not a regular file`);
      const tail = await readTail(handle, st.size, { want, matcher, since, signal: ctx.signal });
      return render(file, st.size, tail, since !== undefined);
    } finally {
      await handle.close();
    }
  },
};

function makeMatcher(grep: string, regex: boolean): (line: string) => boolean {
  if (regex) {
    const re = compileSafeRegex(grep, 'grep', 'i');
    return (line) => re.test(line);
  }
  const needle = grep.toLowerCase();
  return (line) => line.toLowerCase().includes(needle);
}

const DURATION = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

/** since as epoch milliseconds: an ISO timestamp, or a duration back from now. */
export function parseSince(s: string, now = Date.now()): number {
  const v = s.trim();
  const d = DURATION.exec(v);
  if (d && v !== '') {
    const [, days = '0', hours = '0', mins = '0', secs = '0'] = d;
    return now - ((Number(days) * 24 + Number(hours)) * 3600 + Number(mins) * 60 + Number(secs)) * 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new ToolError(
    `since ${JSON.stringify(s)} is neither an ISO timestamp (2025-01-31T12:00:00Z) nor a duration (30s, 15m, 2h, 1d)`,
  );
}

const JSON_TIME = /"(?:timestamp|time|ts|@timestamp)"\s*:\s*(?:"([^"]{1,64})"|(-?\d{1,16}(?:\.\d+)?))/;
const LEADING_ISO = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/;

/** The time a line carries, as epoch milliseconds: a JSON timestamp field or a leading ISO timestamp. */
export function lineTime(line: string): number | undefined {
  if (line.startsWith('{')) {
    const m = JSON_TIME.exec(line);
    if (m) {
      if (m[1] !== undefined) {
        const t = Date.parse(m[1]);
        return Number.isFinite(t) ? t : undefined;
      }
      const n = Number(m[2]);
      // Epoch numbers come in seconds (zap, structlog) or milliseconds (pino, bunyan); 1e11 s is year 5138.
      return n > 1e11 ? n : n * 1000;
    }
  }
  const m = LEADING_ISO.exec(line);
  if (m) {
    const t = Date.parse(m[1]!.replace(' ', 'T').replace(',', '.'));
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/** The real log directory, or an error that says how to point the sidecar at it. */
export async function realLogDir(logDir: string): Promise<string> {
  try {
    const real = await fs.promises.realpath(logDir);
    if (!(await fs.promises.stat(real)).isDirectory()) throw new Error('not a directory');
    return real;
  } catch (err) {
    throw new ToolError(
      `the log directory ${logDir} is not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        'check that the app writes logs to a volume shared with the sidecar and that LOG_DIR names it',
    );
  }
}

/** Resolves file inside dir; refuses absolute paths, '..' and anything whose real path lies outside dir. */
async function confine(dir: string, file: string): Promise<string> {
  if (file.includes('\0')) throw new ToolError('file must not contain NUL characters');
  if (path.isAbsolute(file) || /^[a-zA-Z]:/.test(file)) {
    throw new ToolError(`file must be a name inside the log directory, not an absolute path: ${JSON.stringify(file)}`);
  }
  if (file.split(/[\\/]/).includes('..')) {
    throw new ToolError(`file must stay inside the log directory ('..' is not allowed): ${JSON.stringify(file)}`);
  }
  let real: string;
  try {
    real = await fs.promises.realpath(path.join(dir, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ToolError(`log file ${JSON.stringify(file)} not found; available: ${await listFiles(dir)}`);
    }
    throw new ToolError(`cannot resolve log file ${JSON.stringify(file)}: ${code ?? (err as Error).message}`);
  }
  const rel = path.relative(dir, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ToolError(`${JSON.stringify(file)} resolves outside the log directory and is refused`);
  }
  return real;
}

/** Plain-text log files directly in dir and one level of subdirectories (at most MAX_LISTED_FILES + 1), sorted. */
export async function logFileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
    if (e.isFile()) names.push(e.name);
    else if (e.isDirectory()) {
      for (const s of await fs.promises.readdir(path.join(dir, e.name), { withFileTypes: true }).catch(() => [])) {
        if (s.isFile()) names.push(`${e.name}/${s.name}`);
      }
    }
    if (names.length > MAX_LISTED_FILES) break;
  }
  return names.sort();
}

/** Names of the files directly in dir (and one level of subdirectories), for error messages. */
async function listFiles(dir: string): Promise<string> {
  let names: string[];
  try {
    names = await logFileNames(dir);
  } catch {
    return '(the log directory cannot be listed)';
  }
  if (names.length === 0) return '(none: the log directory is empty)';
  const shown = names.slice(0, MAX_LISTED_FILES);
  return shown.join(', ') + (names.length > shown.length ? ', …' : '');
}

interface TailOptions {
  want: number;
  matcher: ((line: string) => boolean) | undefined;
  since: number | undefined;
  signal: AbortSignal;
}

interface Tail {
  /** newest first */
  lines: string[];
  scanned: number;
  reachedStart: boolean;
  outputCapped: boolean;
  timedLines: number;
  cutLines: number;
  /** the scan budget ran out before enough lines were found */
  scanLimited: boolean;
}

/**
 * Walks the file backwards chunk by chunk, splitting at newline bytes (UTF-8 never has 0x0A inside a character),
 * and stops as soon as enough lines passed the filters, the since boundary is crossed or the scan budget is spent.
 */
async function readTail(h: FileHandle, size: number, o: TailOptions): Promise<Tail> {
  const t: Tail = {
    lines: [],
    scanned: 0,
    reachedStart: size === 0,
    outputCapped: false,
    timedLines: 0,
    cutLines: 0,
    scanLimited: false,
  };
  let outChars = 0;
  let done = false;
  // Lines without a time wait here until the timed line they follow decides whether they are in range.
  let pending: string[] = [];
  const accept = (line: string) => {
    if (done) return;
    // grep sees the redacted line: matching the raw one would let a pattern probe a secret character by character.
    const shown = redactText(line);
    if (o.matcher && !o.matcher(shown)) return;
    if (outChars + shown.length > MAX_OUTPUT_CHARS) {
      t.outputCapped = true;
      done = true;
      return;
    }
    outChars += shown.length + 1;
    t.lines.push(shown);
    if (t.lines.length >= o.want) done = true;
  };
  const onLine = (raw: string, cut: boolean) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (cut || line.length > MAX_LINE_CHARS) {
      t.cutLines++;
      line = `${line.slice(0, MAX_LINE_CHARS)}… [line cut]`;
    }
    if (o.since === undefined) return accept(line);
    const time = lineTime(line);
    if (time === undefined) {
      pending.push(line);
      // Without any timed line nearby since cannot decide; keep the untimed lines rather than scan forever.
      if (pending.length > o.want) flushPending();
      return;
    }
    t.timedLines++;
    if (time < o.since) {
      pending = [];
      done = true;
      return;
    }
    flushPending();
    accept(line);
  };
  const flushPending = () => {
    for (const p of pending) accept(p);
    pending = [];
  };

  let pos = size;
  let carry: Buffer[] = []; // pieces of the line being assembled, newest piece first
  let carryLen = 0;
  let carryCut = false;
  let atEnd = true; // the first newline found may be the file's trailing one, with no line after it
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const addPiece = (piece: Buffer) => {
    if (piece.length === 0) return;
    carry.push(Buffer.from(piece));
    carryLen += piece.length;
    // Only a line's head is shown, so drop pieces nearest its end once enough of the rest is held.
    while (carry.length > 1 && carryLen - carry[0]!.length >= MAX_LINE_BYTES) {
      carryLen -= carry.shift()!.length;
      carryCut = true;
    }
  };
  const emit = () => {
    const line = Buffer.concat(carry.reverse()).toString('utf8');
    const cut = carryCut;
    carry = [];
    carryLen = 0;
    carryCut = false;
    onLine(line, cut);
  };
  while (pos > 0 && !done) {
    if (o.signal.aborted) throw new ToolError('get_logs was cancelled');
    if (t.scanned >= MAX_SCAN_BYTES) {
      t.scanLimited = true;
      break;
    }
    const len = Math.min(CHUNK_BYTES, pos);
    pos -= len;
    const { bytesRead } = await h.read(buf, 0, len, pos);
    t.scanned += bytesRead;
    let end = bytesRead;
    while (!done && end > 0) {
      const nl = buf.lastIndexOf(0x0a, end - 1);
      if (nl === -1) break;
      addPiece(buf.subarray(nl + 1, end));
      if (!atEnd || carryLen > 0) emit();
      atEnd = false;
      end = nl;
    }
    if (!done) addPiece(buf.subarray(0, end));
    if (pos === 0 && !done) {
      t.reachedStart = true;
      if (carryLen > 0 || carryCut) emit();
    }
  }
  // Untimed lines after the oldest timed line read cannot be placed; keep them (accept ignores them once done).
  flushPending();
  return t;
}

function render(file: string, size: number, tail: Tail, sinceGiven: boolean) {
  const lines = [...tail.lines].reverse();
  const notes: string[] = [];
  if (tail.scanLimited) {
    notes.push(`stopped after scanning the last ${formatBytes(MAX_SCAN_BYTES)}; older lines were not searched`);
  }
  if (tail.outputCapped) notes.push(`output capped at ${MAX_OUTPUT_CHARS} characters; older lines left out`);
  if (tail.cutLines > 0) notes.push(`${tail.cutLines} long lines cut to ${MAX_LINE_CHARS} characters`);
  if (sinceGiven && tail.timedLines === 0 && lines.length > 0) {
    notes.push('no line carried a timestamp, so since could not filter');
  }
  const header =
    `${file}: ${lines.length} line${lines.length === 1 ? '' : 's'} (file ${formatBytes(size)}, ` +
    `scanned ${formatBytes(tail.scanned)}${tail.reachedStart ? ', reached the start' : ''})`;
  const text = [header, ...notes.map((n) => `note: ${n}`), ...(lines.length ? ['', ...lines] : ['(no lines)'])].join(
    '\n',
  );
  return toolResult(text, {
    file,
    file_bytes: size,
    scanned_bytes: tail.scanned,
    reached_start: tail.reachedStart,
    returned: lines.length,
    lines,
    notes,
  });
}
