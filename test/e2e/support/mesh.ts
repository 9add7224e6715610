// Starts the whole local mesh (`meshmcp dev`, as `npm start` runs it) for an end-to-end test file: every port on a
// free run, files in a temporary directory, known API keys; and reads what the mesh leaves behind (pids.json, the
// gateway's audit lines, its admin metrics). No vitest here: a test file wires start and stop into its hooks.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_PORT_RUN_LENGTH, type DevPortRun, devPortRun, devPortRunFlags } from '../../../cli/devMesh.js';
import { freePortRun } from '../../../cli/devProcesses.js';
import { findPrometheus } from '../../../cli/devPrometheus.js';
import { ROOT } from '../../support/cli.js';

export const SERVICES = ['payment-service', 'user-service', 'mqtt-publisher'] as const;
export type Service = (typeof SERVICES)[number];

/** How long a mesh may take to come up: ~10 s on 2 idle cores, more while other test files run beside it. */
const START_WAIT_MS = 150_000;
const STOP_WAIT_MS = 30_000;
/** The line `meshmcp dev` prints last once every part is ready. */
const READY_LINE = 'Ctrl-C stops everything';

export type MeshPorts = DevPortRun;

export interface AuditLine {
  kind: 'mcp_audit';
  request_id: string;
  client?: string;
  groups?: string[];
  method?: string;
  service?: string;
  tool?: string;
  decision?: string;
  status: string;
  http_status: number;
  [k: string]: unknown;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface Mesh {
  /** The gateway's MCP endpoint. */
  url: string;
  adminKey: string;
  readonlyKey: string;
  ports: MeshPorts;
  dir: string;
  /** Whether the mesh runs Prometheus (the binary is installed and the caller did not opt out). */
  prometheus: boolean;
  /** Everything `meshmcp dev` printed so far (stdout and stderr). */
  output(): string;
  /** pids.json: part name → pid. */
  pids(): Record<string, number>;
  /** SIGKILLs one part (a pod that crashes) and waits until `meshmcp dev` reports it stopped. */
  kill(part: string): Promise<void>;
  /** POSTs one JSON-RPC message to the gateway, as a client would, with the given headers. */
  post(body: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  /** A part's audit lines so far (logs/<part>.log): the gateway's, or a pod proxy's (`<service>-proxy`, `logs-proxy`). */
  audit(part?: string): AuditLine[];
  /** Waits until a part has written an audit line for each of these request ids; returns all its lines so far. */
  waitForAudit(requestIds: string[], part?: string): Promise<AuditLine[]>;
  /**
   * Waits for the last audit line of a part that matches (the gateway writes a line once the answer has gone out,
   * so it may land just after the client has its reply).
   */
  lastAudit(match: (line: AuditLine) => boolean, part?: string): Promise<AuditLine>;
  /** The gateway admin port's /stats/prometheus as `name{labels}` → value (histogram buckets left out). */
  metrics(): Promise<Map<string, number>>;
  /**
   * SIGTERM (or SIGINT: Ctrl-C), then waits for the exit (bounded): the exit code, the whole output, and the parts
   * of pids.json still running after it. Removes the directory when the exit was clean.
   */
  stop(signal?: 'SIGTERM' | 'SIGINT'): Promise<Stopped>;
}

export interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Parts (pids.json names) whose process was still alive once `meshmcp dev` had exited. */
  leftover: string[];
}

export interface MeshOptions {
  /** --rate-limit: calls per second per caller through the gateway. */
  rateLimit?: number;
  /** Start Prometheus when the binary is installed (default true); false passes --no-prometheus. */
  prometheus?: boolean;
  /** --kubeconfig (and --kube-namespaces): run the kubernetes pack against that cluster. */
  kubeconfig?: string;
  kubeNamespaces?: string;
}

export const ADMIN_KEY = 'e2e-admin-key-0001';
export const READONLY_KEY = 'e2e-readonly-key-0001';

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
// Last resort if a test file dies between start and stop: SIGTERM lets `meshmcp dev` stop every part it started.
process.once('exit', () => {
  for (const c of live) c.kill('SIGTERM');
});

function spawnDev(args: string[]): Running {
  let out = '';
  const child = spawn(process.execPath, ['bin/meshmcp.js', 'dev', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

function stopChild(
  r: Running,
  signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return r.exited;
  r.child.kill(signal);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), STOP_WAIT_MS);
  return r.exited.finally(() => clearTimeout(timer));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.includes('_bucket{')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function startMesh(opts: MeshOptions = {}): Promise<Mesh> {
  const prometheus = opts.prometheus !== false && findPrometheus() !== undefined;
  const dir = await mkdtemp(join(tmpdir(), 'meshmcp-e2e-'));
  let run: Running | undefined;
  let ports: MeshPorts | undefined;
  // Another test's process may take a port between the check and the listen: `meshmcp dev` then refuses to start
  // ("already in use"), and a new run of ports is tried.
  for (let attempt = 1; attempt <= 3 && !run; attempt++) {
    const p = devPortRun(await freePortRun(DEV_PORT_RUN_LENGTH));
    const r = spawnDev([
      ...['--dir', dir, '--api-key', ADMIN_KEY, '--readonly-api-key', READONLY_KEY],
      ...devPortRunFlags(p),
      ...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []),
      ...(opts.kubeNamespaces ? ['--kube-namespaces', opts.kubeNamespaces] : []),
      ...(prometheus ? [] : ['--no-prometheus']),
      ...(opts.rateLimit !== undefined ? ['--rate-limit', String(opts.rateLimit)] : []),
    ]);
    try {
      await until(`meshmcp dev to print "${READY_LINE}" and write pids.json`, START_WAIT_MS, () => {
        if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error('exited');
        return r.output().includes(READY_LINE) && existsSync(join(dir, 'pids.json')) ? true : undefined;
      });
      run = r;
      ports = p;
    } catch (err) {
      await stopChild(r);
      const retry = r.output().includes('already in use') && attempt < 3;
      if (!retry) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`meshmcp dev did not come up (${(err as Error).message}); its output:\n${r.output()}`);
      }
    }
  }
  const running = run!;
  live.add(running.child);
  const p = ports!;
  const audit = (part = 'gateway'): AuditLine[] => {
    const file = join(dir, 'logs', `${part}.log`);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const out: AuditLine[] = [];
    for (const line of text.split('\n')) {
      if (!line.includes('"mcp_audit"')) continue;
      try {
        out.push(JSON.parse(line) as AuditLine);
      } catch {
        // A line being written right now; the next read has it whole.
      }
    }
    return out;
  };

