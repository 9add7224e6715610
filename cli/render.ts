// `meshmcp render`: the Istio YAML the control service would apply, from a static services file (with tools
// snapshots, or collected live with --collect), for GitOps users who do not want a controller writing to the cluster.
import { readFile } from 'node:fs/promises';
import { buildCatalog, type CatalogInput } from '../control/catalog/catalog.js';
import { collectTools, DEFAULT_LIMITS } from '../control/catalog/collector.js';
import { readServicesFile, ServicesFileError } from '../control/discovery/static.js';
import { CONTROL_OPTIONS } from '../control/flags.js';
import { toYaml } from '../control/managedObjects.js';
import { parseRenderConfig, RenderError, renderAll } from '../control/render/index.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import { helpText, type OptionSpec, runCommand, UsageError } from '../shared/options.js';

/** The settings render shares with the control service, as the control service documents them. */
const shared = (flag: string): OptionSpec => CONTROL_OPTIONS.find((o) => o.flag === flag)!;

const OPTIONS: OptionSpec[] = [
  {
    ...shared('config'),
    description:
      'mesh settings and gateway policy (YAML; see control/render/README.md); with `shard: <name>` every object is ' +
      "labelled meshmcp.io/shard and those in the gateway's namespace named <name>.<shard>, for one shard of the " +
      'mesh (README.md, Scale)',
  },
  { ...shared('services-file'), description: 'the services, each with an optional tools snapshot' },
  {
    flag: 'collect',
    type: 'boolean',
    default: false,
    description: 'ask each service without a snapshot for its tools/list at its url (the sidecar must be reachable)',
  },
  { ...shared('collect-timeout'), env: undefined },
  { ...shared('wasm-plugin'), env: undefined },
  {
    flag: 'output',
    type: 'string',
    description: 'write the YAML to this file (replaced whole, never half-written) instead of standard output',
  },
];

const HELP = helpText(
  'meshmcp render --config <file> --services-file <file> [options]',
  'Prints the Istio resources (AuthorizationPolicies, EnvoyFilters or WasmPlugins, VirtualServices) that route and\n' +
    'police MCP traffic for the services in a services file, as multi-document YAML for GitOps. A gateway routes at\n' +
    'most 4096 services: shard a larger mesh by namespace, one render configuration (its `shard`) and services\n' +
    'file per shard.',
  OPTIONS,
);

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${file}: ${(err as Error).message}`);
  }
}

async function writeOutput(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (err) {
    throw new Error(`cannot write --output ${file}: ${(err as Error).message}`);
  }
}

export function main(argv: string[]): Promise<number> {
  return runCommand('render', OPTIONS, HELP, argv, async (values, positionals) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const configFile = values['config'] as string | undefined;
    const servicesFile = values['services-file'] as string | undefined;
    if (!configFile) throw new UsageError('--config (or MESHMCP_CONFIG) is required: the mesh settings and policy');
    if (!servicesFile) throw new UsageError('--services-file (or SERVICES_FILE) is required: the services to render');
    const timeout = values['collect-timeout'] as number;
    if (!(timeout > 0 && timeout <= 300)) throw new UsageError(`--collect-timeout must be between 0 and 300`);

    let config: ReturnType<typeof parseRenderConfig>;
    try {
      config = parseRenderConfig(await readText(configFile, 'config'), configFile);
    } catch (err) {
      throw err instanceof RenderError ? new UsageError(err.message) : err;
    }
    let services: Awaited<ReturnType<typeof readServicesFile>>;
    try {
      services = await readServicesFile(servicesFile);
    } catch (err) {
      throw err instanceof ServicesFileError ? new UsageError(err.message) : err;
    }

    const inputs: CatalogInput[] = [];
    let missing = 0;
    for (const s of services.services) {
      const key = `${s.namespace}/${s.name}`;
      let tools = services.snapshots[key];
      if (tools === undefined && values['collect'] === true) {
        process.stderr.write(`collecting tools of ${key} from ${s.url}\n`);
        const collected = await collectTools(s.url, { ...DEFAULT_LIMITS, timeoutMs: timeout * 1000 }).catch(
          (err: Error) => {
            throw new Error(`${key}: ${err.message}; fix the url or give the service a tools snapshot`);
          },
        );
        tools = collected.tools;
      }
      if (tools === undefined) missing++;
      inputs.push({ service: s, tools, health: { healthy: true, consecutiveFailures: 0 } });
    }
    const { catalog, warnings } = buildCatalog(inputs, { reserved: [config.settings.control.route] });
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    if (missing > 0) {
      process.stderr.write(
        `warning: ${missing} service(s) have no tools snapshot, so the gateway routes none of their tools; ` +
          'add `tools:` to them in the services file or pass --collect\n',
      );
    }
    let yaml: string;
    try {
      yaml = toYaml(renderAll(catalog, config.policy, config.settings, { wasmPlugin: values['wasm-plugin'] === true }));
    } catch (err) {
      throw err instanceof RenderError ? new UsageError(err.message) : err;
    }
    const output = values['output'] as string | undefined;
    if (output) {
      await writeOutput(output, yaml);
      process.stderr.write(`wrote ${yaml.length} bytes to ${output}\n`);
    } else process.stdout.write(yaml);
    return 0;
  });
}
