// A real control plane on loopback for the cluster tier: etcd and kube-apiserver (RBAC, token auth, service-account
// tokens), started from the binaries test/cluster/tools/build.sh built, stopped and cleaned up at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../../support/ports.js';
import { requireTool } from '../tools/tools.js';

export interface Cluster {
  /** https://127.0.0.1:<port> */
  server: string;
  /** The serving certificate bundle kube-apiserver generated (its own CA included). */
  caData: string;
  /** A token of user `admin` in group system:masters. */
  adminToken: string;
  /** The temp dir with data, logs and keys; removed by stop(). */
  dir: string;
  kubeConfig(token: string, user?: string): KubeConfig;
  /** Writes a kubeconfig file for this token (for `meshmcp control --kubeconfig`). */
  kubeConfigFile(token: string, user?: string): string;
  /** Stops kube-apiserver and starts it again on the same etcd, port and keys; resolves once /readyz answers 200. */
  restartApiServer(): Promise<void>;
  /** Stops kube-apiserver (etcd keeps running); its port then refuses connections. */
  stopApiServer(): Promise<void>;
  /** Starts the stopped kube-apiserver again, as restartApiServer does; resolves once /readyz answers 200. */
  startApiServer(): Promise<void>;
  /** The last lines of both logs, for failure messages. */
  logTail(): string;
  stop(): Promise<void>;
}

const READY_WAIT_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
  exitCode(): number | null | undefined;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function launch(name: string, bin: string, args: string[], log: string): Proc {
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A worker that dies without running afterAll must not leave a kube-apiserver behind.
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? -1 : null);
      live.delete(child);
      resolve(code);
    }),
  );
  return { name, child, log, exited, exitCode: () => code };
}

async function terminate(p: Proc): Promise<void> {
  if (p.exitCode() !== undefined) return;
  p.child.kill('SIGTERM');
  const done = await Promise.race([p.exited.then(() => true), sleep(20_000).then(() => false)]);
  if (!done) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** GET over TLS with a bearer token; resolves with the status (0 when nothing answered). */
function probe(url: string, token: string, ca: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        headers: { authorization: `Bearer ${token}` },
        agent: new Agent(ca ? { ca } : { rejectUnauthorized: false }),
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

async function waitFor(what: string, p: Proc, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_WAIT_MS;
  while (Date.now() < deadline) {
    if (p.exitCode() !== undefined) {
      throw new Error(`${p.name} exited (${p.exitCode()}) before ${what}; its log ends:\n${tail(p.log)}`);
    }
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${READY_WAIT_MS / 1000} s; ${p.name}'s log ends:\n${tail(p.log)}`);
}

/** Tries a start this many times when a port the harness picked was taken before etcd or kube-apiserver bound it. */
const PORT_RACE_ATTEMPTS = 3;

export async function startCluster(): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce();
    } catch (err) {
      const lost = err instanceof Error && /address already in use/.test(err.message);
      if (!lost || attempt >= PORT_RACE_ATTEMPTS) throw err;
      process.stderr.write(`cluster: a port was taken before it was bound (attempt ${attempt}); trying new ports\n`);
    }
  }
}

async function startClusterOnce(): Promise<Cluster> {
  const etcdBin = requireTool('etcd');
  const apiserverBin = requireTool('kube-apiserver');
  const dir = mkdtempSync(join(tmpdir(), 'meshmcp-cluster-'));
  const procs: { etcd?: Proc; apiserver?: Proc } = {};
  const stop = async () => {
    if (procs.apiserver) await terminate(procs.apiserver);
    if (procs.etcd) await terminate(procs.etcd);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    procs.etcd = launch(
      'etcd',
      etcdBin,
      [
        '--name=meshmcp-test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=meshmcp-test=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    const etcd = procs.etcd;
    await waitFor('etcd answered /health', etcd, async () => {
      const res = await fetch(`${etcdUrl}/health`).catch(() => undefined);
      return res?.ok === true;
    });

    const adminToken = `admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},admin,admin-uid,"system:masters"\n`);
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    mkdirSync(join(dir, 'pki'));
    const server = `https://127.0.0.1:${securePort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--cert-dir=${join(dir, 'pki')}`,
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // It would write its own loopback address into the kubernetes Endpoints, which validation refuses.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=1',
    ];
    const apiserverLog = join(dir, 'kube-apiserver.log');
    const startApiServer = async () => {
      procs.apiserver = launch('kube-apiserver', apiserverBin, apiserverArgs, apiserverLog);
      const p = procs.apiserver;
      await waitFor('kube-apiserver answered /readyz', p, async () => {
        const res = await probe(`${server}/readyz`, adminToken, undefined);
        return res.status === 200;
      });
    };
    await startApiServer();
    const caData = readFileSync(join(dir, 'pki', 'apiserver.crt'), 'utf8');
    const check = await probe(`${server}/readyz`, adminToken, caData);
    if (check.status !== 200) {
      throw new Error(`kube-apiserver's serving certificate does not verify against ${dir}/pki/apiserver.crt`);
    }

    const kubeConfig = (token: string, user = 'user') => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'meshmcp-test', server, caData: Buffer.from(caData).toString('base64') }],
        users: [{ name: user, token }],
        contexts: [{ name: user, cluster: 'meshmcp-test', user }],
        currentContext: user,
      });
      return kc;
    };
    let files = 0;
    return {
      server,
      caData,
      adminToken,
      dir,
      kubeConfig,
      kubeConfigFile(token, user = 'user') {
        const file = join(dir, `kubeconfig-${user}-${++files}.json`);
        writeFileSync(file, kubeConfig(token, user).exportConfig(), { mode: 0o600 });
        return file;
      },
      async restartApiServer() {
        if (procs.apiserver) await terminate(procs.apiserver);
        await startApiServer();
      },
      async stopApiServer() {
        if (procs.apiserver) await terminate(procs.apiserver);
      },
      startApiServer,
      logTail: () => `--- kube-apiserver.log\n${tail(apiserverLog)}\n--- etcd.log\n${tail(join(dir, 'etcd.log'))}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
