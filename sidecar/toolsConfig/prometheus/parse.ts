// tools.yaml `prometheus` kind: one query or named queries, $SERVICE_NAME and {param} placeholders placed by PromQL
// quoting context, so a value can only ever land inside a string literal or be a plain number.
import {
  at,
  checkKeys,
  describe,
  isObj,
  type Problems,
  readDuration,
  readInteger,
  readString,
} from '../common/fields.js';
import type { KindFields, KindInput } from '../common/kind.js';
import type { ParamSet } from '../common/params.js';
import { TIMEOUT_BOUNDS } from '../common/spec.js';
import { type PrometheusSpec, type PromPart, SAFE_TOKEN } from './spec.js';

export const PROMETHEUS_KEYS = [
  'query',
  'prometheus_query',
  'queries',
  'range',
  'step',
  'prometheus_url',
  'max_series',
  'timeout',
  'read_only',
];

const MAX_QUERIES = 10;
/** Prometheus refuses range queries with more points than this per series. */
const MAX_POINTS = 11_000;

/** Splits PromQL into text, params and $SERVICE_NAME, tracking which quote (if any) each placeholder sits in. */
export function parsePromQL(
  text: string,
  p: Problems,
  path: string,
  params: ParamSet,
  purpose: (name: string) => string,
): PromPart[] {
  const parts: PromPart[] = [];
  let lit = '';
  let quote: string | undefined;
  const flush = () => {
    if (lit) parts.push(lit);
    lit = '';
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote !== '`' && i + 1 < text.length) {
        lit += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '#') {
      // a comment runs to the end of the line; placeholders in it mean nothing
      const end = text.indexOf('\n', i);
      lit += text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
      continue;
    }
    const env = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
    if (env) {
      const name = env[1] ?? env[2]!;
      if (name === 'SERVICE_NAME') {
        if (!quote) {
          p.add(
            path,
            '$SERVICE_NAME is used outside a quoted string',
            'quote it inside a label matcher: job="$SERVICE_NAME"',
          );
        }
        flush();
        parts.push(quote ? { env: 'SERVICE_NAME', quote } : { env: 'SERVICE_NAME' });
        i += env[0].length;
        continue;
      }
      // Inside a string, `$` is usually a regex anchor; only an upper-case name looks like a variable there.
      if (!quote || /^[A-Z][A-Z0-9_]*$/.test(name)) {
        p.add(
          path,
          `$${name} is not substituted in PromQL; only $SERVICE_NAME is`,
          'use $SERVICE_NAME, or a declared {param} for values the caller passes',
        );
        i += env[0].length;
        continue;
      }
    }
    const ph = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(text.slice(i));
    if (ph) {
      const name = ph[1]!;
      const ps = params.use(name, path, purpose(name));
      if (ps) {
        if (!ps.required && ps.default === undefined) {
          p.add(
            path,
            `{${name}} is optional without a default, but the query needs a value`,
            `make ${name} required or give it a default`,
          );
        }
        const safeUnquoted =
          ps.type === 'integer' ||
          ps.type === 'number' ||
          (ps.type === 'string' && ps.enum?.every((e) => SAFE_TOKEN.test(String(e))));
        if (!quote && !safeUnquoted) {
          p.add(
            path,
            `{${name}} is a ${ps.inferred ? 'undeclared (so string)' : ps.type} param used outside a quoted string, where a value could change the query`,
            `put it inside a label matcher string (label="{${name}}"), or declare it under params: as type: integer/number, or with an enum of plain values`,
          );
        }
      }
      flush();
      parts.push(quote ? { param: name, quote } : { param: name });
      i += ph[0].length;
      continue;
    }
    lit += c;
    i++;
  }
  flush();
  if (quote) p.add(path, `unterminated ${quote} string in the query`, 'close the string');
  return parts;
}

