// tools.yaml parsing: the short and long form examples verbatim, params and inputSchema, annotations, durations, cache, descriptions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../sidecar/errors.js';
import { parseDuration } from '../../sidecar/toolsConfig/common/fields.js';
import { buildTools, parseToolsConfig } from '../../sidecar/toolsConfig/index.js';
import type { ToolSpec } from '../../sidecar/toolsConfig/spec.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tools/${name}`, import.meta.url), 'utf8');
const opts = { serviceName: 'payment-service' };
/** The single-tool examples hold one tool each; a tools.yaml holds a list of them. */
const asListItem = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`))
    .join('\n');

function errorsOf(text: string, o = opts) {
  try {
    parseToolsConfig(text, 'tools.yaml', o);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as ConfigErrors).errors;
  }
  throw new Error('expected ConfigErrors');
}

describe('the short form example (a top-level list)', () => {
  it('is rejected verbatim only because POST does not say it changes state', () => {
    const errors = errorsOf(fixture('short-form.yaml'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('tools[1].method');
    expect(errors[0]!.message).toContain('tools.yaml: tools[1].method: POST');
    expect(errors[0]!.fix).toContain('read_only: false');
  });

  it('parses with read_only: false declared on the retry', () => {
    const text = fixture('short-form.yaml').replace('  method: POST', '  method: POST\n  read_only: false');
    const specs = parseToolsConfig(text, 'tools.yaml', opts);
    expect(specs.map((s) => [s.name, s.kind])).toEqual([
      ['check_transaction_status', 'http'],
      ['retry_failed_payment', 'http'],
      ['check_stripe_connection', 'command'],
      ['get_payment_queue_depth', 'prometheus'],
    ]);
    const tools = buildTools(specs);
    const [check, retry, stripe, depth] = tools;
    expect(check!.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true, openWorldHint: false });
    expect(check!.inputSchema).toEqual({
      type: 'object',
      properties: {
        id: {
          type: 'string',
          description: 'Value for {id} in the request path of GET /admin/transaction/{id}.',
          maxLength: 1024,
        },
      },
      required: ['id'],
      additionalProperties: false,
    });
    expect(retry!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(retry!.description).toContain('changes state');
    const cmd = specs[2] as Extract<ToolSpec, { kind: 'command' }>;
    expect(cmd.command).toBe('curl');
    expect(cmd.args).toEqual([['-f'], ['https://api.stripe.com/v1/health']]);
    expect(stripe!.annotations.openWorldHint).toBe(true);
    expect(depth!.inputSchema).toEqual({ type: 'object', properties: {}, additionalProperties: false });
    expect(depth!.description).toContain('payment_queue_depth');
  });
});

describe('the long form example (tools: [...], type + config)', () => {
  it('parses verbatim', () => {
    const specs = parseToolsConfig(fixture('long-form.yaml'), 'tools.yaml', opts);
    expect(specs.map((s) => s.name)).toEqual([
      'check_transaction_status',
      'get_payment_metrics',
      'check_stripe_connection',
      'get_queue_depth',
    ]);
    const http = specs[0] as Extract<ToolSpec, { kind: 'http' }>;
    expect(http.base).toBe('app');
    expect(http.targetText).toBe('/admin/transaction/{transaction_id}');
    expect(http.headers).toEqual([{ name: 'X-Admin-Token', valueFrom: 'ADMIN_TOKEN_SECRET' }]);
    const metrics = specs[1] as Extract<ToolSpec, { kind: 'prometheus' }>;
    expect(metrics.single).toBe(false);
    expect(metrics.queries.map((q) => q.name)).toEqual(['success_rate', 'avg_amount']);
    const cmd = specs[2] as Extract<ToolSpec, { kind: 'command' }>;
    expect(cmd.args.map((a) => a.join(''))).toEqual(['-f', '-m', '5', 'https://api.stripe.com/v1/health']);
    expect(buildTools(specs).every((t) => t.annotations.readOnlyHint)).toBe(true);
  });

  it('treats the url host as the app only when it is the app', () => {
    const errors = errorsOf(fixture('long-form.yaml'), { ...opts, appUrl: 'http://localhost:9090' } as never);
    expect(errors[0]!.path).toBe('tools[0].config.url');
    expect(errors[0]!.fix).toContain('allowed_hosts: [localhost:8080]');
  });
});

describe('the single-tool examples', () => {
  it('says how to fix a file holding a single tool', () => {
    const errors = errorsOf(fixture('single-tool-error-rate.yaml'));
    expect(errors[0]!.problem).toContain('single tool');
    expect(errors[0]!.fix).toContain('- name:');
  });

  it('parses the prometheus and database examples as list items', () => {
    const text = [fixture('single-tool-error-rate.yaml'), fixture('single-tool-database.yaml')]
      .map(asListItem)
      .join('\n');
    const [rate, db] = parseToolsConfig(text, 'tools.yaml', opts) as [
      Extract<ToolSpec, { kind: 'prometheus' }>,
      Extract<ToolSpec, { kind: 'database' }>,
    ];
    expect(rate.prometheusUrl).toBe('http://prometheus.monitoring.svc:9090');
    expect(rate.allowedHosts).toEqual(['prometheus.monitoring.svc:9090']);
    expect(rate.queries[0]!.parts).toContainEqual({ env: 'SERVICE_NAME', quote: '"' });
    expect(db.connection).toEqual({ env: 'DATABASE_URL' });
    expect(db.sql).toBe('SELECT * FROM pg_stat_activity WHERE datname = $1');
    expect(db.binds).toEqual([{ env: 'DATABASE_NAME' }]);
    expect(db.cursor).toBe(true);
    const [tool] = buildTools([rate]);
    expect(tool!.allowedHosts).toEqual(['prometheus.monitoring.svc:9090']);
  });

  it('refuses the get_health example: it would shadow the generic tool', () => {
    const errors = errorsOf(asListItem(fixture('single-tool-health.yaml')));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('tools[0].name');
    expect(errors[0]!.problem).toContain('generic tool');
  });
});

describe('params', () => {
  const spec = () =>
    parseToolsConfig(
      `
