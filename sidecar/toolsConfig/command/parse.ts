// tools.yaml `command` kind: a program and its argv (never a shell line), {param} per argument, passed-through env.
import { at, describe, readDuration, readInteger, readString, readStringList } from '../common/fields.js';
import type { KindFields, KindInput } from '../common/kind.js';
import { ENV_NAME_RE, type Segment, TIMEOUT_BOUNDS } from '../common/spec.js';
import { parseTemplate, splitCommand, templateParams } from '../common/template.js';
import type { CommandSpec } from './spec.js';

export const COMMAND_KEYS = ['command', 'args', 'env', 'timeout', 'max_output_bytes', 'read_only'];

const PROGRAM = /^(\/[^\s]*|[A-Za-z0-9._+-]+)$/;
const MAX_ARGS = 256;
export const DEFAULT_MAX_OUTPUT = 64 * 1024;

export function parseCommand(k: KindInput): KindFields<CommandSpec> | undefined {
  const { p, cfg, path, params } = k;
  const before = p.count;
  const cp = at(path, 'command');
  const line = readString(p, cfg, 'command', path, { required: true, fix: 'add command: <program>' });
  let argv: string[] | undefined;
  let argPaths: string[] = [];
  const rawArgs = cfg['args'];
  if (line !== undefined && rawArgs !== undefined && rawArgs !== null) {
    if (!Array.isArray(rawArgs) || rawArgs.some((a) => typeof a !== 'string' && typeof a !== 'number')) {
      p.add(
        at(path, 'args'),
        `args must be a list of strings, got ${describe(rawArgs)}`,
        'write args: ["-f", "https://example.com/health"]',
      );
    } else if (/\s/.test(line.trim())) {
      p.add(
        cp,
        'with args: set, command is only the program',
        `write command: ${line.trim().split(/\s+/)[0]} and put every argument under args:`,
      );
    } else {
      argv = [line.trim(), ...rawArgs.map(String)];
      argPaths = [cp, ...rawArgs.map((_, i) => at(at(path, 'args'), i))];
    }
  } else if (line !== undefined) {
    const split = splitCommand(line);
    if (!split.ok) {
      p.add(
        cp,
        split.problem,
        'write the program as command: and each argument as an item of args: (nothing is interpreted)',
      );
    } else {
      argv = split.argv;
      argPaths = argv.map(() => cp);
    }
  }
  let command: string | undefined;
  const args: Segment[][] = [];
  if (argv) {
    command = argv[0]!;
    if (!PROGRAM.test(command) || command.includes('{')) {
      p.add(
        cp,
        `program ${JSON.stringify(command)} must be a name looked up on PATH or an absolute path`,
        'write e.g. command: curl or command: /usr/bin/curl',
      );
    }
    if (argv.length - 1 > MAX_ARGS)
      p.add(at(path, 'args'), `more than ${MAX_ARGS} arguments`, 'shorten the argument list');
    argv.slice(1).forEach((arg, i) => {
      if (arg.includes('\0')) p.add(argPaths[i + 1]!, 'an argument contains a NUL character', 'remove it');
      const segs = parseTemplate(arg);
      for (const n of templateParams(segs)) {
        params.use(n, argPaths[i + 1]!, `Value for {${n}} in the argument ${JSON.stringify(arg)} of ${command}.`);
      }
      args.push(segs);
    });
  }

  const env = readStringList(p, cfg, 'env', path) ?? [];
  env.forEach((name, i) => {
    if (!ENV_NAME_RE.test(name)) {
      p.add(
        at(at(path, 'env'), i),
        `"${name}" is not an environment variable name`,
        'list bare names, e.g. env: [HTTPS_PROXY]',
      );
    }
  });

  const maxOutputBytes = readInteger(p, cfg, 'max_output_bytes', path, {
    min: 1024,
    max: 1024 * 1024,
    default: DEFAULT_MAX_OUTPUT,
  });

  const timeoutMs = readDuration(p, cfg, 'timeout', path, TIMEOUT_BOUNDS);
  if (p.count !== before || command === undefined) return undefined;
  const out: KindFields<CommandSpec> = { kind: 'command', command, args, env, maxOutputBytes, allowedHosts: [] };
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}
