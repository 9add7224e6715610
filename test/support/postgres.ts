// Starts a throwaway PostgreSQL on loopback for database tool tests: initdb into a temp dir, pg_ctl start, stop + delete.
import { execFile } from 'node:child_process';
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findBinary, skipLine } from './optionalBinaries.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

export interface PostgresServer {
  /** TCP URL of the reader role (password authentication over loopback) */
  url: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** a connected superuser client over the unix socket, for test setup; the caller ends it */
  admin(): Promise<pg.Client>;
  stop(): Promise<void>;
}

function userIds(user: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`running as root but there is no ${user} user to run the test PostgreSQL as`);
}

/** PostgreSQL refuses to run as root, so as root the server commands run as the postgres user. */
function serverUser(): {
  wrap: (cmd: string, args: string[]) => [string, string[]];
  ids?: { uid: number; gid: number };
} {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  return { wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]], ids: userIds('postgres') };
}

/** Starts PostgreSQL with a `reader` role (password) owning database `meshmcp`. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findBinary('postgres');
  if (!bin) throw new Error(skipLine('postgres'));
  const { wrap, ids } = serverUser();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meshmcp-pg-'));
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const exec = async (cmd: string, args: string[]) => {
    const [c, a] = wrap(path.join(bin, cmd), args);
    try {
      return await run(c, a, { timeout: 60_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${cmd} failed: ${e.stderr || e.message}`);
    }
  };
  const port = await freePort();
  const superuser = 'meshmcp_admin';
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, 'unused\n');
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  await exec('initdb', [
    '-D',
    data,
    '-U',
    superuser,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    `--pwfile=${pwfile}`,
    '-E',
    'UTF8',
    '--no-locale',
  ]);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=off`;
  await exec('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);

  const admin = async () => {
    const c = new pg.Client({ host: dir, port, user: superuser, database: 'postgres' });
    await c.connect();
    return c;
  };
  const password = 'reader-s3cret-pw';
  const c = await admin();
  try {
    await c.query(`CREATE ROLE reader LOGIN PASSWORD '${password}'`);
    await c.query('CREATE DATABASE meshmcp OWNER reader');
  } finally {
    await c.end();
  }
  let stopped = false;
  return {
    url: `postgres://reader:${password}@127.0.0.1:${port}/meshmcp`,
    port,
    database: 'meshmcp',
    user: 'reader',
    password,
    admin: async () => {
      const a = new pg.Client({ host: dir, port, user: superuser, database: 'meshmcp' });
      await a.connect();
      return a;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
