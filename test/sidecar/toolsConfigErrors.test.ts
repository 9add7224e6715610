// tools.yaml error paths: each problem names the file, the path inside it, what is wrong and the fix.
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../sidecar/errors.js';
import { parseToolsConfig } from '../../sidecar/toolsConfig/index.js';

const FILE = '/etc/mcp/tools.yaml';

function errorsOf(text: string, serviceName = 'payment-service') {
  try {
    parseToolsConfig(text, FILE, { serviceName });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as ConfigErrors).errors;
  }
  throw new Error(`expected ConfigErrors for:\n${text}`);
}

/** [case, yaml, path, problem contains, fix contains] */
const CASES: [string, string, string, string, string][] = [
  ['top level scalar', 'hello', '', 'must be a list of tools', 'tools:'],
  ['tools not a list', 'tools: {a: 1}', 'tools', 'must be a list', 'list item'],
  ['unknown top-level key', 'tools: []\ntool: []', 'tool', 'unknown key "tool"', 'did you mean "tools"'],
  ['entry not a mapping', '- just a string', 'tools[0]', 'must be a mapping', '- name:'],
  ['missing name', '- {description: d, endpoint: /x}', 'tools[0].name', '"name" is missing', 'add name:'],
  ['bad name', '- {name: get.status, description: d, endpoint: /x}', 'tools[0].name', 'letters, digits', 'get_status'],
  [
    'full name over 64',
    `- {name: ${'x'.repeat(50)}, description: d, endpoint: /x}`,
    'tools[0].name',
    'over 64',
    'at most 47 characters',
  ],
  ['generic name', '- {name: get_logs, description: d, endpoint: /x}', 'tools[0].name', 'generic tool', 'rename it'],
  ['missing description', '- {name: t, endpoint: /x}', 'tools[0].description', 'missing', 'the model reads it'],
  [
    'typo key',
    '- {name: t, descripton: d, description: d, endpoint: /x}',
    'tools[0].descripton',
    'unknown key',
    'did you mean "description"',
  ],
  [
    'unknown key, no near match',
    '- {name: t, description: d, endpoint: /x, zzzzzz: 1}',
    'tools[0].zzzzzz',
    'unknown key',
    'the keys of an http tool are',
  ],
  [
    'config key at tool level',
    '- {name: t, description: d, type: http, timeout: 5s, config: {endpoint: /x}}',
    'tools[0].timeout',
    'does not belong here',
    'under config',
  ],
  [
    'tool key under config',
    '- {name: t, description: d, type: http, config: {endpoint: /x, cache: 5s}}',
    'tools[0].config.cache',
    'does not belong here',
    'up next to name',
  ],
  [
    'unknown type',
    '- {name: t, description: d, type: grpc, config: {}}',
    'tools[0].type',
    'unknown tool type',
    'http | prometheus | command | database',
  ],
  ['type without config', '- {name: t, description: d, type: http}', 'tools[0].config', 'needs config', 'add config:'],
  [
    'config without type',
    '- {name: t, description: d, config: {endpoint: /x}}',
    'tools[0].type',
    'needs a type',
    'type: http',
  ],
  ['kind unknown', '- {name: t, description: d}', 'tools[0]', 'cannot tell what kind', 'endpoint:'],
  [
    'mixed kinds',
    '- {name: t, description: d, endpoint: /x, command: ls}',
    'tools[0]',
    'mixes endpoint and command',
    'one of',
  ],
  // http
  [
    'bad method',
    '- {name: t, description: d, endpoint: /x, method: FETCH}',
    'tools[0].method',
    'unknown HTTP method',
    'GET',
  ],
  [
    'mutating method undeclared',
    '- {name: t, description: d, endpoint: /x, method: DELETE}',
    'tools[0].method',
    'DELETE',
    'read_only: false',
  ],
  [
    'endpoint not a path',
    '- {name: t, description: d, endpoint: admin/x}',
    'tools[0].endpoint',
    'not a path',
    'start it with /',
  ],
  [
    'endpoint and url',
    '- {name: t, description: d, endpoint: /x, url: "http://localhost:8080/x"}',
    'tools[0].url',
    'both endpoint and url',
    'keep one',
  ],
  [
    'url not http',
    '- {name: t, description: d, type: http, config: {url: "ftp://x/y"}}',
    'tools[0].config.url',
    'not an http(s) URL',
    'endpoint: /path',
  ],
  [
    'placeholder in host',
    '- {name: t, description: d, type: http, config: {url: "http://{host}/x"}}',
    'tools[0].config.url',
    'URL host',
    'placeholders in the path',
  ],
  [
    'credentials in url',
    '- {name: t, description: d, type: http, config: {url: "http://u:p@localhost:8080/x"}}',
    'tools[0].config.url',
    'credentials',
    'auth:',
  ],
  [
    'foreign host (SSRF)',
    '- {name: t, description: d, type: http, config: {url: "http://169.254.169.254/latest/meta-data"}}',
    'tools[0].config.url',
    'not the app',
    'allowed_hosts: [169.254.169.254]',
  ],
  [
    'bad allowed host',
    '- {name: t, description: d, endpoint: /x, allowed_hosts: ["http://a/b"]}',
    'tools[0].allowed_hosts[0]',
    'not a host',
    'without scheme',
  ],
  [
    'secret header literal',
    '- {name: t, description: d, endpoint: /x, headers: {Authorization: Bearer abc}}',
    'tools[0].headers.Authorization',
    'credential',
    'value_from',
  ],
  [
    'reserved header',
    '- {name: t, description: d, endpoint: /x, headers: {Host: evil}}',
    'tools[0].headers.Host',
    'set by the sidecar',
    'remove it',
  ],
  [
    'value_from with $',
    '- {name: t, description: d, endpoint: /x, headers: {X-T: {value_from: $TOKEN}}}',
    'tools[0].headers.X-T.value_from',
    'not an environment variable name',
    'no $',
  ],
  [
    'auth without header',
    '- {name: t, description: d, endpoint: /x, auth: {type: header, value_from: T}}',
    'tools[0].auth.header',
    'missing',
    'X-Admin-Token',
  ],
  [
    'auth literal value',
    '- {name: t, description: d, endpoint: /x, auth: {type: header, header: X-T, value: s3cret}}',
    'tools[0].auth.value',
    'does not belong here',
    'value_from',
  ],
  [
    'auth type',
    '- {name: t, description: d, endpoint: /x, auth: {type: oauth, value_from: T}}',
    'tools[0].auth.type',
    'unknown auth type',
    'bearer',
  ],
  [
    'body on GET',
    '- {name: t, description: d, endpoint: /x, body: {a: 1}}',
    'tools[0].body',
    'has no body',
    'remove body',
  ],
  [
    'expected_status',
    '- {name: t, description: d, endpoint: /x, expected_status: ok}',
    'tools[0].expected_status',
    'HTTP status',
    'expected_status: 200',
  ],
  [
    'optional path param',
    '- {name: t, description: d, endpoint: "/x/{id}", params: {id: {required: false}}}',
    'tools[0].params.id',
    'URL path',
    'required or give it a default',
  ],
  // prometheus
  [
    'no query',
    '- {name: t, description: d, type: prometheus, config: {range: 1h}}',
    'tools[0].config',
    'needs a query',
    'query:',
  ],
  [
    'query and queries',
    '- {name: t, description: d, type: prometheus, config: {query: up, queries: []}}',
    'tools[0].config.queries',
    'only one of',
    'queries:',
  ],
  [
    'queries entry',
    '- {name: t, description: d, type: prometheus, config: {queries: [up]}}',
    'tools[0].config.queries[0]',
    'name and query',
    'name:',
  ],
  [
    'duplicate query names',
    '- {name: t, description: d, type: prometheus, config: {queries: [{name: a, query: up}, {name: a, query: up}]}}',
    'tools[0].config.queries[1].name',
    'used twice',
    'its own name',
  ],
  [
    'other $VAR',
    '- {name: t, description: d, prometheus_query: "up{job=\\"$JOB\\"}"}',
    'tools[0].prometheus_query',
    '$JOB is not substituted',
    '$SERVICE_NAME',
  ],
  [
    'unquoted string param',
    '- {name: t, description: d, prometheus_query: "rate(x[{w}])"}',
    'tools[0].prometheus_query',
    'outside a quoted string',
    'label="{w}"',
  ],
  [
    'optional promql param',
    '- {name: t, description: d, prometheus_query: "up{a=\\"{x}\\"}", params: {x: {required: false}}}',
    'tools[0].prometheus_query',
    'optional without a default',
    'required',
  ],
  [
    'unquoted $SERVICE_NAME',
    '- {name: t, description: d, prometheus_query: "up{job=$SERVICE_NAME}"}',
    'tools[0].prometheus_query',
    'outside a quoted string',
    'job="$SERVICE_NAME"',
  ],
  [
    'whole ConfigMap',
    'apiVersion: v1\nkind: ConfigMap\ndata:\n  tools.yaml: "- name: a"',
    '',
    'whole ConfigMap',
    'data: tools.yaml',
  ],
  [
    'step without range',
    '- {name: t, description: d, prometheus_query: up, step: 1m}',
    'tools[0].step',
    'without range',
    'range: 1h',
  ],
  [
    'too many points',
    '- {name: t, description: d, prometheus_query: up, range: 30d, step: 1s}',
    'tools[0].step',
    'points',
    'larger step',
  ],
  [
    'bad prometheus_url',
    '- {name: t, description: d, prometheus_query: up, prometheus_url: prom:9090}',
    'tools[0].prometheus_url',
    'not an http(s) URL',
    'http://prometheus',
  ],
  [
    'max_series',
    '- {name: t, description: d, prometheus_query: up, max_series: 0}',
    'tools[0].max_series',
    'from 1 to 500',
    'max_series: 20',
  ],
  // command
  ['pipe', '- {name: t, description: d, command: "ps aux | grep app"}', 'tools[0].command', 'without a shell', 'args:'],
  [
    'redirect',
    '- {name: t, description: d, command: "cat /etc/passwd > /tmp/x"}',
    'tools[0].command',
    'shell operator',
    'args:',
  ],
  [
    'and-list',
    '- {name: t, description: d, command: "true && reboot"}',
    'tools[0].command',
    'without a shell',
    'args:',
  ],
  ['substitution', '- {name: t, description: d, command: "echo $(id)"}', 'tools[0].command', 'substitution', 'args:'],
  [
    'backticks',
    '- {name: t, description: d, command: "echo `id`"}',
    'tools[0].command',
    'command substitution',
    'args:',
  ],
  ['glob', '- {name: t, description: d, command: "ls /var/log/*.log"}', 'tools[0].command', 'glob', 'args:'],
  [
    'unterminated quote',
    `- {name: t, description: d, command: "echo 'a"}`,
    'tools[0].command',
    'unterminated',
    'args:',
  ],
  [
    'command line with args',
    '- {name: t, description: d, command: "curl -f", args: [x]}',
    'tools[0].command',
    'only the program',
    'command: curl',
  ],
  [
    'relative program',
    '- {name: t, description: d, command: "./bin/check"}',
    'tools[0].command',
    'absolute path',
    'command: curl',
  ],
  [
    'env name',
    '- {name: t, description: d, command: env, env: ["A-B"]}',
    'tools[0].env[0]',
    'not an environment variable name',
    'bare names',
  ],
  [
    'max_output_bytes',
    '- {name: t, description: d, command: ls, max_output_bytes: 10}',
    'tools[0].max_output_bytes',
    '1024 to 1048576',
    '65536',
  ],
  // database
  [
    'database read_only false',
    '- {name: t, description: d, type: database, read_only: false, config: {connection_string: $D, query: SELECT 1}}',
    'tools[0].config.read_only',
    'always read-only',
    'remove read_only: false',
  ],
  [
    'no connection_string',
    '- {name: t, description: d, type: database, config: {query: SELECT 1}}',
    'tools[0].config.connection_string',
    'missing',
    '$DATABASE_URL',
  ],
  [
    'not postgres',
    '- {name: t, description: d, type: database, config: {connection_string: "mysql://h/db", query: SELECT 1}}',
    'tools[0].config.connection_string',
    'neither',
    '$DATABASE_URL',
  ],
  [
    'write query',
    '- {name: t, description: d, type: database, config: {connection_string: $D, query: "DELETE FROM t"}}',
    'tools[0].config.query',
    'not DELETE',
    'SELECT',
  ],
  [
    'two statements',
    '- {name: t, description: d, type: database, config: {connection_string: $D, query: "SELECT 1; DROP TABLE t"}}',
    'tools[0].config.query',
    'more than one statement',
    'single',
  ],
  [
    'positional',
    '- {name: t, description: d, type: database, config: {connection_string: $D, query: "SELECT $1"}}',
    'tools[0].config.query',
    'positional',
    '{name}',
  ],
  [
    'param inside literal',
    `- {name: t, description: d, type: database, params: {q: string}, config: {connection_string: $D, query: "SELECT 1 WHERE a LIKE '%{q}%'"}}`,
    'tools[0].config.query',
    'longer string literal',
    "'%' || {q} || '%'",
  ],
  [
    'unterminated literal',
    `- {name: t, description: d, type: database, config: {connection_string: $D, query: "SELECT 'a"}}`,
    'tools[0].config.query',
    'unterminated',
    'close',
  ],
  [
    'max_rows',
    '- {name: t, description: d, type: database, config: {connection_string: $D, query: SELECT 1, max_rows: 5000}}',
    'tools[0].config.max_rows',
    '1 to 1000',
    'max_rows: 100',
  ],
  // params
  [
    'param type',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {type: uuid}}}',
    'tools[0].params.a.type',
    'unknown param type',
    'string, integer',
  ],
  [
    'param default type',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {type: integer, default: x}}}',
    'tools[0].params.a.default',
    'not a integer',
    'integer default',
  ],
  [
    'default not in enum',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {enum: [p, q], default: r}}}',
    'tools[0].params.a.default',
    'enum',
    'pick a default',
  ],
  [
    'bad pattern',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {pattern: "("}}}',
    'tools[0].params.a.pattern',
    'regular expression',
    'fix the regular expression',
  ],
  [
    'minimum on string',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {minimum: 1}}}',
    'tools[0].params.a.minimum',
    'only applies',
    'remove it',
  ],
  [
    'min alias',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {type: integer, min: 1}}}',
    'tools[0].params.a.min',
    'does not belong',
    'minimum:',
  ],
  [
    'unused param',
    '- {name: t, description: d, endpoint: /x, params: {a: string}}',
    'tools[0].params.a',
    'never used',
    'use {a}',
  ],
  [
    'placeholder typo',
    '- {name: t, description: d, endpoint: "/x/{transaction_idd}", params: {transaction_id: string}}',
    'tools[0].endpoint',
    'not a declared param',
    'did you mean {transaction_id}',
  ],
  [
    'required and default',
    '- {name: t, description: d, endpoint: "/x/{a}", params: {a: {required: true, default: b}}}',
    'tools[0].params.a.required',
    'cannot be required',
    'remove',
  ],
  [
    'param name',
    '- {name: t, description: d, endpoint: /x, params: {"a-b": string}}',
    'tools[0].params.a-b',
    'not an identifier',
    'letters, digits',
  ],
  // tool-level settings
  [
    'cache on mutating tool',
    '- {name: t, description: d, endpoint: /x, method: POST, read_only: false, cache: 5s}',
    'tools[0].cache',
    'cannot be cached',
    'remove cache',
  ],
  [
    'cache without ttl',
    '- {name: t, description: d, endpoint: /x, cache: {max_entries: 5}}',
    'tools[0].cache.ttl',
    'needs a ttl',
    'ttl: 30s',
  ],
  [
    'destructive read-only',
    '- {name: t, description: d, endpoint: /x, destructive: true}',
    'tools[0].destructive',
    'cannot be destructive',
    'read_only: false',
  ],
  [
    'read_only twice',
    '- {name: t, description: d, type: database, read_only: true, config: {connection_string: $D, query: SELECT 1, read_only: false}}',
    'tools[0].config.read_only',
    'set twice',
    'keep one',
  ],
  [
    'timeout range',
    '- {name: t, description: d, endpoint: /x, timeout: 1h}',
    'tools[0].timeout',
    'out of range',
    'between 100ms and 300s',
  ],
  [
    'timeout format',
    '- {name: t, description: d, endpoint: /x, timeout: soon}',
    'tools[0].timeout',
    'not a duration',
    '500ms, 5s',
  ],
  [
    'read_only type',
    '- {name: t, description: d, endpoint: /x, read_only: "no"}',
    'tools[0].read_only',
    'true or false',
    'read_only: true',
  ],
];

