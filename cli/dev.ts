// `meshmcp dev` (what `npm start` runs): the whole local mesh on 127.0.0.1, each part its own process like a pod:
// demo apps, their MCP sidecars, a pod proxy per service (meshmcp.wasm in sidecar mode, mTLS with SPIFFE
// certificates from a throwaway CA), the control service with static discovery, and the gateway (meshmcp.wasm in
// gateway mode) at http://127.0.0.1:3000/mcp. Ctrl-C stops everything; a part that dies is reported.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_CONFIG_FILE, sidecarConfigFile } from '../control/filterFiles.js';
import { SESSION_KEYS_ENV } from '../control/render/envoyFilter.js';
import { writeFileAtomicSync } from '../shared/atomicWrite.js';
import { commaList, helpText, type OptionSpec, type OptionValues, runCommand, UsageError } from '../shared/options.js';
import { SIDECAR_NODE_FLAGS } from '../sidecar/nodeFlags.js';
import { parseToolsConfig } from '../sidecar/toolsConfig/parse.js';
import { createDevCa, type IssuedCert } from './devCa.js';
import {
  allPorts,
  banner,
  DEV_NAMESPACE,
  DEV_SERVICES,
  type DevKeys,
  type DevPorts,
  GATEWAY_SPIFFE,
  KUBE_SERVICE,
  LOGS_SERVICE,
  meshYaml,
  PACK_SERVICE,
  podSpiffe,
  servicesYaml,
  UPSTREAM_SERVERS,
  upstreamMcpPort,
} from './devMesh.js';
import { inspectRefusal, ProcessGroup, portFree } from './devProcesses.js';
import { startDevPrometheus } from './devPrometheus.js';
import { startUpstream } from './devUpstreams.js';

export { DEV_SERVICES } from './devMesh.js';

const OPTIONS: OptionSpec[] = [
  { flag: 'port', type: 'number', default: 3000, description: 'the gateway: the MCP endpoint clients use' },
  { flag: 'api-key', env: 'MESHMCP_API_KEY', type: 'string', defaultText: 'random', description: 'the admin API key' },
  {
    flag: 'readonly-api-key',
    env: 'MESHMCP_READONLY_API_KEY',
    type: 'string',
    defaultText: 'random',
    description: 'the read-only API key (no tools that write)',
  },
  { flag: 'control-port', type: 'number', default: 3100, description: 'the control service' },
  { flag: 'app-base-port', type: 'number', default: 8081, description: 'first demo app port (the next ones follow)' },
  { flag: 'sidecar-base-port', type: 'number', default: 3101, description: 'first MCP sidecar port' },
  {
    flag: 'proxy-base-port',
    type: 'number',
    default: 3201,
    description: "first pod proxy port (each pod's mTLS front)",
  },
  { flag: 'admin-port', type: 'number', default: 15000, description: "the gateway's admin port (/stats/prometheus)" },
  {
    flag: 'no-prometheus',
    type: 'boolean',
    default: false,
    description: 'do not start Prometheus (by default it starts when the prometheus binary is installed)',
  },
  { flag: 'prometheus-port', type: 'number', default: 9090, description: 'port of that Prometheus' },
  {
    flag: 'pack-port',
    type: 'number',
    default: 8082,
    description: "the prometheus pack's MCP port (runs with Prometheus, as the service `prometheus`)",
  },
  { flag: 'pack-proxy-port', type: 'number', default: 3299, description: "the prometheus pack's pod proxy port" },
  {
    flag: 'logs-pack-port',
    type: 'number',
    default: 8083,
    description: "the logs pack's MCP port (the service `logs`: every demo app's logs, trace_request)",
  },
  { flag: 'logs-pack-proxy-port', type: 'number', default: 3298, description: "the logs pack's pod proxy port" },
  {
    flag: 'kubeconfig',
    type: 'string',
    description:
      "a cluster for the kubernetes pack: it runs as the service `kubernetes` with this kubeconfig's current context (its bearer token)",
  },
  {
    flag: 'kube-namespaces',
    type: 'string',
    defaultText: "the context's namespace, else default",
    description: 'the namespaces the kubernetes pack may read (comma-separated, or *)',
  },
  { flag: 'kube-pack-port', type: 'number', default: 8084, description: "the kubernetes pack's MCP port" },
  { flag: 'kube-pack-proxy-port', type: 'number', default: 3297, description: "the kubernetes pack's pod proxy port" },
  {
    flag: 'upstream-base-port',
    type: 'number',
    default: 8091,
    description: 'first port of the MCP servers of their own (everything, conformance, bridged)',
  },
  { flag: 'upstream-proxy-base-port', type: 'number', default: 3291, description: 'first port of their pod proxies' },
  {
    flag: 'bridge-port',
    type: 'number',
    default: 8094,
    description: 'the MCP sidecar in bridge mode in front of the server `bridged` (its MCP port)',
  },
  {
    flag: 'dir',
    type: 'string',
    defaultText: 'a new temporary directory',
    description: 'where the mesh keeps its certificates, configuration and logs',
  },
  {
    flag: 'rate-limit',
    type: 'number',
    default: 50,
    description: 'calls per second each caller may make through the gateway (bursts of 4 seconds’ worth)',
  },
  { flag: 'verbose', type: 'boolean', default: false, description: 'also print every audit line of the gateway' },
  {
    flag: 'inspect',
    type: 'string',
    description:
      "parts to start with Node's inspector on a free loopback port, comma-separated (e.g. control,gateway); " +
      'their URLs are printed, and kept in <dir>/inspectors.json',
  },
];

