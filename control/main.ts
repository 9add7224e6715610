// `meshmcp control`: parses flags and environment (and answers --help) without loading the service, then runs it
// (service.ts).
import { hostname } from 'node:os';
import { helpText, runCommand, UsageError } from '../shared/options.js';
import { CONTROL_OPTIONS, resolveControlSettings } from './flags.js';

const HELP = helpText(
  'meshmcp control --config <file> [options]',
  'Runs the control service: discovers MCP-enabled services, collects their tools, renders and applies the Istio\n' +
    'resources that route and police MCP traffic, and serves initialize / tools/list / server/discover for the\n' +
    'whole catalog behind the gateway. A gateway routes at most 4096 services: shard a larger mesh by namespace,\n' +
    "one control service and gateway per shard (the config file's `shard`, its own --allowed-namespaces).",
  CONTROL_OPTIONS,
);

export function main(argv: string[]): Promise<number> {
  return runCommand('control', CONTROL_OPTIONS, HELP, argv, async (values, positionals) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const settings = resolveControlSettings(values, hostname());
    const { runControl } = await import('./service.js');
    return runControl(settings);
  });
}
