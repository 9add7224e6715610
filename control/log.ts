// The control service's JSON logs (pino), with the sidecar's field names: timestamp, level, component, message.
import { type DestinationStream, type Logger, pino } from 'pino';

export type ControlLogger = Logger;
export type ControlLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createControlLogger(level: ControlLogLevel = 'info', destination?: DestinationStream): ControlLogger {
  const options = {
    level,
    base: { component: 'control' },
    messageKey: 'message',
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
    // Tokens and keys never reach a log line, whatever object is logged.
    redact: {
      paths: ['headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
