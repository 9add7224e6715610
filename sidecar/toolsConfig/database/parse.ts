// tools.yaml `database` kind (PostgreSQL): every {param} and $ENV in the SQL becomes a bound parameter ($1, $2, ...),
// found by a small lexer that knows strings, identifiers, comments and dollar quotes, so nothing is ever spliced in.
import { at, type Problems, readDuration, readInteger, readString } from '../common/fields.js';
import type { KindFields, KindInput } from '../common/kind.js';
import type { ParamSet } from '../common/params.js';
import { ENV_NAME_RE, TIMEOUT_BOUNDS } from '../common/spec.js';
import type { Bind, DatabaseSpec } from './spec.js';

export const DATABASE_KEYS = ['connection_string', 'query', 'max_rows', 'timeout', 'read_only'];

/** Statements that return rows through a cursor; SHOW and EXPLAIN return few rows and cannot be in a cursor. */
const CURSOR_STATEMENTS = ['SELECT', 'WITH', 'VALUES', 'TABLE'];
const DIRECT_STATEMENTS = ['SHOW', 'EXPLAIN'];
const ENV_WHOLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

export interface ParsedSql {
  sql: string;
  binds: Bind[];
  cursor: boolean;
}

export function parseSql(text: string, p: Problems, path: string, params: ParamSet): ParsedSql | undefined {
  const before = p.count;
  const binds: Bind[] = [];
  const slots = new Map<string, number>();
  const bind = (b: Bind): string => {
    const key = 'param' in b ? `p:${b.param}` : `e:${b.env}`;
    let n = slots.get(key);
    if (n === undefined) {
      binds.push(b);
      n = binds.length;
      slots.set(key, n);
    }
    return `$${n}`;
  };
  const purpose = (name: string) => `Value for {${name}} in the SQL query (sent as a bound parameter).`;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const rest = text.slice(i);
    if (rest.startsWith('--')) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
    } else if (rest.startsWith('/*')) {
      let depth = 0;
      let j = i;
      while (j < text.length) {
        if (text.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (text.startsWith('*/', j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      if (depth !== 0) p.add(path, 'unterminated /* comment */ in the query', 'close the comment');
      out += text.slice(i, j);
      i = j;
    } else if (c === "'") {
      const escapes = /[eE]$/.test(text.slice(0, i)) && !/[A-Za-z0-9_][eE]$/.test(text.slice(0, i));
      let j = i + 1;
      let content = '';
      for (;;) {
        if (j >= text.length) {
          p.add(path, "unterminated ' string in the query", 'close the string');
          return undefined;
        }
        const d = text[j]!;
        if (escapes && d === '\\' && j + 1 < text.length) {
          content += text.slice(j, j + 2);
          j += 2;
        } else if (d === "'" && text[j + 1] === "'") {
          content += "''";
          j += 2;
        } else if (d === "'") break;
        else {
          content += d;
          j++;
        }
      }
      const env = ENV_WHOLE.exec(content);
      const ph = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(content);
      if (env && !escapes) {
        // A quoted '$DATABASE_NAME', as SQL examples write it: the quotes go, the value is bound.
        out += bind({ env: env[1] ?? env[2]! });
      } else if (ph && params.get(ph[1]!) && !escapes) {
        params.use(ph[1]!, path, purpose(ph[1]!));
        out += bind({ param: ph[1]! });
      } else {
        const inner = /\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(content);
        if (inner && params.get(inner[1]!)) {
          p.add(
            path,
            `{${inner[1]}} is inside a longer string literal, where it cannot be a bound parameter`,
            `concatenate instead: '%' || {${inner[1]}} || '%'`,
          );
        } else if (/\$\{?[A-Z][A-Z0-9_]*\}?/.test(content) && !/^\$\d/.test(content)) {
          p.add(
            path,
            `an environment reference inside the string '${content}' cannot be bound`,
            "make it the whole literal ('$NAME') or concatenate: 'prefix' || '$NAME'",
          );
        }
        out += text.slice(i, j + 1);
      }
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === '"' && text[j + 1] !== '"')) j += text[j] === '"' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '$') {
      const dq = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
      const env = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(rest);
      if (/^\$\d/.test(rest)) {
        p.add(
          path,
          'positional parameters ($1, $2, ...) are numbered by meshmcp',
          'declare the value under params: and write {name} where it goes',
        );
        i += 2;
      } else if (dq) {
        const end = text.indexOf(dq[0], i + dq[0].length);
        if (end < 0) {
          p.add(path, `unterminated ${dq[0]} quoted string in the query`, `close it with ${dq[0]}`);
          return undefined;
        }
        out += text.slice(i, end + dq[0].length);
        i = end + dq[0].length;
      } else if (env) {
        out += bind({ env: env[1] ?? env[2]! });
        i += env[0].length;
      } else {
        out += c;
        i++;
      }
    } else if (c === '{' && /^\{[A-Za-z_][A-Za-z0-9_]*\}/.test(rest)) {
      const name = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest)![1]!;
      if (params.use(name, path, purpose(name))) out += bind({ param: name });
      i += name.length + 2;
    } else if (c === ';') {
      if (stripComments(text.slice(i + 1)).trim() !== '') {
        p.add(
          path,
          'the query has more than one statement',
          'keep a single read-only statement (SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN)',
        );
        return undefined;
      }
      i++;
    } else {
      out += c;
      i++;
    }
  }
  const keyword = /^[\s(]*([A-Za-z]+)/.exec(stripComments(out))?.[1]?.toUpperCase();
  if (!keyword || ![...CURSOR_STATEMENTS, ...DIRECT_STATEMENTS].includes(keyword)) {
    p.add(
      path,
      `database tools run read-only queries, not ${keyword ?? 'an empty query'}`,
      'write a SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN statement',
    );
  }
  if (p.count !== before) return undefined;
  return { sql: out.trim(), binds, cursor: CURSOR_STATEMENTS.includes(keyword!) };
}

