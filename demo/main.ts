// `meshmcp demo <name>`: runs one demo service from flags and environment until SIGTERM or SIGINT.
import { helpText, type OptionSpec, type OptionValues, runCommand, UsageError } from '../shared/options.js';
import type { DemoOptions, RunningDemo } from './app.js';
import { latencyProblem } from './chaos.js';
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
  return runCommand('demo', DEMO_OPTIONS, HELP, argv, async (values, positionals) => {
    const { name, options } = resolve(values, positionals);
    let demo: RunningDemo;
    try {
      demo = await startDemo(name, options);
    } catch (err) {
      throw new Error(`cannot start ${name}: ${(err as Error).message}`);
    }
    const line = (fields: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(fields)}\n`);
    line({ message: 'listening', service: name, port: demo.port, url: demo.url });
    const signal = await new Promise<NodeJS.Signals>((done) => {
      const stop = (s: NodeJS.Signals) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        done(s);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await demo.close();
    line({ message: 'stopped', service: name, signal });
    return 0;
  });
}
