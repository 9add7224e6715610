// The command splitter and value templating: examples plus fast-check properties (one value stays one argv element,
// one path segment, one PromQL string, one bound SQL parameter).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../sidecar/errors.js';
import { buildArgv } from '../../sidecar/toolsConfig/command/execute.js';
import { checkPathSegment } from '../../sidecar/toolsConfig/http/execute.js';
import { parseToolsConfig, splitCommand } from '../../sidecar/toolsConfig/index.js';
import { renderPromQL } from '../../sidecar/toolsConfig/prometheus/execute.js';
import type { CommandSpec, DatabaseSpec, PrometheusSpec } from '../../sidecar/toolsConfig/spec.js';

const opts = { serviceName: 'payment-service' };
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('splitCommand', () => {
  it('splits words and honours quotes and escapes', () => {
    expect(splitCommand('curl -f https://api.stripe.com/v1/health')).toEqual({
      ok: true,
      argv: ['curl', '-f', 'https://api.stripe.com/v1/health'],
    });
    expect(splitCommand(`grep -e 'a b' "c \\"d\\"" e\\ f ''`)).toEqual({
      ok: true,
      argv: ['grep', '-e', 'a b', 'c "d"', 'e f', ''],
    });
    expect(splitCommand(`echo 'a|b;c>$(d)*'`)).toEqual({ ok: true, argv: ['echo', 'a|b;c>$(d)*'] });
    expect(splitCommand('  ls\t-l\n/tmp  ')).toEqual({ ok: true, argv: ['ls', '-l', '/tmp'] });
  });

  it.each([
    ['ps | grep x', 'shell operator'],
    ['a; b', 'shell operator'],
    ['a && b', 'shell operator'],
    ['a || b', 'shell operator'],
    ['a & ', 'shell operator'],
    ['cat < f', 'shell operator'],
    ['echo x > f', 'shell operator'],
    ['echo x 2>&1', 'shell operator'],
    ['(a)', 'shell operator'],
    ['echo $(id)', 'substitution'],
    ['echo "$(id)"', 'substitution'],
    ['echo $HOME', 'variable'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell syntax under test
    ['echo "${HOME}"', 'variable'],
    ['echo `id`', 'command substitution'],
    ['echo "`id`"', 'command substitution'],
    ['ls *.log', 'glob'],
    ['ls file?', 'glob'],
    ['ls [ab]', 'glob'],
    ['cat ~/x', 'start of a word'],
    ['echo # comment', 'start of a word'],
    ["echo 'open", 'unterminated'],
    ['echo "open', 'unterminated'],
    ['echo \\', 'trailing backslash'],
    ['   ', 'empty'],
  ])('rejects %j', (line, what) => {
    const r = splitCommand(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(what);
  });

  it('says commands run without a shell', () => {
    const r = splitCommand('a | b');
    expect(!r.ok && r.problem).toContain('commands run without a shell');
  });

  it('round-trips any argv written with single quotes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { minLength: 1, maxLength: 8 }), (argv) => {
        const clean = argv.map((a) => a.replace(/\0/g, ''));
        const r = splitCommand(clean.map(shellQuote).join(' '));
        expect(r).toEqual({ ok: true, argv: clean });
      }),
    );
  });

  it('never throws, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (line) => {
        const r = splitCommand(line);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});

describe('argv templating', () => {
  const spec = parseToolsConfig(
    `- name: lookup
  description: d
  command: dig
  args: ["+short", "{host}", "--label={label}", "{opt}"]
  params:
    host: {type: string}
    label: {type: string}
    opt: {type: string, required: false, allow_dash: true}
`,
    'tools.yaml',
    opts,
  )[0] as CommandSpec;

  it('keeps any value as exactly one argv element (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((s) => !s.startsWith('-') && !s.includes('\0')),
        fc.string({ unit: 'binary' }).filter((s) => !s.startsWith('-') && !s.includes('\0')),
        (host, label) => {
          expect(buildArgv(spec, { host, label })).toEqual(['+short', host, `--label=${label}`]);
        },
      ),
    );
  });

  it('rejects a leading dash unless the param allows it, and drops absent optional elements', () => {
    expect(() => buildArgv(spec, { host: '-x', label: 'a' })).toThrow(ToolError);
    expect(() => buildArgv(spec, { host: '--output=/etc/passwd', label: 'a' })).toThrow(/could read it as an option/);
    expect(() => buildArgv(spec, { host: 'h', label: '-x' })).toThrow(ToolError);
    expect(buildArgv(spec, { host: 'h', label: 'l', opt: '-v' })).toEqual(['+short', 'h', '--label=l', '-v']);
  });
});

