// Small helpers the generic tools share: result building, caps, time budgets and upstream error wording.
import { ToolError } from '../errors.js';
import type { ToolContext, ToolResult } from '../types.js';

/** A result whose text and structuredContent carry the same data. */
export function toolResult(text: string, structured: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** Cuts s to max characters, saying how much was left out. */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… [${s.length - max} more characters]`;
}

/**
 * Time one upstream request may take: the preferred limit, but always under the tool's own timeout, so the tool
 * reports which request was slow instead of being cut off with a generic timeout.
 */
export function requestTimeout(ctx: ToolContext, preferredMs: number): number {
  const budget = ctx.settings.toolTimeoutMs > 0 ? ctx.settings.toolTimeoutMs : preferredMs;
  return Math.max(50, Math.min(preferredMs, budget - Math.min(500, budget / 10)));
}

/** Wraps a failed upstream request in a ToolError that says what failed and what to check. */
export function upstreamError(what: string, err: unknown, hint: string): ToolError {
  const why = err instanceof Error ? err.message : String(err);
  const details = err instanceof ToolError ? err.details : undefined;
  return new ToolError(`${what}: ${why}. ${hint}`, details);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
