// database executor against a real PostgreSQL on loopback: bound parameters, READ ONLY, statement timeout, row cap,
// credential redaction and the lazily created pool.
// @module-tag postgres
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabasePools } from '../../../sidecar/toolsConfig/database/execute.js';
import { buildTools, parseToolsConfig } from '../../../sidecar/toolsConfig/index.js';
import type { Tool } from '../../../sidecar/types.js';
import { freePort } from '../../support/ports.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { callTool, testContext } from '../../support/toolContext.js';

let pg: PostgresServer;
let tools: Map<string, Tool>;

const dbExample = readFileSync(new URL('../../fixtures/tools/single-tool-database.yaml', import.meta.url), 'utf8')
  .trimEnd()
  .split('\n')
  .map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`))
  .join('\n');

const YAML = `${dbExample}
- name: payments_by_status
  description: Payments in one state
  type: database
  params:
    status: {type: string, enum: [settled, failed, "x' OR '1'='1"]}
    min_amount: {type: number, required: false}
  config:
    connection_string: $DATABASE_URL
    query: |
      SELECT id, status, amount, created_at, meta
      FROM payments
      WHERE status = {status} AND ({min_amount}::numeric IS NULL OR amount >= {min_amount})
      ORDER BY id;
- {name: bump_sequence, description: d, type: database, config: {connection_string: $DATABASE_URL, query: "SELECT nextval('payments_id_seq')"}}
- {name: slow, description: d, type: database, config: {connection_string: $DATABASE_URL, query: "SELECT pg_sleep(5)", timeout: 300ms}}
- {name: version, description: d, type: database, config: {connection_string: $DATABASE_URL, query: SHOW server_version}}
- {name: pool_size, description: d, type: database, config: {connection_string: $DATABASE_URL, query: "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'meshmcp-sidecar'"}}
- {name: wrong_password, description: d, type: database, config: {connection_string: $BAD_DATABASE_URL, query: SELECT 1}}
`;

beforeAll(async () => {
  pg = await startPostgres();
  const admin = await pg.admin();
  try {
    await admin.query('SET ROLE reader');
    await admin.query(
      'CREATE TABLE payments (id serial PRIMARY KEY, status text NOT NULL, amount numeric NOT NULL, created_at timestamptz NOT NULL, meta jsonb)',
    );
    await admin.query(
      `INSERT INTO payments (status, amount, created_at, meta)
       SELECT CASE WHEN g % 2 = 0 THEN 'failed' ELSE 'settled' END, g, '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 minute', jsonb_build_object('n', g)
       FROM generate_series(1, 250) g`,
    );
  } finally {
    await admin.end();
  }
  tools = new Map(
    buildTools(parseToolsConfig(YAML, 'tools.yaml', { serviceName: 'payment-service' })).map((t) => [t.name, t]),
  );
});

afterAll(async () => {
  await closeDatabasePools();
  await pg?.stop();
});

const env = () => ({
  DATABASE_URL: pg.url,
  DATABASE_NAME: pg.database,
  BAD_DATABASE_URL: pg.url.replace(pg.password, 'Wr0ngPassw0rd'),
});
const run = (name: string, args: Record<string, unknown> = {}, e: Record<string, string> = env()) =>
  callTool(tools.get(name)!, args, testContext({ env: e }));

describe('database executor', () => {
  it("runs the pg_stat_activity example with '$DATABASE_NAME' bound, not spliced", async () => {
    const r = await run('get_connection_pool_stats');
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent!['columns']).toEqual(expect.arrayContaining(['pid', 'datname', 'state']));
    const rows = r.structuredContent!['rows'] as { datname: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.datname === 'meshmcp')).toBe(true);
    expect(tools.get('get_connection_pool_stats')!.annotations.readOnlyHint).toBe(true);
  });

  it('binds params, caps rows and says so', async () => {
    const r = await run('payments_by_status', { status: 'failed' });
    expect(r.structuredContent).toMatchObject({ row_count: 100, truncated: true });
    const rows = r.structuredContent!['rows'] as Record<string, unknown>[];
    expect(rows[0]).toEqual({
      id: 2,
      status: 'failed',
      amount: '2',
      created_at: '2024-01-01T00:02:00.000Z',
      meta: '{"n":2}',
    });
    expect(r.content[0]!.text).toContain('100 rows (truncated: more than 100 rows; narrow the query)');
    expect(r.content[0]!.text).toContain('id | status | amount | created_at | meta');
  });

  it('binds an absent optional param as NULL and a present one as its value', async () => {
    const all = await run('payments_by_status', { status: 'settled', min_amount: 240 });
    expect((all.structuredContent!['rows'] as { id: number }[]).map((r) => r.id)).toEqual([241, 243, 245, 247, 249]);
    expect(all.structuredContent!['truncated']).toBe(false);
  });

  it('treats an injection attempt as a plain value', async () => {
    const r = await run('payments_by_status', { status: "x' OR '1'='1" });
    expect(r.structuredContent).toMatchObject({ row_count: 0, truncated: false });
  });

  it('runs inside a READ ONLY transaction', async () => {
    await expect(run('bump_sequence')).rejects.toThrow(/read-only transaction.*\(database tools are read-only\)/);
  });

  it('enforces the statement timeout', async () => {
    await expect(run('slow')).rejects.toThrow(/canceling statement due to statement timeout.*ran longer than/);
  });

  it('runs SHOW without a cursor', async () => {
    const r = await run('version');
    expect(r.structuredContent!['columns']).toEqual(['server_version']);
    expect(r.structuredContent!['row_count']).toBe(1);
  });

  it('keeps to a small pool', async () => {
    await Promise.all([run('version'), run('version'), run('version'), run('version')]);
    const r = await run('pool_size');
    expect((r.structuredContent!['rows'] as { n: number }[])[0]!.n).toBeLessThanOrEqual(2);
  });

  it('never shows a password in errors', async () => {
    const err = await run('wrong_password').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /could not connect to 127\.0\.0\.1:\d+\/meshmcp: password authentication failed/,
    );
    expect((err as Error).message).not.toContain('Wr0ngPassw0rd');
    expect((err as Error).message).not.toContain(pg.password);
  });

  it('names a missing connection variable', async () => {
    await expect(run('version', {}, {})).rejects.toThrow(/DATABASE_URL \(the connection string\) is not set/);
    await expect(run('get_connection_pool_stats', {}, { DATABASE_URL: pg.url })).rejects.toThrow(/DATABASE_NAME/);
  });

  it('reports an unreachable database as a ToolError', async () => {
    const port = await freePort();
    await expect(
      run('version', {}, { DATABASE_URL: `postgres://reader:pw-x@127.0.0.1:${port}/meshmcp` }),
    ).rejects.toThrow(`could not connect to 127.0.0.1:${port}/meshmcp`);
  });
});
