// `meshmcp demo <name>`: runs one demo service from flags and environment until SIGTERM or SIGINT.
import { helpText, type OptionSpec, type OptionValues, runCommand, UsageError } from '../shared/options.js';
import type { DemoOptions, RunningDemo } from './app.js';
import { latencyProblem } from './chaos.js';
import { REVISIONS, type Revision, startConformanceServer } from './conformanceServer.js';
import { startMqttPublisher } from './mqttPublisher.js';
import { startPaymentService } from './paymentService.js';
import { startUserService } from './userService.js';

export const DEMOS = {
  'payment-service': startPaymentService,
  'user-service': startUserService,
  'mqtt-publisher': startMqttPublisher,
} as const;

export type DemoName = keyof typeof DEMOS;

export const DEMO_NAMES = Object.keys(DEMOS) as DemoName[];

export function isDemoName(name: string): name is DemoName {
  return Object.hasOwn(DEMOS, name);
}

/** Starts a demo in this process; the caller owns it and must close() it. */
export function startDemo(name: DemoName, options: DemoOptions): Promise<RunningDemo> {
  return DEMOS[name](options);
}

export const DEMO_OPTIONS: OptionSpec[] = [
  { flag: 'port', env: 'DEMO_PORT', type: 'number', default: 8080, description: 'port to listen on (0 picks one)' },
  {
    flag: 'host',
    env: 'DEMO_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'address to bind; 0.0.0.0 in a pod so istio-proxy can reach the app',
  },
  {
    flag: 'log-dir',
    env: 'DEMO_LOG_DIR',
    type: 'string',
    defaultText: 'none: log to stdout',
    description: 'write JSON log lines to DIR/app.log (created if missing) for the sidecar to tail',
  },
  {
    flag: 'unhealthy',
    env: 'DEMO_UNHEALTHY',
    type: 'boolean',
    default: false,
    description: 'start with the main dependency down',
  },
  {
    flag: 'latency-ms',
    env: 'DEMO_LATENCY_MS',
    type: 'number',
    default: 0,
    description: 'delay added to every request but /chaos',
  },
  {
    flag: 'admin-token',
    env: 'ADMIN_TOKEN',
    type: 'string',
    defaultText: 'none: /admin is open',
    description: 'payment-service: require this X-Admin-Token on /admin/*',
  },
];

const SUMMARY = `Runs one demo service of the local mesh. <name> is one of:
  payment-service  /health (database, stripe, queue), /metrics, GET /admin/transaction/{id}, POST /admin/retry/{id}
  user-service     /health (database), /metrics, GET /users/{id}
  mqtt-publisher   /health (hivemq broker), /metrics

conformance-server is different: the MCP conformance suite's test server at /mcp (see
meshmcp demo conformance-server --help).

Every demo also serves GET /chaos and POST /chaos {"healthy":false,"latencyMs":250} to inject failures at run time.
Prints {"message":"listening",...} on stdout when ready; stops on SIGTERM or SIGINT.`;

export const HELP = helpText('meshmcp demo <name> [options]', SUMMARY, DEMO_OPTIONS);

/** The demo and its options from the parsed flags; throws UsageError naming the setting and the fix. */
function resolve(values: OptionValues, positionals: string[]): { name: DemoName; options: DemoOptions } {
  const [name, ...extra] = positionals;
  const names = DEMO_NAMES.join(', ');
  if (name === undefined) throw new UsageError(`name the demo to run: one of ${names}`);
  if (!isDemoName(name)) throw new UsageError(`unknown demo ${JSON.stringify(name)}; choose one of ${names}`);
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}; run one demo at a time`);
  const port = values['port'] as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${port} is not a TCP port`);
  const problem = latencyProblem(values['latency-ms']);
  if (problem) throw new UsageError(`--latency-ms: ${problem.replace('latencyMs ', '')}`);
  const token = values['admin-token'];
  if (token === '') throw new UsageError('--admin-token is empty; leave it out to keep /admin open');
  return {
    name,
    options: {
      port,
      host: String(values['host']),
      logDir: values['log-dir'] as string | undefined,
      unhealthy: values['unhealthy'] === true,
      latencyMs: values['latency-ms'] as number,
      adminToken: token as string | undefined,
    },
  };
}

