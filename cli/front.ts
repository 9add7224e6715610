// `meshmcp front`: the compiled filter in the Envoy-faithful host, as a process: what istio-proxy (sidecar mode) or
// the ingress gateway (gateway mode) is to a pod in the local mesh. It loads its filter configuration from a file and
// follows it as the control service rewrites it; in gateway mode its routes follow the configuration's routing table.
// A test and development front, not a proxy to deploy.
import { readFileSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPSTREAM_CLUSTER } from '../control/render/envoyFilter.js';
import { helpText, type OptionSpec, runCommand, UsageError } from '../shared/options.js';

const OPTIONS: OptionSpec[] = [
  {
    flag: 'config-file',
    type: 'string',
    description: 'the filter configuration (contract 2 JSON); reloaded when it changes, a rejected one is logged',
  },
  { flag: 'host', type: 'string', default: '127.0.0.1', description: 'address to listen on' },
  { flag: 'port', type: 'number', default: 0, description: 'port to listen on (0: any free port)' },
  { flag: 'admin-port', type: 'number', description: 'Envoy-like admin listener (GET /stats/prometheus, /ready)' },
  {
    flag: 'upstream',
    type: 'string',
    description: 'sidecar mode: the URL requests go to (the MCP sidecar), e.g. http://127.0.0.1:3101',
  },
  {
    flag: 'control-upstream',
    type: 'string',
    description: "gateway mode: the control service's URL, for the configuration's control route",
  },
  { flag: 'tls-cert', type: 'string', description: 'PEM certificate: the listener serves TLS (mTLS with --tls-ca)' },
  { flag: 'tls-key', type: 'string', description: 'PEM private key of --tls-cert' },
  {
    flag: 'tls-ca',
    type: 'string',
    description: 'PEM CA: TLS clients must present a certificate it issued, and TLS upstreams must too',
  },
  {
    flag: 'tls-client-cert',
    type: 'string',
    description: 'gateway mode: PEM certificate presented to the services (mTLS upstreams, verified with --tls-ca)',
  },
  { flag: 'tls-client-key', type: 'string', description: 'PEM private key of --tls-client-cert' },
  {
    flag: 'upstream-san',
    type: 'string',
    default: 'spiffe://cluster.local/ns/{namespace}/sa/{name}',
    description: "gateway mode with TLS: the URI SAN each service's certificate must carry ({namespace}, {name})",
  },
  { flag: 'workers', type: 'number', default: 2, description: 'worker VMs (Envoy --concurrency)' },
  {
    flag: 'host-env',
    type: 'string',
    multiple: true,
    description:
      "an environment variable of this process the filter's VM gets (Envoy's vm_config host_env_keys), e.g. MESHMCP_SESSION_KEYS (repeatable)",
  },
  { flag: 'name', type: 'string', default: 'front', description: 'name in log lines' },
];

const HELP = helpText(
  'meshmcp front --config-file <file> [options]',
  'Runs meshmcp.wasm in the Envoy-faithful host as an HTTP(S) front: gateway mode routes by x-meshmcp-service to\n' +
    'the services of its routing table; sidecar mode guards one MCP sidecar. For the local mesh and tests only.',
  OPTIONS,
);

const root = fileURLToPath(new URL('../../', import.meta.url));

interface GatewayTable {
  mode: 'gateway' | 'sidecar';
  control?: string;
  /** Gateway mode: the MCP hosts, i.e. the virtual host the mesh's routes live in. */
  hosts?: string[];
  services?: Array<{ name: string; namespace: string; host: string; port: number }>;
}

function line(name: string, level: string, message: string, fields: Record<string, unknown> = {}): void {
  const out = { timestamp: new Date().toISOString(), level, component: name, message, ...fields };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function readPem(file: string | undefined, flag: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${file}: ${(err as Error).message}`);
  }
}

function parseUrl(v: string, flag: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--${flag} ${JSON.stringify(v)} is not a URL like http://127.0.0.1:3101`);
  }
  if (u.protocol !== 'http:')
    throw new UsageError(`--${flag} must be an http:// URL (the front speaks HTTP/1.1 to it)`);
  return { host: u.hostname, port: Number(u.port || 80) };
}

