// Declarative flags + environment for every meshmcp process: one spec gives parsing, defaults and --help text.
import { parseArgs } from 'node:util';

export interface OptionSpec {
  /** long flag name without dashes, e.g. "port" */
  flag: string;
  /** environment variable consulted when the flag is absent */
  env?: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean | ((values: Record<string, unknown>) => string | number | boolean | undefined);
  /** how the default is shown in --help when it is computed */
  defaultText?: string;
  /** a string flag that may be given more than once: its value is then the list (the environment's, one item) */
  multiple?: boolean;
  description: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

/** Parses argv against specs; flags win over environment, environment over defaults. Unknown flags are errors. */
export function parseOptions(
  specs: OptionSpec[],
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: OptionValues; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const s of specs) {
    options[s.flag] = { type: s.type === 'boolean' ? 'boolean' : 'string', ...(s.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(
      `${(err as Error).message.replace(/\.?\s*To specify.*$/s, '')}. Run with --help to list the settings.`,
    );
  }
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: OptionValues = {};
  for (const s of specs) {
    if (s.multiple) {
      const list = raw[s.flag] as string[] | undefined;
      const fromEnv = s.env && env[s.env] ? [env[s.env]!] : undefined;
      const v = list ?? fromEnv;
      if (v !== undefined) values[s.flag] = v;
      continue;
    }
    let v = raw[s.flag] as string | boolean | undefined;
    let source = `--${s.flag}`;
    if (v === undefined && s.env && env[s.env] !== undefined && env[s.env] !== '') {
      v = env[s.env];
      source = s.env;
    }
    if (v === undefined) continue;
    values[s.flag] = coerce(s, v, source);
  }
  for (const s of specs) {
    if (values[s.flag] !== undefined || s.default === undefined) continue;
    values[s.flag] = typeof s.default === 'function' ? s.default(values) : s.default;
  }
  return { values, positionals: parsed.positionals, help: raw['help'] === true };
}

function coerce(s: OptionSpec, v: string | boolean, source: string): string | number | boolean {
  if (s.type === 'number') {
    const n = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`${source} must be a number, got ${JSON.stringify(v)}`);
    }
    return n;
  }
  if (s.type === 'boolean' && typeof v === 'string') {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    throw new UsageError(`${source} must be true or false, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Renders --help: usage line, summary, then one line per setting with its environment name and default. */
export function helpText(usage: string, summary: string, specs: OptionSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.flag}${s.type === 'boolean' ? '' : ' <' + s.type + '>'}`;
    const extras: string[] = [];
    if (s.env) extras.push(`env ${s.env}`);
    const def =
      s.defaultText ?? (typeof s.default === 'function' || s.default === undefined ? undefined : String(s.default));
    if (def !== undefined) extras.push(`default ${def}`);
    return { left, right: s.description + (extras.length ? ` (${extras.join('; ')})` : '') };
  });
  rows.push({ left: '  -h, --help', right: 'show this help' });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${rows.map((r) => r.left.padEnd(width) + r.right).join('\n')}\n`;
}

/**
 * The frame every subcommand shares: parse, answer --help, run the body, and map failures to exit codes (usage
 * errors 2, anything else 1) with one `meshmcp <name>: <message>` line.
 */
export async function runCommand(
  name: string,
  specs: OptionSpec[],
  help: string,
  argv: string[],
  body: (values: OptionValues, positionals: string[]) => Promise<number>,
): Promise<number> {
  try {
    const parsed = parseOptions(specs, argv);
    if (parsed.help) {
      process.stdout.write(help);
      return 0;
    }
    return await body(parsed.values, parsed.positionals);
  } catch (err) {
    process.stderr.write(`meshmcp ${name}: ${(err as Error).message}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

/**
 * `name<sep>value` items of a flag (`--header "Name: value"`, `--server name=url`) as a record; the name and value are
 * trimmed, and an item without a name is a UsageError naming the flag and the form.
 */
export function namedPairs(items: readonly string[], sep: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf(sep);
    if (i <= 0)
      throw new UsageError(`${flag} ${JSON.stringify(item)} must look like "name${sep}${sep === ':' ? ' ' : ''}value"`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

/** A comma-separated option value as its items, each trimmed, empty ones dropped; none when the option is not set. */
export function commaList(v: unknown): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
