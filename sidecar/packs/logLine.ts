// What a log line says about its level, for the logs pack's tools (search, top_errors, trace_request): a JSON
// level/severity field (names or pino's numbers) or a level word.

import type { JsonSchema } from '../types.js';

/** The `since` argument of the logs pack's tools: how far back lines are read. */
export const SINCE_SCHEMA: JsonSchema = {
  type: 'string',
  maxLength: 64,
  default: '1h',
  description: 'an ISO time or a duration back from now: 15m, 2h, 1d',
};

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

const JSON_LEVEL = /"(?:level|lvl|severity)"\s*:\s*"?([A-Za-z]+|\d{2})"?/;
export const WORD_LEVEL = /\b(TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|ERR|FATAL|CRITICAL|PANIC)\b/i;
const PINO_LEVELS: Record<string, Level> = {
  '10': 'trace',
  '20': 'debug',
  '30': 'info',
  '40': 'warn',
  '50': 'error',
  '60': 'fatal',
};

/** A line's level, from a JSON level/severity field (names or pino numbers) or a level word; undefined when none. */
export function lineLevel(line: string): Level | undefined {
  const m = (line.startsWith('{') ? JSON_LEVEL.exec(line) : undefined) ?? WORD_LEVEL.exec(line);
  if (!m) return undefined;
  const v = m[1]!.toLowerCase();
  if (PINO_LEVELS[v]) return PINO_LEVELS[v];
  if (v.startsWith('warn')) return 'warn';
  if (v === 'err') return 'error';
  if (v === 'critical' || v === 'panic') return 'fatal';
  return (LEVELS as readonly string[]).includes(v) ? (v as Level) : undefined;
}