describe('every error names the file, the path, the problem and the fix', () => {
  it.each(CASES)('%s', (_label, text, path, problem, fix) => {
    const errors = errorsOf(text);
    const e = errors.find((x) => x.path === path);
    expect(e, `no error at ${path}; got:\n${errors.map((x) => x.message).join('\n')}`).toBeDefined();
    expect(e!.file).toBe(FILE);
    expect(e!.problem).toContain(problem);
    expect(e!.fix).toContain(fix);
    expect(e!.message).toBe(`${FILE}: ${path ? `${path}: ` : ''}${e!.problem} (fix: ${e!.fix})`);
  });
});

describe('collected errors', () => {
  it('reports YAML syntax errors with line and column', () => {
    const [e] = errorsOf('tools:\n  - name: a\n    description: [unclosed\n');
    expect(e!.path).toMatch(/^line \d+, column \d+$/);
    expect(e!.problem).toContain('YAML syntax error');
  });

  it('reports duplicate names and every broken tool in one pass', () => {
    const errors = errorsOf(
      [
        '- {name: a, description: d, endpoint: /x}',
        '- {name: a, description: d, endpoint: /y}',
        '- {name: b, endpoint: /x}',
        '- {name: c, description: d, command: "a | b"}',
      ].join('\n'),
    );
    expect(errors.map((e) => e.path)).toEqual(['tools[1].name', 'tools[2].description', 'tools[3].command']);
    expect(errors[0]!.problem).toContain('already used by tools[0]');
  });

  it('never repeats a password written into a connection string', () => {
    const errors = errorsOf(
      '- {name: t, description: d, type: database, config: {connection_string: "postgres://app:hunter2pw@db/app", query: SELECT 1}}',
    );
    expect(errors[0]!.path).toBe('tools[0].config.connection_string');
    expect(errors[0]!.fix).toContain('Secret');
    expect(errors.map((e) => e.message).join('\n')).not.toContain('hunter2pw');
  });

  it('measures the full name with the service name', () => {
    const name = 'x'.repeat(40);
    expect(() =>
      parseToolsConfig(`- {name: ${name}, description: d, endpoint: /x}`, FILE, { serviceName: 'short' }),
    ).not.toThrow();
    expect(errorsOf(`- {name: ${name}, description: d, endpoint: /x}`, 'a-much-longer-service-name')[0]!.path).toBe(
      'tools[0].name',
    );
  });
});