const HELP = helpText(
  'meshmcp dev [options]',
  'Runs the local mesh: the three demo services (payment-service, user-service, mqtt-publisher) with their MCP sidecars\n' +
    'and pod proxies, the logs pack, the control service and the gateway, on 127.0.0.1. Prints the endpoint, API keys\n' +
    'and client configurations when it is up.',
  OPTIONS,
);

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin/meshmcp.js');

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Builds what `npm run build` would, if it is missing (a checkout where only TypeScript was compiled). */
function buildMissing(): void {
  const needs: Array<[string, string]> = [
    [join(root, 'filter/build/meshmcp.wasm'), 'build:filter'],
    [join(root, 'dist/sidecar-bundle/meshmcp-sidecar.mjs'), 'build:sidecar'],
  ];
  for (const [file, script] of needs) {
    if (existsSync(file)) continue;
    say(`building ${file.slice(root.length)} (npm run ${script})...`);
    const r = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm run ${script} failed; run \`npm run build\` and look at its errors`);
  }
}

/** Full names of the demo tools that write (read_only: false), which the read-only group may not call. */
function writeTools(): string[] {
  const out: string[] = [];
  for (const s of DEV_SERVICES) {
    const file = join(root, 'demo/tools', `${s}.yaml`);
    const specs = parseToolsConfig(readFileSync(file, 'utf8'), file, { serviceName: s, appUrl: 'http://127.0.0.1' });
    for (const t of specs) if (!t.readOnly) out.push(`${s}__${t.name}`);
  }
  return out;
}

function ports(v: OptionValues): DevPorts {
  const n = (f: string) => {
    const p = v[f] as number;
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`--${f} must be a port 1-65535, got ${p}`);
    return p;
  };
  const app = n('app-base-port');
  const sidecar = n('sidecar-base-port');
  const front = n('proxy-base-port');
  const upstream = n('upstream-base-port');
  const upstreamProxy = n('upstream-proxy-base-port');
  return {
    gateway: n('port'),
    gatewayAdmin: n('admin-port'),
    control: n('control-port'),
    app: (i) => app + i,
    sidecar: (i) => sidecar + i,
    front: (i) => front + i,
    prometheus: n('prometheus-port'),
    pack: n('pack-port'),
    packProxy: n('pack-proxy-port'),
    logsPack: n('logs-pack-port'),
    logsPackProxy: n('logs-pack-proxy-port'),
    kubePack: n('kube-pack-port'),
    kubePackProxy: n('kube-pack-proxy-port'),
    upstream: (i) => upstream + i,
    upstreamProxy: (i) => upstreamProxy + i,
    bridge: n('bridge-port'),
  };
}

function key(v: unknown, flag: string): string {
  if (v === undefined) return `mk_${randomBytes(16).toString('hex')}`;
  const s = String(v);
  if (!/^[\x21-\x7e]{8,256}$/.test(s)) throw new UsageError(`--${flag} must be 8-256 printable characters, no spaces`);
  return s;
}

