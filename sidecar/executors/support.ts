// Helpers the tools.yaml executors share: time budgets, caps, argument rendering and result building.
import { ToolError } from '../errors.js';
import type { ParamSpec, Segment } from '../toolsConfig/spec.js';
import type { ToolContext, ToolResult } from '../types.js';

/**
 * The time an executor gives its upstream: the tool's timeout (or the sidecar default) minus a margin, so the
 * executor reports what was slow before the runner cuts the call off with a generic timeout.
 */
export function budgetMs(timeoutMs: number | undefined, ctx: ToolContext): number {
  const total = timeoutMs ?? (ctx.settings.toolTimeoutMs > 0 ? ctx.settings.toolTimeoutMs : 10_000);
  return Math.max(50, total - Math.min(500, total / 10));
}

export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… [${s.length - max} more characters]`;
}

export function result(text: string, structured: Record<string, unknown>, isError = false): ToolResult {
  const r: ToolResult = { content: [{ type: 'text', text }], structuredContent: structured };
  if (isError) r.isError = true;
  return r;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** A scalar argument as text; objects never reach here because params are scalars. */
export function argText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** True when every param the template uses has a value (optional ones may be absent). */
export function hasAll(segments: readonly Segment[], args: Record<string, unknown>): boolean {
  return segments.every((s) => typeof s === 'string' || args[s.param] !== undefined);
}

/** Renders a template; `each` checks and encodes one value for its context. */
export function render(
  segments: readonly Segment[],
  args: Record<string, unknown>,
  each: (value: string, name: string, index: number) => string,
): string {
  let out = '';
  segments.forEach((s, i) => {
    if (typeof s === 'string') out += s;
    else {
      const v = args[s.param];
      if (v === undefined) throw new ToolError(`argument ${s.param} is required`);
      out += each(argText(v), s.param, i);
    }
  });
  return out;
}

export function paramOf(params: readonly ParamSpec[], name: string): ParamSpec | undefined {
  return params.find((p) => p.name === name);
}

/** Replaces every occurrence of each secret value; used on anything that might echo a credential back. */
export function hideSecrets(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const v of secrets) if (v.length >= 4) out = out.split(v).join('***');
  return out;
}