export function main(argv: string[]): Promise<number> {
  return runCommand('front', OPTIONS, HELP, argv, async (values) => {
    const name = String(values['name']);
    const configFile = values['config-file'] as string | undefined;
    if (!configFile) throw new UsageError('--config-file is required: the filter configuration to load');
    const configText = readPem(configFile, 'config-file')!.toString('utf8');
    let table: GatewayTable;
    try {
      table = JSON.parse(configText) as GatewayTable;
    } catch (err) {
      throw new UsageError(`--config-file ${configFile} is not JSON: ${(err as Error).message}`);
    }
    const cert = readPem(values['tls-cert'] as string | undefined, 'tls-cert');
    const key = readPem(values['tls-key'] as string | undefined, 'tls-key');
    const ca = readPem(values['tls-ca'] as string | undefined, 'tls-ca');
    const clientCert = readPem(values['tls-client-cert'] as string | undefined, 'tls-client-cert');
    const clientKey = readPem(values['tls-client-key'] as string | undefined, 'tls-client-key');
    if ((cert || key) && !(cert && key && ca)) {
      throw new UsageError(
        '--tls-cert, --tls-key and --tls-ca go together (the listener verifies client certificates)',
      );
    }
    if ((clientCert || clientKey) && !(clientCert && clientKey && ca)) {
      throw new UsageError('--tls-client-cert, --tls-client-key and --tls-ca go together');
    }
    const tls = cert && key && ca ? { cert, key, ca } : undefined;
    const upstreamTls = clientCert && clientKey && ca ? { cert: clientCert, key: clientKey, ca } : undefined;
    const sanTemplate = String(values['upstream-san']);
    const control = values['control-upstream']
      ? parseUrl(String(values['control-upstream']), 'control-upstream')
      : undefined;
    const sidecar = values['upstream'] ? parseUrl(String(values['upstream']), 'upstream') : undefined;
    if (table.mode === 'sidecar' && !sidecar) throw new UsageError('sidecar mode needs --upstream (the MCP sidecar)');

    const { startFront } = await import('../filter/host/front.js');
    type Upstreams = Parameters<typeof startFront>[0]['upstreams'];
    const routes = (t: GatewayTable): NonNullable<Upstreams> => {
      const out: NonNullable<Upstreams> = {};
      for (const s of t.services ?? []) {
        out[s.name] = {
          host: s.host,
          port: s.port,
          ...(upstreamTls
            ? {
                tls: {
                  ...upstreamTls,
                  expectedSan: sanTemplate.replace('{namespace}', s.namespace).replace('{name}', s.name),
                },
              }
            : {}),
        };
      }
      if (t.control && control) out[t.control] = control;
      return out;
    };
    const wasm = readFileSync(join(root, 'filter/build/meshmcp.wasm'));
    const statsTags = JSON.parse(readFileSync(join(root, 'filter/stats-tags.json'), 'utf8'));
    const adminPort = values['admin-port'] as number | undefined;
    // As Envoy does with host_env_keys: a variable this process does not have is not set in the VM.
    const envs: Record<string, string> = {};
    for (const key of (values['host-env'] as string[] | undefined) ?? []) {
      const v = process.env[key];
      if (v !== undefined) envs[key] = v;
    }
    const front = await startFront({
      wasm,
      configuration: configText,
      workers: values['workers'] as number,
      envs,
      // As the rendered EnvoyFilters: gateway mode sets allow_on_headers_stop_iteration, sidecar mode does not (so a
      // headers Stop there is StopAll, as in an Istio sidecar).
      allowOnHeadersStopIteration: table.mode === 'gateway',
      failStrategy: 'FAIL_CLOSE',
      statsTags,
      logLimit: 1000,
      host: String(values['host']),
      port: values['port'] as number,
      ...(adminPort !== undefined ? { admin: { host: '127.0.0.1', port: adminPort } } : {}),
      ...(table.mode === 'gateway'
        ? { upstreams: routes(table), ...(table.hosts ? { routeHosts: table.hosts } : {}) }
        : // The pod's own server is also the cluster its EnvoyFilter adds, for sessions opened per call.
          { defaultUpstream: sidecar!, clusters: { [UPSTREAM_CLUSTER]: sidecar! } }),
      ...(tls ? { tls } : {}),
      // Audit lines are JSON already; other filter lines are wrapped.
      onLog: (entry) => {
        if (entry.message.startsWith('{')) process.stdout.write(`${entry.message}\n`);
        else line(name, entry.level <= 2 ? 'info' : 'warn', entry.message);
      },
    });

    // Follow the file: the control service replaces it by a rename, so watch its directory.
    let last = configText;
    const reload = () => {
      let text: string;
      try {
        text = readFileSync(configFile, 'utf8');
      } catch {
        return;
      }
      if (text === last) return;
      last = text;
      if (!front.configure(text)) {
        line(name, 'error', 'filter configuration rejected; the previous one stays', { file: configFile });
        return;
      }
      if (table.mode === 'gateway') {
        const next = JSON.parse(text) as GatewayTable;
        front.setUpstreams(routes(next), undefined, next.hosts);
      }
      line(name, 'info', 'filter configuration reloaded', { file: configFile });
    };
    const watcher = watch(dirname(configFile), (_e, f) => {
      if (f === null || f === basename(configFile)) reload();
    });
    line(name, 'info', 'listening', { url: front.url, mode: table.mode, admin: front.adminUrl });

    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    watcher.close();
    await front.close();
    return 0;
  });
}