export function main(argv: string[]): Promise<number> {
  return runCommand('dev', OPTIONS, HELP, argv, dev);
}

async function dev(values: OptionValues): Promise<number> {
  const p = ports(values);
  const keys: DevKeys = {
    admin: key(values['api-key'], 'api-key'),
    readonly: key(values['readonly-api-key'], 'readonly-api-key'),
    logsPack: key(undefined, 'logs-pack-key'),
  };
  if (keys.admin === keys.readonly) throw new UsageError('--api-key and --readonly-api-key must differ');
  const rate = values['rate-limit'] as number;
  if (!(rate > 0 && rate <= 1_000_000)) throw new UsageError(`--rate-limit must be above 0, got ${rate}`);
  buildMissing();
  say('[1/6] checking ports...');
  const withPrometheus = values['no-prometheus'] !== true;
  const kubeconfig = typeof values['kubeconfig'] === 'string' ? values['kubeconfig'] : undefined;
  const taken: string[] = [];
  for (const [what, port] of allPorts(p, withPrometheus, kubeconfig !== undefined))
    if (!(await portFree(port))) taken.push(`${port} (${what})`);
  if (taken.length > 0) {
    throw new UsageError(
      `port ${taken.join(', ')} already in use (another meshmcp dev?); stop it or choose ports with --port, ` +
        '--control-port, --app-base-port, --sidecar-base-port, --proxy-base-port, --admin-port, --prometheus-port, ' +
        '--pack-port, --pack-proxy-port, --logs-pack-port, --logs-pack-proxy-port, --kube-pack-port, --kube-pack-proxy-port, ' +
        '--upstream-base-port, --upstream-proxy-base-port, --bridge-port',
    );
  }

  const workDir = typeof values['dir'] === 'string' ? values['dir'] : mkdtempSync(join(tmpdir(), 'meshmcp-dev-'));
  const dirs = { certs: join(workDir, 'certs'), filters: join(workDir, 'filters'), logs: join(workDir, 'logs') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });

  say('[2/6] certificates: a throwaway CA and SPIFFE identities for the gateway and each pod...');
  const ca = await createDevCa(dirs.certs);
  const gatewayCert = await ca.issue('gateway', GATEWAY_SPIFFE);
  const podCerts = await Promise.all(DEV_SERVICES.map((s) => ca.issue(s, podSpiffe(s))));
  const packCert = withPrometheus ? await ca.issue(PACK_SERVICE, podSpiffe(PACK_SERVICE)) : undefined;
  const logsCert = await ca.issue(LOGS_SERVICE, podSpiffe(LOGS_SERVICE));
  const upstreamCerts = await Promise.all(UPSTREAM_SERVERS.map((u) => ca.issue(u.name, podSpiffe(u.name))));
  // Before anything starts: a kubeconfig the pack cannot use stops here, with the reason.
  const kube = kubeconfig
    ? await (await import('./devKubernetes.js')).devKubernetes(
        kubeconfig,
        typeof values['kube-namespaces'] === 'string' ? values['kube-namespaces'] : undefined,
        workDir,
      )
    : undefined;
  const kubeCert = kube ? await ca.issue(KUBE_SERVICE, podSpiffe(KUBE_SERVICE)) : undefined;

  const inspect = new Set(commaList(values['inspect']));
  const group = new ProcessGroup(dirs.logs, root, inspect);
  const node = process.execPath;
  /** An MCP sidecar (or a tool pack) as its pod runs it: the bundle with the pod's Node flags. */
  const sidecar = (name: string, args: string[], env: NodeJS.ProcessEnv) =>
    group.start({
      name: `${name}-mcp`,
      command: node,
      args: [...SIDECAR_NODE_FLAGS, join(root, 'dist/sidecar-bundle/meshmcp-sidecar.mjs'), ...args],
      env,
      readyLine: 'listening',
    });
  /** A service's pod proxy: the filter in sidecar mode, mTLS with the pod's SPIFFE certificate, in front of port. */
  const podProxy = (service: string, port: number, upstream: number, cert: IssuedCert) =>
    group.start({
      name: `${service}-proxy`,
      command: node,
      args: [
        cli,
        'front',
        ...['--name', `${service}-proxy`],
        ...['--config-file', join(dirs.filters, sidecarConfigFile(DEV_NAMESPACE, service))],
        ...['--port', String(port), '--upstream', `http://127.0.0.1:${upstream}`],
        ...['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--tls-ca', ca.caFile],
      ],
      readyLine: '"listening"',
    });
  try {
    let prometheusUrl: string | undefined;
    if (withPrometheus) {
      say('[3/6] prometheus...');
      prometheusUrl = await startDevPrometheus(group, workDir, p, DEV_SERVICES.length);
      if (!prometheusUrl) say('      no prometheus binary (Debian package prometheus): the prometheus tools say so');
    } else say('[3/6] prometheus: off (--no-prometheus)');

    say(`[4/6] demo apps and MCP sidecars (${DEV_SERVICES.join(', ')}), the logs pack...`);
    const adminToken = randomBytes(16).toString('hex');
    const env = { ...process.env, ADMIN_TOKEN_SECRET: adminToken };
    await Promise.all(
      DEV_SERVICES.map(async (s, i) => {
        const logDir = join(workDir, 'app-logs', s);
        await group.start({
          name: s,
          command: node,
          args: [cli, 'demo', s, '--port', String(p.app(i)), '--log-dir', logDir, '--admin-token', adminToken],
          env,
          readyLine: 'listening',
        });
        await sidecar(
          s,
          [
            ...['--service-name', s, '--port', String(p.sidecar(i)), '--app-url', `http://127.0.0.1:${p.app(i)}`],
            ...['--log-dir', logDir, '--tools-config', join(root, 'demo/tools', `${s}.yaml`)],
            ...(prometheusUrl ? ['--prometheus-url', prometheusUrl] : []),
          ],
          env,
        );
      }),
    );

    // The logs pack, over every demo app's log directory (one folder each): its trace_request calls the gateway
    // back for the caller with a delegate key, kept in a file only the pack reads (not in its environment).
    const logsPackKey = join(workDir, 'logs-pack.key');
    writeFileSync(logsPackKey, `${keys.logsPack}\n`, { mode: 0o600 });
    const noTools = ['--tools-config', join(workDir, 'no-tools.yaml')];
    await sidecar(
      LOGS_SERVICE,
      [
        ...['--pack', 'logs', '--log-dir', join(workDir, 'app-logs'), '--port', String(p.logsPack)],
        ...['--gateway-url', `http://127.0.0.1:${p.gateway}/mcp`, '--gateway-key-file', logsPackKey, ...noTools],
      ],
      env,
    );
    say(`      MCP servers of their own: ${UPSTREAM_SERVERS.map((u) => u.name).join(', ')}...`);
    await Promise.all(UPSTREAM_SERVERS.map((u, i) => startUpstream(group, u.name, p.upstream(i))));
    // The bridged server's pod: a meshmcp sidecar in bridge mode on its MCP port, in front of it on loopback.
    await Promise.all(
      UPSTREAM_SERVERS.map((u, i) =>
        u.bridge
          ? sidecar(
              u.name,
              [
                ...[
                  '--bridge',
                  `http://127.0.0.1:${p.upstream(i)}${u.path}`,
                  '--bridge-protocols',
                  u.protocols.join(','),
                ],
                ...['--service-name', u.name, '--port', String(p.bridge)],
              ],
              env,
            )
          : undefined,
      ),
    );
    if (prometheusUrl) {
      // The prometheus pack: an MCP service of its own in the mesh, discovered, routed and audited like the others.
      await sidecar(
        PACK_SERVICE,
        ['--pack', 'prometheus', '--prometheus-url', prometheusUrl, '--port', String(p.pack), ...noTools],
        env,
      );
    }

    if (kube) {
      // The kubernetes pack, reading the kubeconfig's cluster as its context's user, in the allowed namespaces.
      await sidecar(
        KUBE_SERVICE,
        ['--pack', 'kubernetes', ...kube.flags, '--port', String(p.kubePack), ...noTools],
        env,
      );
    }

    say('[5/6] control service (collecting every sidecar’s tools)...');
    writeFileSync(join(workDir, 'services.yaml'), servicesYaml(p, prometheusUrl !== undefined, kube !== undefined));
    writeFileSync(join(workDir, 'mesh.yaml'), meshYaml(p, keys, writeTools(), rate));
    await group.start({
      name: 'control',
      command: node,
      args: [
        cli,
        'control',
        ...['--config', join(workDir, 'mesh.yaml'), '--services-file', join(workDir, 'services.yaml')],
        ...['--filter-config-dir', dirs.filters, '--port', String(p.control), '--cache-ttl', '30'],
        // Any port of the loopback names, as the MCP SDK's own localhost check allows (a client may come through a
        // local forwarder); any other Origin is refused.
        ...['--allowed-origins', 'http://127.0.0.1:*,http://localhost:*'],
      ],
      readyUrl: `http://127.0.0.1:${p.control}/readyz`,
    });

    say('[6/6] pod proxies (sidecar mode, mTLS) and the gateway (gateway mode)...');
    await Promise.all(DEV_SERVICES.map((s, i) => podProxy(s, p.front(i), p.sidecar(i), podCerts[i]!)));
    await podProxy(LOGS_SERVICE, p.logsPackProxy, p.logsPack, logsCert);
    if (prometheusUrl && packCert) await podProxy(PACK_SERVICE, p.packProxy, p.pack, packCert);
    if (kubeCert) await podProxy(KUBE_SERVICE, p.kubePackProxy, p.kubePack, kubeCert);
    await Promise.all(
      UPSTREAM_SERVERS.map((u, i) => podProxy(u.name, p.upstreamProxy(i), upstreamMcpPort(p, i), upstreamCerts[i]!)),
    );
    const verbose = values['verbose'] === true;
    await group.start({
      name: 'gateway',
      command: node,
      // The key that binds /mcp/<service> session ids to their caller, as a Secret gives it to the gateway.
      env: { ...process.env, [SESSION_KEYS_ENV]: randomBytes(32).toString('hex') },
      args: [
        cli,
        'front',
        ...['--name', 'gateway', '--config-file', join(dirs.filters, GATEWAY_CONFIG_FILE)],
        ...['--host-env', SESSION_KEYS_ENV],
        ...['--port', String(p.gateway), '--admin-port', String(p.gatewayAdmin)],
        ...['--control-upstream', `http://127.0.0.1:${p.control}`],
        ...['--tls-client-cert', gatewayCert.certFile, '--tls-client-key', gatewayCert.keyFile, '--tls-ca', ca.caFile],
        ...['--upstream-san', `spiffe://cluster.local/ns/{namespace}/sa/{name}`],
      ],
      readyLine: '"listening"',
      onLine: verbose ? (line) => line.includes('"mcp_audit"') && say(`[audit] ${line}`) : undefined,
    });
    const refused = inspectRefusal(group, inspect);
    if (refused) throw new Error(refused);
    say(banner(p, keys, workDir, prometheusUrl, kube));
    for (const [name, url] of Object.entries(group.inspectors)) say(`inspector of ${name}: ${url}`);
  } catch (err) {
    process.stderr.write(`meshmcp dev: ${(err as Error).message}\nstopping; logs are in ${dirs.logs}\n`);
    await group.stop();
    return 1;
  }

  // Like pods: a part that dies is reported and the others keep serving (its tools fail clearly meanwhile).
  // Whole or not at all: tests and benchmarks read pids.json as soon as it exists, and inspectors.json before it.
  if (inspect.size > 0) {
    writeFileAtomicSync(join(workDir, 'inspectors.json'), `${JSON.stringify(group.inspectors, null, 2)}\n`);
  }
  writeFileAtomicSync(
    join(workDir, 'pids.json'),
    `${JSON.stringify(Object.fromEntries(group.parts.map((part) => [part.name, part.child.pid])), null, 2)}\n`,
  );
  group.onExit((name, how, tail) => {
    process.stderr.write(
      `meshmcp dev: ${name} stopped (${how}); the rest keeps running, restart meshmcp dev to bring it back. ` +
        `Its last lines:\n${tail}\n`,
    );
  });
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  say(`stopping the local mesh (${signal})...`);
  await group.stop();
  say('stopped.');
  return 0;
}
