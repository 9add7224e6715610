// The meshmcp command: dispatches to a subcommand, loaded lazily.
import { VERSION } from '../shared/version.js';
import { COMMANDS } from './commands.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const rows = COMMANDS.map(
    (c) => `  ${c.name.padEnd(width)}${c.summary}${c.unavailable ? ' (not in this build yet)' : ''}`,
  );
  return `Usage: meshmcp <command> [options]

meshmcp gives AI assistants safe, audited diagnostic access to every service in an Istio mesh.

Commands:
${rows.join('\n')}

Run \`meshmcp <command> --help\` for the options of a command.
`;
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`meshmcp: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (!cmd.load) {
    process.stderr.write(`meshmcp ${cmd.name}: ${cmd.unavailable}.\n`);
    return 2;
  }
  const mod = await cmd.load();
  return mod.main(rest);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`meshmcp: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