- name: recent_orders
  description: Recent orders of a customer
  endpoint: /orders/{customer}
  query: {limit: "{limit}", status: "{status}", fixed: yes}
  params:
    customer: {type: string, description: Customer id, pattern: "^[a-z0-9-]+$", max_length: 64}
    limit: {type: integer, minimum: 1, maximum: 100, default: 10}
    status: {enum: [open, closed], required: false, description: Only orders in this state}
`,
      'tools.yaml',
      opts,
    )[0]!;

  it('become a closed inputSchema with types, bounds, defaults and required', () => {
    const [tool] = buildTools([spec()]);
    expect(tool!.inputSchema).toEqual({
      type: 'object',
      properties: {
        customer: { type: 'string', description: 'Customer id.', pattern: '^[a-z0-9-]+$', maxLength: 64 },
        limit: { type: 'integer', description: 'The limit value.', minimum: 1, maximum: 100, default: 10 },
        status: { type: 'string', description: 'Only orders in this state. Optional.', enum: ['open', 'closed'] },
      },
      required: ['customer'],
      additionalProperties: false,
    });
  });

  it('accept a bare type name as shorthand', () => {
    const [s] = parseToolsConfig(
      '- {name: t, description: d, endpoint: "/x/{n}", params: {n: integer}}',
      'tools.yaml',
      opts,
    );
    expect(s!.params[0]).toMatchObject({ name: 'n', type: 'integer', required: true, inferred: false });
  });
});

describe('annotations', () => {
  const one = (extra: string) =>
    buildTools(parseToolsConfig(`- {name: t, description: d, endpoint: /x, ${extra}}`, 'tools.yaml', opts))[0]!;

  it('are read-only by default and say so explicitly', () => {
    expect(one('method: GET').annotations).toEqual({ readOnlyHint: true, idempotentHint: true, openWorldHint: false });
  });
  it('follow read_only, destructive and idempotent', () => {
    expect(one('method: PUT, read_only: false, destructive: false, idempotent: true').annotations).toEqual({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    expect(one('method: POST, read_only: true').annotations.readOnlyHint).toBe(true);
  });
  it('carry the title', () => {
    const t = one('title: Orders');
    expect(t.title).toBe('Orders');
    expect(t.annotations.title).toBe('Orders');
  });
});

describe('durations and cache', () => {
  it('parse 500ms, 5s, 2m, 1h and plain milliseconds', () => {
    expect([
      parseDuration('500ms'),
      parseDuration('5s'),
      parseDuration('2m'),
      parseDuration('1h'),
      parseDuration(250),
    ]).toEqual([500, 5000, 120_000, 3_600_000, 250]);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });

  it('set the tool timeout and the cache', () => {
    const [s] = parseToolsConfig(
      '- {name: t, description: d, endpoint: /x, timeout: 2s, cache: {ttl: 30s, max_entries: 5}}',
      'tools.yaml',
      opts,
    );
    expect(s).toMatchObject({ timeoutMs: 2000, cache: { ttlMs: 30_000, maxEntries: 5 } });
    const [tool] = buildTools([s!]);
    expect(tool!.timeoutMs).toBe(2000);
    expect(tool!.description).toContain('cached for 30s');
  });

  it('accept cache: <ttl> as shorthand', () => {
    const [s] = parseToolsConfig('- {name: t, description: d, endpoint: /x, cache: 1m}', 'tools.yaml', opts);
    expect(s!.cache).toEqual({ ttlMs: 60_000, maxEntries: 100 });
  });
});

describe('all kinds together', () => {
  it('parses the reference file and describes each tool for a model', () => {
    const specs = parseToolsConfig(fixture('all-kinds.yaml'), 'all-kinds.yaml', opts);
    const tools = buildTools(specs);
    expect(tools.map((t) => t.name)).toEqual([
      'get_transaction',
      'retry_payment',
      'error_rate',
      'latency_trend',
      'disk_usage',
      'slow_queries',
    ]);
    for (const t of tools) {
      expect(t.description.length).toBeGreaterThan(40);
      expect(t.inputSchema.additionalProperties).toBe(false);
    }
    expect(tools[1]!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it('accepts an empty file and an empty tools: list', () => {
    expect(parseToolsConfig('', 'tools.yaml', opts)).toEqual([]);
    expect(parseToolsConfig('tools: []\n', 'tools.yaml', opts)).toEqual([]);
    expect(parseToolsConfig('tools:\n', 'tools.yaml', opts)).toEqual([]);
    expect(parseToolsConfig('# no tools yet\n\n', 'tools.yaml', opts)).toEqual([]);
  });

  it('refuses a file of several YAML documents, naming the fix', () => {
    expect(() => parseToolsConfig('tools: []\n---\ntools: []\n', 'tools.yaml', opts)).toThrow(
      /holds 2 YAML documents; a tools file is one.*remove the extra "---"/s,
    );
  });
});
