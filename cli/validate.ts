// `meshmcp validate`: checks a tools.yaml the way the sidecar will load it, and lists its tools or every problem.
import { readFile } from 'node:fs/promises';
import { helpText, type OptionSpec, type OptionValues, runCommand, UsageError } from '../shared/options.js';
import { ConfigErrors } from '../sidecar/errors.js';
import { parseToolsConfig } from '../sidecar/toolsConfig/parse.js';
import type { ToolSpec } from '../sidecar/toolsConfig/spec.js';

const OPTIONS: OptionSpec[] = [
  {
    flag: 'service-name',
    env: 'SERVICE_NAME',
    type: 'string',
    default: 'service',
    description: 'the Kubernetes service the tools belong to; full names <service>__<tool> must fit 64 characters',
  },
  {
    flag: 'app-url',
    env: 'APP_URL',
    type: 'string',
    default: 'http://localhost:8080',
    description: 'base URL of the app; full url: values on this host count as the app',
  },
  { flag: 'json', type: 'boolean', default: false, description: 'print the validated tools (or the errors) as JSON' },
];

const HELP = helpText(
  'meshmcp validate <tools.yaml> [options]',
  'Checks a tools.yaml (short or long form) and prints each tool with its kind and whether it is read-only, or every\n' +
    'problem with the file, the path inside it and the fix. Exit code 0 when valid, 1 when not.',
  OPTIONS,
);

function target(s: ToolSpec): string {
  switch (s.kind) {
    case 'http':
      return `${s.method} ${s.base === 'app' ? '' : s.base}${s.targetText}`;
    case 'prometheus':
      return s.queries.map((q) => (s.single ? q.text : `${q.name}: ${q.text}`)).join('; ');
    case 'command':
      return [
        s.command,
        ...s.args.map((a) => a.map((x) => (typeof x === 'string' ? x : `{${x.param}}`)).join('')),
      ].join(' ');
    case 'database':
      return s.sql;
  }
}

export function main(argv: string[]): Promise<number> {
  return runCommand('validate', OPTIONS, HELP, argv, validate);
}

async function validate(values: OptionValues, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('give exactly one tools.yaml file. Run with --help for usage.');
  const file = positionals[0]!;
  const serviceName = String(values['service-name']);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(
      `meshmcp validate: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`,
    );
    return 1;
  }
  let specs: ToolSpec[];
  try {
    specs = parseToolsConfig(text, file, { serviceName, appUrl: String(values['app-url']) });
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    if (values['json']) {
      const errors = err.errors.map((e) => ({ file: e.file, path: e.path, problem: e.problem, fix: e.fix }));
      process.stdout.write(`${JSON.stringify({ valid: false, errors }, null, 2)}\n`);
    } else {
      for (const e of err.errors) process.stderr.write(`${e.message}\n`);
      process.stderr.write(`${file}: ${err.errors.length} problem${err.errors.length === 1 ? '' : 's'}\n`);
    }
    return 1;
  }
  if (values['json']) {
    const tools = specs.map((s) => ({
      name: s.name,
      full_name: `${serviceName}__${s.name}`,
      kind: s.kind,
      read_only: s.readOnly,
      params: s.params.map((p) => p.name),
    }));
    process.stdout.write(`${JSON.stringify({ valid: true, tools }, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(4, ...specs.map((s) => s.name.length)) + 2;
  for (const s of specs) {
    const ro = s.readOnly ? 'read-only' : 'writes';
    const params = s.params.length ? ` (${s.params.map((p) => (p.required ? p.name : `${p.name}?`)).join(', ')})` : '';
    process.stdout.write(
      `${s.name.padEnd(width)}${s.kind.padEnd(12)}${ro.padEnd(11)}${target(s).slice(0, 100)}${params}\n`,
    );
  }
  process.stdout.write(`${file}: ${specs.length} tool${specs.length === 1 ? '' : 's'} for ${serviceName}, valid\n`);
  return 0;
}
