// buildTools: ToolSpecs → Tool objects (inputSchema, annotations, an LLM-facing description, the executor, a cache).
import { canonicalJson } from '../../shared/canonicalJson.js';
import type { Tool, ToolAnnotations, ToolContext, ToolResult } from '../types.js';
import { describeCommand, runCommand } from './command/execute.js';
import { formatDuration } from './common/fields.js';
import { buildInputSchema } from './common/params.js';
import type { CacheSpec } from './common/spec.js';
import { describeDatabase, runDatabase } from './database/execute.js';
import { describeHttp, runHttp } from './http/execute.js';
import { describePrometheus, runPrometheus } from './prometheus/execute.js';
import type { ToolKind, ToolSpec } from './spec.js';

type Run = (args: Record<string, unknown>, ctx: ToolContext) => Promise<ToolResult>;

/** What build needs of a kind: its executor, one line on what it does, and whether it reaches past the pod. */
interface KindRunner<S extends ToolSpec> {
  run(spec: S, args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
  /** one line on what the tool actually does, so the model can judge it without seeing tools.yaml */
  describe(spec: S): string;
  openWorld(spec: S): boolean;
}

const KINDS: { [K in ToolKind]: KindRunner<Extract<ToolSpec, { kind: K }>> } = {
  http: { run: runHttp, describe: describeHttp, openWorld: (spec) => spec.base !== 'app' },
  prometheus: { run: runPrometheus, describe: describePrometheus, openWorld: () => false },
  command: { run: runCommand, describe: describeCommand, openWorld: () => true },
  database: { run: runDatabase, describe: describeDatabase, openWorld: () => false },
};

/** The runner of a spec's own kind (the mapped type above guarantees the pairing TypeScript cannot follow). */
function kindOf(spec: ToolSpec): KindRunner<ToolSpec> {
  return KINDS[spec.kind] as KindRunner<ToolSpec>;
}

function describeTool(spec: ToolSpec): string {
  const parts = [spec.description.replace(/\s+$/, '')];
  if (!/[.!?]$/.test(parts[0]!)) parts[0] += '.';
  parts.push(kindOf(spec).describe(spec));
  if (!spec.readOnly) parts.push('This tool changes state in the service; confirm with the user before calling it.');
  if (spec.cache) parts.push(`Results are cached for ${formatDuration(spec.cache.ttlMs)}.`);
  return parts.join(' ');
}

function annotations(spec: ToolSpec): ToolAnnotations {
  const a: ToolAnnotations = { readOnlyHint: spec.readOnly };
  if (spec.title) a.title = spec.title;
  if (!spec.readOnly) a.destructiveHint = spec.destructive;
  const idempotent = spec.idempotent ?? (spec.readOnly ? true : undefined);
  if (idempotent !== undefined) a.idempotentHint = idempotent;
  a.openWorldHint = kindOf(spec).openWorld(spec);
  return a;
}

/** A tool's `cache` (its ttl): successful results only, keyed by canonical arguments, least recently used evicted. */
function withCache(run: Run, cache: CacheSpec): Run {
  const entries = new Map<string, { at: number; result: ToolResult }>();
  return async (args, ctx) => {
    // sorted keys, so {a, b} and {b, a} share a cache entry
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
            { type: 'text', text: `(cached result from ${age} s ago; cache ttl ${formatDuration(cache.ttlMs)})` },
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

export function buildTool(spec: ToolSpec): Tool {
  const kind = kindOf(spec);
  const direct: Run = (args, ctx) => kind.run(spec, args, ctx);
  const run = spec.cache ? withCache(direct, spec.cache) : direct;
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
