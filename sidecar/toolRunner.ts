// Runs one tool call: argument validation, time limit, output cap, metrics and a log line. Knows nothing of MCP
// framing or HTTP; every failure becomes an isError result the model can read, never a crash.
import { validateArgs } from './args.js';
import { nowMs } from './clock.js';
import { ToolError } from './errors.js';
import { withRequestId } from './http/client.js';
import type { RequestInfo } from './mcp/caller.js';
import type { SidecarMetrics } from './metrics.js';
import type { ToolRegistry } from './registry.js';
import type { Logger, ToolContext, ToolResult } from './types.js';

/** Largest text a tool result may carry back to the model. */
export const MAX_RESULT_CHARS = 256 * 1024;

export type CallStatus = 'success' | 'error' | 'timeout' | 'invalid_arguments';

export class ToolRunner {
  constructor(
    private readonly registry: ToolRegistry,
    private readonly ctx: Omit<ToolContext, 'signal'>,
    private readonly metrics: SidecarMetrics,
    private readonly log: Logger,
  ) {}

  /** undefined when the tool does not exist (the caller answers -32602). info: the gateway's caller and request id. */
  async call(
    name: string,
    rawArgs: unknown,
    signal?: AbortSignal,
    info: RequestInfo = {},
  ): Promise<ToolResult | undefined> {
    const tool = this.registry.get(name);
    if (!tool) return undefined;
    const started = nowMs();
    let status: CallStatus = 'success';
    let result: ToolResult;
    const checked = validateArgs(tool.inputSchema, rawArgs);
    if (!checked.ok) {
      status = 'invalid_arguments';
      result = errorResult(`Invalid arguments for tool ${name}: ${checked.errors.join('; ')}`);
    } else {
      const timeoutMs = tool.timeoutMs ?? this.ctx.settings.toolTimeoutMs;
      const ac = new AbortController();
      const onAbort = () => ac.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort(new Error('timeout'));
          reject(new TimeoutError(`Tool ${name} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        result = await Promise.race([tool.run(checked.value, this.context(ac.signal, info)), timeout]);
        if (result.isError) status = 'error';
      } catch (err) {
        if (err instanceof TimeoutError) {
          status = 'timeout';
          result = errorResult(err.message);
        } else if (err instanceof ToolError) {
          status = 'error';
          result = errorResult(err.message, err.details);
        } else {
          status = 'error';
          this.log.error('tool failed unexpectedly', { tool: name, error: (err as Error)?.stack ?? String(err) });
          result = errorResult(`Tool ${name} failed with an internal error; the sidecar log has the details`);
        }
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    }
    const seconds = (nowMs() - started) / 1000;
    this.metrics.toolExecutions.inc({ tool: name, status });
    this.metrics.toolDuration.observe({ tool: name }, seconds);
    this.log.info('tool call', { tool: name, status, duration_ms: Math.round(seconds * 1000) });
    return capResult(result);
  }

  private context(signal: AbortSignal, info: RequestInfo): ToolContext {
    const ctx: ToolContext = { ...this.ctx, signal };
    if (info.caller) ctx.caller = Object.freeze({ ...info.caller, groups: Object.freeze([...info.caller.groups]) });
    if (info.requestId) {
      ctx.requestId = info.requestId;
      ctx.http = withRequestId(ctx.http, ctx.settings.appUrl, info.requestId);
    }
    return ctx;
  }
}

class TimeoutError extends Error {}

function errorResult(message: string, details?: Record<string, unknown>): ToolResult {
  return {
    content: [{ type: 'text', text: message }],
    isError: true,
    ...(details ? { structuredContent: { error: message, ...details } } : {}),
  };
}

/** Tools bound their own output; this is the last line of defence for the 64Mi pod and the model's context. */
function capResult(r: ToolResult): ToolResult {
  let budget = MAX_RESULT_CHARS;
  let cut = false;
  const content = r.content.map((c) => {
    if (c.text.length <= budget) {
      budget -= c.text.length;
      return c;
    }
    cut = true;
    const text = `${c.text.slice(0, Math.max(0, budget))}\n[truncated: result exceeded ${MAX_RESULT_CHARS} characters]`;
    budget = 0;
    return { ...c, text };
  });
  if (!cut) return r;
  const { structuredContent: _dropped, ...rest } = r;
  return { ...rest, content };
}
