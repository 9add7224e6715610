// JSON log lines written by hand (pino would cost ~9.5 MB RSS in a 64Mi pod); same fields as the control service.
import type { Logger } from './types.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface LogSink {
  write(line: string): unknown;
}

export function createLogger(component: string, level: LogLevel = 'info', sink: LogSink = process.stdout): Logger {
  const min = LEVELS[level];
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const line: Record<string, unknown> = { timestamp: new Date().toISOString(), level: lvl, component, message };
    if (fields)
      for (const [k, v] of Object.entries(fields)) if (!(k in line)) line[k] = v instanceof Error ? v.message : v;
    sink.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
