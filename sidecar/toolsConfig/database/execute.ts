// Executor of tools.yaml `database` tools: PostgreSQL through a lazily imported `pg` and a small pool per database,
// each query bound, in a READ ONLY transaction with a statement timeout, read through a cursor with a row cap.
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { nowMs } from '../../clock.js';
import { ToolError } from '../../errors.js';
import { redactUrlCredentials } from '../../redact.js';
import { budgetMs, capText, roundMs, toolResult } from '../../toolSupport.js';
import type { ToolContext, ToolResult } from '../../types.js';
import type { DatabaseSpec } from './spec.js';

const MAX_POOLS = 8;
const POOL_SIZE = 2;
const CONNECT_TIMEOUT_MS = 5000;
const MAX_CELL = 200;
const MAX_TEXT = 16_000;

/** Keyed by the resolved connection string; insertion order doubles as age for eviction. */
const pools = new Map<string, Pool>();

async function poolFor(connectionString: string): Promise<Pool> {
  const existing = pools.get(connectionString);
  if (existing) return existing;
  // pg costs memory; pods without a database tool never load it.
  const { default: pg } = await import('pg');
  const again = pools.get(connectionString);
  if (again) return again;
  const pool = new pg.Pool({
    connectionString,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
    application_name: 'meshmcp-sidecar',
  });
  // An idle connection dropped by the server emits 'error' on the pool; unhandled, it would crash the sidecar.
  pool.on('error', () => {});
  pools.set(connectionString, pool);
  while (pools.size > MAX_POOLS) {
    const [oldest, p] = pools.entries().next().value!;
    pools.delete(oldest);
    void p.end().catch(() => {});
  }
  return pool;
}

/** Ends every pool; the sidecar calls it on shutdown. */
export async function closeDatabasePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => {})));
}

/** Error text without the connection string, its password or URL credentials anywhere in it. */
export function redactDbError(message: string, connectionString: string): string {
  let out = message;
  if (connectionString) out = out.split(connectionString).join('<connection string>');
  try {
    const pw = decodeURIComponent(new URL(connectionString).password);
    if (pw.length >= 3) out = out.split(pw).join('***');
  } catch {
    // not a URL: nothing more to hide than the string itself
  }
  return redactUrlCredentials(out);
}

function where(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'the database';
  }
}

function cell(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (typeof v === 'string') return capText(v, MAX_CELL);
  if (typeof v === 'object') return capText(JSON.stringify(v), MAX_CELL);
  return v;
}

/** pg's queryMode (missing from its typings) forces the extended protocol, which refuses a second statement. */
function extended(text: string, values: unknown[]): QueryConfig {
  const config = { text, values, queryMode: 'extended' };
  return config;
}

function resolveBinds(spec: DatabaseSpec, args: Record<string, unknown>, ctx: ToolContext): unknown[] {
  return spec.binds.map((b) => {
    if ('param' in b) return args[b.param] ?? null;
    const v = ctx.env[b.env];
    if (v === undefined) {
      throw new ToolError(
        `environment variable ${b.env} (used in the query) is not set in the sidecar container; set it on the mcp-sidecar container`,
      );
    }
    return v;
  });
}

export async function runDatabase(
  spec: DatabaseSpec,
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<ToolResult> {
  let connectionString: string;
  if ('env' in spec.connection) {
    const v = ctx.env[spec.connection.env];
    if (!v) {
      throw new ToolError(
        `environment variable ${spec.connection.env} (the connection string) is not set in the sidecar container. ` +
          'Set it on the mcp-sidecar container from a Secret (env[].valueFrom.secretKeyRef).',
      );
    }
    connectionString = v;
  } else connectionString = spec.connection.literal;
  const values = resolveBinds(spec, args, ctx);
  const timeoutMs = budgetMs(spec.timeoutMs, ctx);
  const started = nowMs();
  const fail = (what: string, err: unknown) =>
    new ToolError(
      `${what} ${where(connectionString)}: ${redactDbError((err as Error).message ?? String(err), connectionString)}`,
      {
        code: (err as { code?: string }).code,
      },
    );

  const pool = await poolFor(connectionString);
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw fail('could not connect to', err);
  }
  let broken = false;
  let res: QueryResult;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
    // extended protocol: a single statement only, whatever the text holds
    if (spec.cursor) {
      await client.query(extended(`DECLARE meshmcp_rows NO SCROLL CURSOR FOR ${spec.sql}`, values));
      res = await client.query(`FETCH ${spec.maxRows + 1} FROM meshmcp_rows`);
    } else {
      res = await client.query(extended(spec.sql, values));
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    const hint =
      code === '57014'
        ? ` (the query ran longer than ${Math.floor(timeoutMs)} ms; make it cheaper or raise timeout:)`
        : code === '25006'
          ? ' (database tools are read-only)'
          : '';
    broken = !code; // a protocol or socket failure: do not return this connection to the pool
    throw new ToolError(`${fail('query failed on', err).message}${hint}`, { code });
  } finally {
    try {
      if (!broken) await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    client.release(broken);
  }

  const truncated = res.rows.length > spec.maxRows;
  const rows = res.rows.slice(0, spec.maxRows).map((r: Record<string, unknown>) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) o[k] = cell(v);
    return o;
  });
  const columns = res.fields.map((f) => f.name);
  const durationMs = roundMs(nowMs() - started);
  const lines = [columns.join(' | ')];
  for (const r of rows)
    lines.push(
      columns.map((c) => (r[c] === null ? 'NULL' : typeof r[c] === 'string' ? r[c] : JSON.stringify(r[c]))).join(' | '),
    );
  const head = `${rows.length} row${rows.length === 1 ? '' : 's'}${truncated ? ` (truncated: more than ${spec.maxRows} rows; narrow the query)` : ''} in ${durationMs} ms`;
  return toolResult(`${head}\n${capText(lines.join('\n'), MAX_TEXT)}`, {
    columns,
    rows,
    row_count: rows.length,
    truncated,
    duration_ms: durationMs,
  });
}

/** One line on what the tool does, for its description. */
export function describeDatabase(spec: DatabaseSpec): string {
  return `Runs a read-only PostgreSQL query (at most ${spec.maxRows} rows, values bound as parameters): ${spec.sql.replace(/\s+/g, ' ')}`;
}
