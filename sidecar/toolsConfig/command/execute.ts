// Executor of tools.yaml `command` tools: argv only (shell: false), its own process group killed on timeout,
// PATH plus listed variables as the whole environment, stdout and stderr capped.
import { nowMs } from '../../clock.js';
import { ToolError } from '../../errors.js';
import { redactText } from '../../redact.js';
import { budgetMs, roundMs, toolResult } from '../../toolSupport.js';
import type { ToolContext, ToolResult } from '../../types.js';
import { hasAll, render } from '../common/template.js';
import type { CommandSpec } from './spec.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One argv element per template; an element whose optional params are absent is left out entirely. */
export function buildArgv(spec: CommandSpec, args: Record<string, unknown>): string[] {
  const argv: string[] = [];
  for (const tpl of spec.args) {
    if (!hasAll(tpl, args)) continue;
    argv.push(
      render(tpl, args, (v, name) => {
        if (v.includes('\0')) throw new ToolError(`argument ${name} contains a NUL character`);
        if (v.startsWith('-') && !spec.params.find((p) => p.name === name)?.allowDash) {
          throw new ToolError(
            `argument ${name} ${JSON.stringify(v)} starts with "-", so ${spec.command} could read it as an option; ` +
              'this tool does not accept such values',
          );
        }
        return v;
      }),
    );
  }
  return argv;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

class Capture {
  private chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(private readonly max: number) {}
  push(c: Buffer): void {
    this.total += c.length;
    if (this.kept >= this.max) return;
    const take = c.subarray(0, this.max - this.kept);
    this.chunks.push(take);
    this.kept += take.length;
  }
  get truncated(): boolean {
    return this.total > this.kept;
  }
  text(): string {
    return redactText(Buffer.concat(this.chunks).toString('utf8'));
  }
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

export async function runCommand(
  spec: CommandSpec,
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<ToolResult> {
  const argv = buildArgv(spec, args);
  const env: Record<string, string> = { PATH: ctx.env['PATH'] || DEFAULT_PATH };
  for (const name of spec.env) {
    const v = ctx.env[name];
    if (v !== undefined) env[name] = v;
  }
  const timeoutMs = budgetMs(spec.timeoutMs, ctx);
  const stdout = new Capture(spec.maxOutputBytes);
  const stderr = new Capture(spec.maxOutputBytes);
  const started = nowMs();

  // Loaded on first use: most pods have no command tool, and the sidecar pays for every import in RSS.
  const { spawn } = await import('node:child_process');
  const outcome = await new Promise<Outcome>((resolve, reject) => {
    // detached: the child leads its own process group, so a timeout also kills whatever it started
    const child = spawn(spec.command, argv, {
      shell: false,
      detached: true,
      env,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    };
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      done();
      const why =
        err.code === 'ENOENT'
          ? `was not found on PATH (${env['PATH']}); install it in the sidecar image or use an absolute path`
          : err.code === 'EACCES'
            ? 'is not executable by the sidecar user'
            : `could not start: ${err.message}`;
      reject(new ToolError(`command ${spec.command} ${why}`));
    });
    // Background processes it left behind would hold the pipes open; the group goes with the main process.
    child.on('exit', killGroup);
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      done();
      resolve({ code, signal, timedOut, cancelled, durationMs: nowMs() - started });
    });
  });

  const line = [spec.command, ...argv].map(quoteArg).join(' ');
  const failed = outcome.timedOut || outcome.cancelled || outcome.code !== 0;
  const status = outcome.timedOut
    ? `timed out after ${timeoutMs} ms and was killed`
    : outcome.cancelled
      ? 'was cancelled and killed'
      : outcome.signal
        ? `was killed by ${outcome.signal}`
        : `exited with code ${outcome.code}`;
  const section = (label: string, c: Capture) => {
    const t = c.text();
    const cut = c.truncated ? `\n[${label} truncated: first ${c.kept} of ${c.total} bytes shown]` : '';
    return `${label}:${t ? `\n${t.replace(/\n$/, '')}` : ' (empty)'}${cut}`;
  };
  const text = `$ ${line}\n${status} in ${roundMs(outcome.durationMs)} ms\n${section('stdout', stdout)}\n${section('stderr', stderr)}`;
  return toolResult(
    text,
    {
      command: spec.command,
      args: argv,
      exit_code: outcome.code,
      signal: outcome.signal,
      timed_out: outcome.timedOut,
      duration_ms: roundMs(outcome.durationMs),
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdout_truncated: stdout.truncated,
      stderr_truncated: stderr.truncated,
    },
    failed,
  );
}

/** One line on what the tool does, for its description. */
export function describeCommand(spec: CommandSpec): string {
  const line = [
    spec.command,
    ...spec.args.map((a) => a.map((s) => (typeof s === 'string' ? s : `{${s.param}}`)).join('')),
  ].join(' ');
  return `Runs the command \`${line}\` in the sidecar container (no shell) and returns its exit code, stdout and stderr.`;
}