  const pids = (): Record<string, number> =>
    JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as Record<string, number>;

  return {
    url: `http://127.0.0.1:${p.gateway}/mcp`,
    adminKey: ADMIN_KEY,
    readonlyKey: READONLY_KEY,
    ports: p,
    dir,
    prometheus,
    output: running.output,
    pids,
    async kill(part) {
      const pid = pids()[part];
      if (pid === undefined) throw new Error(`no part ${part} in pids.json: ${JSON.stringify(pids())}`);
      process.kill(pid, 'SIGKILL');
      await until(`meshmcp dev to report that ${part} stopped`, 15_000, () =>
        running.output().includes(`meshmcp dev: ${part} stopped`) ? true : undefined,
      );
    },
    async post(body, headers = {}) {
      const res = await fetch(`http://127.0.0.1:${p.gateway}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      // A 2025-11-25 answer may come as one server-sent event: its data line is the JSON-RPC message.
      const payload = res.headers.get('content-type')?.startsWith('text/event-stream')
        ? (text
            .split('\n')
            .findLast((l) => l.startsWith('data:'))
            ?.slice(5) ?? '')
        : text;
      let json: any;
      try {
        json = payload ? JSON.parse(payload) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    audit,
    lastAudit(match, part = 'gateway') {
      return until(`a matching audit line in logs/${part}.log`, 15_000, () => audit(part).findLast(match));
    },
    waitForAudit(requestIds, part = 'gateway') {
      return until(`audit lines for ${requestIds.join(', ')} in logs/${part}.log`, 15_000, () => {
        const lines = audit(part);
        const seen = new Set(lines.map((l) => l.request_id));
        return requestIds.every((id) => seen.has(id)) ? lines : undefined;
      });
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${p.admin}/stats/prometheus`);
      if (!res.ok) throw new Error(`GET /stats/prometheus on the gateway admin port answered ${res.status}`);
      return parseMetrics(await res.text());
    },
    async stop(how = 'SIGTERM') {
      const parts = pids();
      const { code, signal } = await stopChild(running, how);
      live.delete(running.child);
      const leftover = Object.entries(parts)
        .filter(([, pid]) => isRunning(pid))
        .map(([name]) => name);
      // A mesh that did not stop cleanly keeps its directory (logs/<part>.log) for whoever reads the failure.
      if (code === 0 && leftover.length === 0) await rm(dir, { recursive: true, force: true });
      return { code, signal, output: running.output(), leftover };
    },
  };
}

/** The difference of two metric snapshots, only the series that changed. */
export function metricsDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