describe('path segments', () => {
  it.each(['', '.', '..', 'a/b', '..%2f..%2fetc', '%2e%2e', '%252e%252e', 'a\\b', '%2F'])('rejects %j', (v) => {
    expect(() => checkPathSegment(v, 'id')).toThrow(ToolError);
  });

  it('accepted values stay one segment under their prefix (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (v) => {
        try {
          checkPathSegment(v, 'id');
        } catch {
          return;
        }
        const u = new URL(`http://app/admin/transaction/${encodeURIComponent(v)}/x`);
        expect(u.host).toBe('app');
        expect(u.pathname.split('/')).toHaveLength(5);
        expect(decodeURIComponent(u.pathname.split('/')[3]!)).toBe(v);
      }),
    );
  });
});

describe('PromQL values', () => {
  const spec = parseToolsConfig(
    `- {name: q, description: d, prometheus_query: "up{a=\\"{x}\\", b='{x}', c=~\`{r}\`, job=\\"$SERVICE_NAME\\"} > {n}", params: {x: string, r: string, n: number}}`,
    'tools.yaml',
    opts,
  )[0] as PrometheusSpec;

  /** The end of the string literal starting at `open`, following PromQL escapes. */
  function literalEnd(s: string, open: number): number {
    const q = s[open]!;
    for (let i = open + 1; i < s.length; i++) {
      if (s[i] === '\\' && q !== '`') i++;
      else if (s[i] === q) return i;
    }
    return -1;
  }

  it('stay inside their string literal (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (x, n) => {
          const out = renderPromQL(spec.queries[0]!.parts, { x, r: 'a.*', n }, 'payment-service');
          const a = out.indexOf('a="') + 2;
          const endA = literalEnd(out, a);
          expect(out.slice(endA, endA + 5)).toBe(`", b=`);
          expect(
            JSON.parse(
              out
                .slice(a, endA + 1)
                .replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
            ),
          ).toBe(x);
          const b = endA + 5;
          expect(out.slice(literalEnd(out, b), literalEnd(out, b) + 6)).toBe(`', c=~`);
          expect(out.endsWith(`job="payment-service"} > ${String(n)}`)).toBe(true);
        },
      ),
    );
  });

  it('refuses a backtick inside a raw string', () => {
    expect(() => renderPromQL(spec.queries[0]!.parts, { x: 'a', r: '`) or vector(1', n: 1 }, 's')).toThrow(ToolError);
  });
});

describe('SQL binding', () => {
  it('turns every {param} and $ENV into a numbered parameter, leaving strings and comments alone', () => {
    const [db] = parseToolsConfig(
      `- name: q
  description: d
  type: database
  params: {id: integer, name: string}
  config:
    connection_string: $DATABASE_URL
    query: |
      -- {id} in a comment stays
      SELECT '{a,b}'::text[] AS arr, $$ $HOME {id} $$ AS dq, "we{id}rd" AS ident, E'it\\'s {x}' AS e /* {name} */
      FROM t WHERE id = {id} AND owner = {name} AND db = '$DATABASE_NAME' AND other = {id} AND n = '{name}';
`,
      'tools.yaml',
      opts,
    ) as [DatabaseSpec];
    expect(db.binds).toEqual([{ param: 'id' }, { param: 'name' }, { env: 'DATABASE_NAME' }]);
    expect(db.sql).toContain('WHERE id = $1 AND owner = $2 AND db = $3 AND other = $1 AND n = $2');
    expect(db.sql).toContain('-- {id} in a comment stays');
    expect(db.sql).toContain("'{a,b}'::text[]");
    expect(db.sql).toContain('$$ $HOME {id} $$');
    expect(db.sql).toContain('"we{id}rd"');
    expect(db.sql).toContain('/* {name} */');
    expect(db.sql.endsWith(';')).toBe(false);
  });
});