export function main(argv: string[]): Promise<number> {
  if (argv[0] === 'conformance-server') return conformanceMain(argv.slice(1));
  return runCommand('demo', DEMO_OPTIONS, HELP, argv, async (values, positionals) => {
    const { name, options } = resolve(values, positionals);
    let demo: RunningDemo;
    try {
      demo = await startDemo(name, options);
    } catch (err) {
      throw new Error(`cannot start ${name}: ${(err as Error).message}`);
    }
    return serveUntilSignal(name, demo);
  });
}

const line = (fields: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(fields)}\n`);

/** Announces the service, waits for SIGTERM or SIGINT, then closes it. */
async function serveUntilSignal(service: string, running: RunningDemo): Promise<number> {
  line({ message: 'listening', service, port: running.port, url: running.url });
  const signal = await new Promise<NodeJS.Signals>((done) => {
    const stop = (s: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      done(s);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await running.close();
  line({ message: 'stopped', service, signal });
  return 0;
}

export const CONFORMANCE_OPTIONS: OptionSpec[] = [
  { flag: 'port', env: 'DEMO_PORT', type: 'number', default: 3000, description: 'port to listen on (0 picks one)' },
  { flag: 'host', env: 'DEMO_HOST', type: 'string', default: '127.0.0.1', description: 'address to bind' },
  {
    flag: 'allowed-host',
    type: 'string',
    multiple: true,
    defaultText: 'none: only localhost, 127.0.0.1 and [::1]',
    description: 'another host name to accept in Host and Origin, e.g. a gateway that forwards the Host (repeatable)',
  },
  {
    flag: 'revisions',
    type: 'string',
    default: '2025-11-25,2026-07-28',
    description: 'the MCP revisions to serve, comma-separated; a request of another is refused with HTTP 400',
  },
];

export const CONFORMANCE_HELP = helpText(
  'meshmcp demo conformance-server [options]',
  `Serves the test tools, prompts and resources of the official MCP conformance suite at /mcp, speaking
MCP 2025-11-25 (sessions) and 2026-07-28 (stateless). Run the suite against it with
  npx conformance server --url <url> --requirements 2025-11-25   (or 2026-07-28)
Requests whose Host or Origin is not localhost (or an --allowed-host) get 403.
Prints {"message":"listening",...} on stdout when ready; stops on SIGTERM or SIGINT.`,
  CONFORMANCE_OPTIONS,
);

function conformanceMain(argv: string[]): Promise<number> {
  return runCommand(
    'demo conformance-server',
    CONFORMANCE_OPTIONS,
    CONFORMANCE_HELP,
    argv,
    async (values, positionals) => {
      if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
      const port = values['port'] as number;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${port} is not a TCP port`);
      const revisions = String(values['revisions'])
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
      const unknown = revisions.find((r) => !(REVISIONS as readonly string[]).includes(r));
      if (unknown !== undefined || revisions.length === 0) {
        throw new UsageError(
          `--revisions ${JSON.stringify(values['revisions'])}: name ${REVISIONS.join(' and/or ')}, comma-separated`,
        );
      }
      let server: RunningDemo;
      try {
        server = await startConformanceServer({
          port,
          host: String(values['host']),
          allowedHosts: (values['allowed-host'] as string[] | undefined) ?? [],
          revisions: revisions as Revision[],
        });
      } catch (err) {
        throw new Error(`cannot start conformance-server: ${(err as Error).message}`);
      }
      return serveUntilSignal('conformance-server', server);
    },
  );
}
