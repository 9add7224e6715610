// get_env_vars: the sidecar-visible environment with secrets redacted by name and by value shape.
import { redactEnv } from '../redact.js';
import { capText, toolResult } from '../toolSupport.js';
import type { Tool } from '../types.js';

const MAX_VALUE_CHARS = 500;

export const getEnvVars: Tool = {
  name: 'get_env_vars',
  title: 'Environment variables (redacted)',
  description:
    'Lists the environment variables of this service (name=value, sorted by name) with secrets redacted: values of ' +
    'names containing PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH, CERT, DSN and the like are shown as ***, and ' +
    'credentials recognisable by shape (passwords inside URLs, bearer tokens and JWTs, PEM blocks, cloud access ' +
    'keys, long random strings) are masked wherever they appear. Use it to check configuration: endpoints, feature ' +
    'flags, pool sizes, log levels. `prefix` keeps only names starting with it (case-insensitive), e.g. DB_ or ' +
    'SPRING_; Kubernetes adds many *_SERVICE_HOST/*_PORT variables, so a prefix keeps the answer short.',
  inputSchema: {
    type: 'object',
    properties: {
      prefix: { type: 'string', maxLength: 128, description: 'only variables whose name starts with this' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 200,
        description: 'most variables to return (default 200)',
      },
    },
    additionalProperties: false,
  },
  annotations: {
    title: 'Environment variables (redacted)',
    readOnlyHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, ctx) {
    const prefix = typeof args['prefix'] === 'string' ? args['prefix'].toUpperCase() : '';
    const limit = typeof args['limit'] === 'number' ? Math.min(1000, Math.max(1, Math.floor(args['limit']))) : 200;
    const all = redactEnv(ctx.env).filter((v) => v.name.toUpperCase().startsWith(prefix));
    const shown = all.slice(0, limit).map((v) => ({ ...v, value: capText(v.value, MAX_VALUE_CHARS) }));
    const redacted = all.filter((v) => v.redacted).length;
    const lines = [
      `${all.length} variables${prefix ? ` starting with ${prefix}` : ''}, ${shown.length} shown, ${redacted} redacted`,
      ...shown.map((v) => `${v.name}=${v.value}`),
    ];
    if (all.length > shown.length) lines.push(`note: ${all.length - shown.length} more; raise limit or use prefix`);
    return toolResult(lines.join('\n'), {
      total: all.length,
      shown: shown.length,
      redacted,
      variables: shown,
    });
  },
};
