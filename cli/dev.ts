// `meshmcp dev`: runs the demo services of the seed (payment-service, user-service, mqtt-publisher), each with its
// MCP sidecar, as separate processes like pods, on loopback. Stops everything on Ctrl-C or when one part dies.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIDECAR_NODE_FLAGS } from '../sidecar/nodeFlags.js';
import { helpText, type OptionSpec, type OptionValues, runCommand } from './options.js';

const OPTIONS: OptionSpec[] = [
  {
    flag: 'app-base-port',
    type: 'number',
    default: 8081,
    description: 'first demo app port (payment-service; the next ones follow)',
  },
  {
    flag: 'sidecar-base-port',
    type: 'number',
    default: 3001,
    description: 'first MCP sidecar port (payment-service; the next ones follow)',
  },
  { flag: 'log-dir', type: 'string', defaultText: 'a new temporary directory', description: 'where the demo apps log' },
  {
    flag: 'prometheus-url',
    env: 'PROMETHEUS_URL',
    type: 'string',
    description: 'Prometheus the sidecars query for prometheus tools (none by default)',
  },
];

const HELP = helpText(
  'meshmcp dev [options]',
  'Runs the local mesh: the three seed services with their MCP sidecars on 127.0.0.1.',
  OPTIONS,
);

export const DEV_SERVICES = ['payment-service', 'user-service', 'mqtt-publisher'] as const;

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Part {
  name: string;
  child: ChildProcess;
}

function start(name: string, args: string[], parts: Part[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    parts.push({ name, child });
    let ready = false;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        if (!ready && line.includes('"listening"')) {
          ready = true;
          resolve();
        }
        process.stdout.write(`[${name}] ${line}\n`);
      }
    });
    child.stderr!.on('data', (c: Buffer) => process.stderr.write(`[${name}] ${c}`));
    child.on('exit', (code, signal) => {
      if (!ready) reject(new Error(`${name} exited before it was ready (code ${code ?? signal})`));
    });
  });
}

export function main(argv: string[]): Promise<number> {
  return runCommand('dev', OPTIONS, HELP, argv, dev);
}

async function dev(values: OptionValues): Promise<number> {
  const sidecarBundle = join(root, 'dist/sidecar-bundle/meshmcp-sidecar.mjs');
  if (!existsSync(sidecarBundle)) {
    process.stderr.write('meshmcp dev: the sidecar bundle is missing; run `npm run build` first.\n');
    return 1;
  }
  const logRoot =
    typeof values['log-dir'] === 'string' ? values['log-dir'] : mkdtempSync(join(tmpdir(), 'meshmcp-dev-'));
  const appBase = values['app-base-port'] as number;
  const sidecarBase = values['sidecar-base-port'] as number;
  const parts: Part[] = [];
  // The admin endpoints want a token, as in the seed: the demo app gets it as a flag, the sidecars from the
  // environment (value_from in tools.yaml), the way a Kubernetes Secret would provide it.
  const adminToken = randomBytes(16).toString('hex');
  const env = { ...process.env, ADMIN_TOKEN_SECRET: adminToken };
  const prometheus = typeof values['prometheus-url'] === 'string' ? ['--prometheus-url', values['prometheus-url']] : [];
  const stopAll = () => {
    for (const p of parts) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  };
  try {
    for (const [i, svc] of DEV_SERVICES.entries()) {
      const logDir = join(logRoot, svc);
      process.stdout.write(`starting ${svc} (app :${appBase + i}, sidecar :${sidecarBase + i})...\n`);
      await start(
        svc,
        [
          join(root, 'bin/meshmcp.js'),
          'demo',
          svc,
          '--port',
          String(appBase + i),
          '--log-dir',
          logDir,
          '--admin-token',
          adminToken,
        ],
        parts,
        env,
      );
      const tools = join(root, 'demo/tools', `${svc}.yaml`);
      await start(
        `${svc}-mcp`,
        [
          ...SIDECAR_NODE_FLAGS,
          sidecarBundle,
          '--service-name',
          svc,
          '--port',
          String(sidecarBase + i),
          '--app-url',
          `http://127.0.0.1:${appBase + i}`,
          '--log-dir',
          logDir,
          '--tools-config',
          tools,
          ...prometheus,
        ],
        parts,
        env,
      );
    }
  } catch (err) {
    process.stderr.write(`meshmcp dev: ${(err as Error).message}; stopping.\n`);
    stopAll();
    return 1;
  }
  process.stdout.write(
    `\nlocal mesh is up (logs in ${logRoot}). MCP endpoints:\n${DEV_SERVICES.map((s, i) => `  ${s.padEnd(16)} http://127.0.0.1:${sidecarBase + i}/mcp`).join('\n')}\n` +
      `try: npx meshmcp list --url http://127.0.0.1:${sidecarBase}/mcp\n` +
      `     npx meshmcp call get_health --url http://127.0.0.1:${sidecarBase}/mcp\nCtrl-C stops everything.\n`,
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (code: number) => {
      if (stopping) return;
      stopping = true;
      stopAll();
      let left = parts.filter((p) => p.child.exitCode === null).length;
      if (left === 0) resolve(code);
      for (const p of parts) {
        p.child.once('exit', () => {
          if (--left === 0) resolve(code);
        });
      }
    };
    process.once('SIGINT', () => shutdown(0));
    process.once('SIGTERM', () => shutdown(0));
    for (const p of parts) {
      p.child.once('exit', (code, signal) => {
        if (stopping) return;
        process.stderr.write(`meshmcp dev: ${p.name} stopped (${code ?? signal}); stopping the rest.\n`);
        shutdown(1);
      });
    }
  });
}
