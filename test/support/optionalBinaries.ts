// The binaries some suites drive for real but a developer machine may lack: PostgreSQL, Prometheus and openssl.
// `.ci/run` installs all three, so CI runs every suite. Each is a vitest tag: a file that needs one says so with
// `// @module-tag <name>` in its first lines, a describe with `{ tags: ['<name>'] }`. vitest.config.ts defines the
// tags from binaryTags(): where the binary is missing the tagged tests are skipped before any of their hooks run,
// and the summary reporter prints skipLine() once for it, naming the binary and how to install it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { findPrometheus } from '../../cli/devPrometheus.js';

export type OptionalBinary = 'postgres' | 'prometheus' | 'openssl';

const POSTGRES_ROOTS = ['/usr/lib/postgresql', '/usr/local/lib/postgresql'];

/** The newest PostgreSQL bin directory holding initdb and pg_ctl, in the Debian/Ubuntu layout. */
export function findPostgresBin(): string | undefined {
  for (const root of POSTGRES_ROOTS) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = path.join(root, v, 'bin');
      if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
    }
  }
  return undefined;
}

function findOpenssl(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    return undefined;
  }
}

const BINARIES: Record<OptionalBinary, { find: () => string | undefined; install: string }> = {
  postgres: { find: findPostgresBin, install: 'apt-get install postgresql' },
  prometheus: { find: findPrometheus, install: 'apt-get install prometheus' },
  openssl: { find: findOpenssl, install: 'apt-get install openssl' },
};

export const OPTIONAL_BINARIES = Object.keys(BINARIES) as OptionalBinary[];

/** Where the binary is (a path, or a command on PATH), or undefined when it is not installed. */
export function findBinary(name: OptionalBinary): string | undefined {
  return BINARIES[name].find();
}

/** Why a tagged test was skipped: the binary and how to install it. Also the error of a helper asked to start it. */
export function skipLine(name: OptionalBinary): string {
  return `${name} is not installed: install it with \`${BINARIES[name].install}\` (.ci/run does)`;
}

/** vitest.config.ts's tag definitions: one per binary, skipping the tests tagged with it when it is missing. */
export function binaryTags(): { name: OptionalBinary; description: string; skip: boolean }[] {
  return OPTIONAL_BINARIES.map((name) => {
    const missing = findBinary(name) === undefined;
    return { name, description: missing ? skipLine(name) : `needs ${name}`, skip: missing };
  });
}