export function parsePrometheus(k: KindInput): KindFields<PrometheusSpec> | undefined {
  const { p, cfg, path, params } = k;
  const before = p.count;
  const queries: PrometheusSpec['queries'] = [];
  const keys = ['query', 'prometheus_query', 'queries'].filter((key) => cfg[key] !== undefined);
  const purpose = (q: string) => (name: string) => `Value for {${name}} in the PromQL query ${q}.`;
  if (keys.length !== 1) {
    p.add(
      keys.length ? at(path, keys[1]!) : path,
      keys.length ? `set only one of ${keys.join(', ')}` : 'a prometheus tool needs a query',
      'write query: <PromQL>, or queries: [{name: ..., query: ...}] for several',
    );
  } else if (keys[0] === 'queries') {
    const raw = cfg['queries'];
    const qp = at(path, 'queries');
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_QUERIES) {
      p.add(
        qp,
        `queries must be a list of 1 to ${MAX_QUERIES} {name, query} entries, got ${describe(raw)}`,
        'write queries: [{name: success_rate, query: ...}]',
      );
    } else {
      raw.forEach((q, i) => {
        const ip = at(qp, i);
        if (!isObj(q)) {
          p.add(
            ip,
            `each query must be a mapping with name and query, got ${describe(q)}`,
            'write - name: success_rate\n  query: ...',
          );
          return;
        }
        checkKeys(p, q, ip, ['name', 'query'], 'a query');
        const name = readString(p, q, 'name', ip, { required: true, fix: 'name it, e.g. name: success_rate' });
        const text = readString(p, q, 'query', ip, { required: true, fix: 'add query: <PromQL>' });
        if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
          p.add(at(ip, 'name'), `query name "${name}" is not an identifier`, 'use letters, digits and _');
        } else if (name !== undefined && queries.some((o) => o.name === name)) {
          p.add(at(ip, 'name'), `query name "${name}" is used twice`, 'give each query its own name');
        }
        if (name !== undefined && text !== undefined) {
          queries.push({ name, text, parts: parsePromQL(text, p, at(ip, 'query'), params, purpose(name)) });
        }
      });
    }
  } else {
    const key = keys[0]!;
    const text = readString(p, cfg, key, path);
    if (text !== undefined) {
      queries.push({
        name: 'query',
        text,
        parts: parsePromQL(text, p, at(path, key), params, purpose(JSON.stringify(text))),
      });
    }
  }

  const rangeMs = readDuration(p, cfg, 'range', path, { min: 60_000, max: 31 * 86_400_000 });
  let stepMs = readDuration(p, cfg, 'step', path, { min: 1000, max: 86_400_000 });
  let range: PrometheusSpec['range'];
  if (stepMs !== undefined && rangeMs === undefined && cfg['range'] === undefined) {
    p.add(at(path, 'step'), 'step is set without range', 'add range: 1h for a range query, or remove step:');
  }
  if (rangeMs !== undefined) {
    stepMs ??= Math.max(1000, Math.ceil(rangeMs / 60 / 1000) * 1000);
    if (rangeMs / stepMs > MAX_POINTS) {
      p.add(
        at(path, 'step'),
        `range / step is ${Math.ceil(rangeMs / stepMs)} points; Prometheus allows ${MAX_POINTS}`,
        'use a larger step:',
      );
    }
    range = { rangeMs, stepMs };
  }

  const allowedHosts: string[] = [];
  let prometheusUrl = readString(p, cfg, 'prometheus_url', path);
  if (prometheusUrl !== undefined) {
    try {
      const u = new URL(prometheusUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      if (u.username || u.password) {
        p.add(
          at(path, 'prometheus_url'),
          'prometheus_url carries credentials',
          'remove them; tools.yaml is not a place for secrets',
        );
      }
      prometheusUrl = prometheusUrl.replace(/\/+$/, '');
      allowedHosts.push(u.host);
    } catch {
      p.add(
        at(path, 'prometheus_url'),
        `prometheus_url ${JSON.stringify(prometheusUrl)} is not an http(s) URL`,
        'write e.g. http://prometheus.monitoring.svc:9090',
      );
    }
  }

  const maxSeries = readInteger(p, cfg, 'max_series', path, { min: 1, max: 500, default: 20 });

  const timeoutMs = readDuration(p, cfg, 'timeout', path, TIMEOUT_BOUNDS);
  if (p.count !== before) return undefined;
  const out: KindFields<PrometheusSpec> = {
    kind: 'prometheus',
    queries,
    single: keys[0] !== 'queries',
    maxSeries,
    allowedHosts,
  };
  if (range) out.range = range;
  if (prometheusUrl !== undefined) out.prometheusUrl = prometheusUrl;
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}
