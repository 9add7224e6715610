// Helpers every tool shares, generic or tools.yaml: result building, caps, time budgets and upstream error wording.
import { ToolError } from './errors.js';
import type { ToolContext, ToolResult } from './types.js';

/** A result whose text and structuredContent carry the same data; isError marks a failed call for the model. */
export function toolResult(text: string, structured: Record<string, unknown>, isError = false): ToolResult {
  const r: ToolResult = { content: [{ type: 'text', text }], structuredContent: structured };
  if (isError) r.isError = true;
  return r;
}

/** Cuts s to max characters, saying how much was left out. */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… [${s.length - max} more characters]`;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** Wraps a failed upstream request in a ToolError that says what failed and what to check. */
export function upstreamError(what: string, err: unknown, hint: string): ToolError {
  const why = err instanceof Error ? err.message : String(err);
  const details = err instanceof ToolError ? err.details : undefined;
  return new ToolError(`${what}: ${why}. ${hint}`, details);
}

/**
 * A limit minus a margin, so the tool reports which upstream was slow before the runner cuts the call off with a
 * generic timeout.
 */
function underLimit(totalMs: number): number {
  return totalMs - Math.min(500, totalMs / 10);
}

/** Time one upstream request of a generic tool may take: the preferred limit, but always under the tool timeout. */
export function requestTimeout(ctx: ToolContext, preferredMs: number): number {
  const budget = ctx.settings.toolTimeoutMs > 0 ? ctx.settings.toolTimeoutMs : preferredMs;
  return Math.max(50, Math.min(preferredMs, underLimit(budget)));
}

/** Time a tools.yaml tool gives its upstream: under its own timeout, else under the sidecar's (10 s if none). */
export function budgetMs(timeoutMs: number | undefined, ctx: ToolContext): number {
  const total = timeoutMs ?? (ctx.settings.toolTimeoutMs > 0 ? ctx.settings.toolTimeoutMs : 10_000);
  return Math.max(50, underLimit(total));
}
