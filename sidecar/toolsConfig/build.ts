// buildTools: ToolSpecs → Tool objects (inputSchema, annotations, an LLM-facing description, the executor, a cache).
import { runCommand } from '../executors/command.js';
import { runDatabase } from '../executors/database.js';
import { runHttp } from '../executors/http.js';
import { runPrometheus } from '../executors/prometheus.js';
import type { Tool, ToolAnnotations, ToolContext, ToolResult } from '../types.js';
import { buildInputSchema } from './params.js';
import type { CacheSpec, ToolSpec } from './spec.js';

type Run = (args: Record<string, unknown>, ctx: ToolContext) => Promise<ToolResult>;

function fmtMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** One line on what the tool actually does, so the model can judge it without seeing tools.yaml. */
function mechanics(spec: ToolSpec): string {
  switch (spec.kind) {
    case 'http': {
      const where = spec.base === 'app' ? 'the app' : spec.base;
      const status = spec.expectedStatus ? ` Expects HTTP ${spec.expectedStatus.join(' or ')}.` : '';
      return `Sends ${spec.method} ${spec.targetText} to ${where} and returns the status and the response body.${status}`;
    }
    case 'prometheus': {
      const range = spec.range
        ? ` over the last ${fmtMs(spec.range.rangeMs)} at ${fmtMs(spec.range.stepMs)} steps (min/max/avg/last per series)`
        : ' (current values)';
      const qs = spec.single
        ? `PromQL ${spec.queries[0]!.text}`
        : `PromQL queries ${spec.queries.map((q) => `${q.name}: ${q.text}`).join('; ')}`;
      const self = spec.queries.some((q) => q.parts.some((x) => typeof x !== 'string' && 'env' in x));
      return `Runs ${qs} against Prometheus${range}${self ? '; $SERVICE_NAME is this service' : ''}.`;
    }
    case 'command': {
      const line = [
        spec.command,
        ...spec.args.map((a) => a.map((s) => (typeof s === 'string' ? s : `{${s.param}}`)).join('')),
      ].join(' ');
      return `Runs the command \`${line}\` in the sidecar container (no shell) and returns its exit code, stdout and stderr.`;
    }
    case 'database':
      return `Runs a read-only PostgreSQL query (at most ${spec.maxRows} rows, values bound as parameters): ${spec.sql.replace(/\s+/g, ' ')}`;
  }
}

function describeTool(spec: ToolSpec): string {
  const parts = [spec.description.replace(/\s+$/, '')];
  if (!/[.!?]$/.test(parts[0]!)) parts[0] += '.';
  parts.push(mechanics(spec));
  if (!spec.readOnly) parts.push('This tool changes state in the service; confirm with the user before calling it.');
  if (spec.cache) parts.push(`Results are cached for ${fmtMs(spec.cache.ttlMs)}.`);
  return parts.join(' ');
}

function annotations(spec: ToolSpec): ToolAnnotations {
  const a: ToolAnnotations = { readOnlyHint: spec.readOnly };
  if (spec.title) a.title = spec.title;
  if (!spec.readOnly) a.destructiveHint = spec.destructive;
  const idempotent = spec.idempotent ?? (spec.readOnly ? true : undefined);
  if (idempotent !== undefined) a.idempotentHint = idempotent;
  a.openWorldHint = spec.kind === 'command' || (spec.kind === 'http' && spec.base !== 'app');
  return a;
}

/** JSON with sorted keys, so {a, b} and {b, a} share a cache entry. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The seed's CachedTool: successful results only, keyed by canonical arguments, least recently used evicted. */
function withCache(run: Run, cache: CacheSpec): Run {
  const entries = new Map<string, { at: number; result: ToolResult }>();
  return async (args, ctx) => {
    const key = canonicalJson(args);
    const now = Date.now();
    const hit = entries.get(key);
    if (hit) {
      entries.delete(key);
      if (now - hit.at < cache.ttlMs) {
        entries.set(key, hit);
        const age = Math.round((now - hit.at) / 1000);
        return {
          ...hit.result,
          content: [
            ...hit.result.content,
            { type: 'text', text: `(cached result from ${age} s ago; cache ttl ${fmtMs(cache.ttlMs)})` },
          ],
        };
      }
    }
    const result = await run(args, ctx);
    if (!result.isError) {
      entries.set(key, { at: Date.now(), result });
      while (entries.size > cache.maxEntries) entries.delete(entries.keys().next().value!);
    }
    return result;
  };
}

function runner(spec: ToolSpec): Run {
  switch (spec.kind) {
    case 'http':
      return (args, ctx) => runHttp(spec, args, ctx);
    case 'prometheus':
      return (args, ctx) => runPrometheus(spec, args, ctx);
    case 'command':
      return (args, ctx) => runCommand(spec, args, ctx);
    case 'database':
      return (args, ctx) => runDatabase(spec, args, ctx);
  }
}

export function buildTool(spec: ToolSpec): Tool {
  const run = spec.cache ? withCache(runner(spec), spec.cache) : runner(spec);
  const tool: Tool = {
    name: spec.name,
    description: describeTool(spec),
    inputSchema: buildInputSchema(spec.params),
    annotations: annotations(spec),
    run,
  };
  if (spec.title) tool.title = spec.title;
  if (spec.timeoutMs !== undefined) tool.timeoutMs = spec.timeoutMs;
  if (spec.allowedHosts.length) tool.allowedHosts = [...spec.allowedHosts];
  return tool;
}

export function buildTools(specs: readonly ToolSpec[]): Tool[] {
  return specs.map(buildTool);
}