function stripComments(s: string): string {
  return s.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

export function parseDatabase(k: KindInput): KindFields<DatabaseSpec> | undefined {
  const { p, cfg, path, params } = k;
  const before = p.count;
  if (k.readOnlyDeclared && !k.readOnly) {
    p.add(
      at(path, 'read_only'),
      'database tools are always read-only',
      'remove read_only: false; changes belong in the app, not in a diagnostic tool',
    );
  }
  let connection: DatabaseSpec['connection'] | undefined;
  const cp = at(path, 'connection_string');
  const cs = readString(p, cfg, 'connection_string', path, {
    required: true,
    fix: 'add connection_string: $DATABASE_URL and set DATABASE_URL in the sidecar from a Secret',
  });
  if (cs !== undefined) {
    const env = ENV_WHOLE.exec(cs.trim());
    if (env) connection = { env: env[1] ?? env[2]! };
    else if (!/^postgres(ql)?:\/\//.test(cs)) {
      p.add(
        cp,
        'connection_string is neither $ENV_VAR nor a postgres:// URL',
        'write connection_string: $DATABASE_URL',
      );
    } else if (/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(cs) || /[?&]password=/i.test(cs)) {
      // The message never repeats the value: it holds a password.
      p.add(
        cp,
        'connection_string contains a password in tools.yaml',
        'move the URL into a Secret, expose it as DATABASE_URL and write connection_string: $DATABASE_URL',
      );
    } else connection = { literal: cs };
    if (env && !ENV_NAME_RE.test(env[1] ?? env[2]!)) connection = undefined;
  }
  const query = readString(p, cfg, 'query', path, { required: true, fix: 'add query: SELECT ...' });
  const parsed = query !== undefined ? parseSql(query, p, at(path, 'query'), params) : undefined;
  const maxRows = readInteger(p, cfg, 'max_rows', path, { min: 1, max: 1000, default: 100 });
  const timeoutMs = readDuration(p, cfg, 'timeout', path, TIMEOUT_BOUNDS);
  if (p.count !== before || !connection || !parsed) return undefined;
  const out: KindFields<DatabaseSpec> = { kind: 'database', connection, ...parsed, maxRows, allowedHosts: [] };
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}
