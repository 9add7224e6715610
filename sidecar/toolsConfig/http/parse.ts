// tools.yaml `http` kind: method, endpoint or url (app host only unless allowed_hosts), query, headers, body, status.
import { at, describe, isObj, type Obj, type Problems, readDuration, readString } from '../common/fields.js';
import type { KindFields, KindInput } from '../common/kind.js';
import { TIMEOUT_BOUNDS } from '../common/spec.js';
import { parseTemplate, templateParams } from '../common/template.js';
import { readHeaders } from './headers.js';
import type { HttpSpec } from './spec.js';
import { readAllowedHosts, resolveTarget, targetTemplate } from './target.js';

export const HTTP_KEYS = [
  'method',
  'endpoint',
  'url',
  'query',
  'headers',
  'auth',
  'body',
  'expected_status',
  'timeout',
  'allowed_hosts',
  'read_only',
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const READING_METHODS = ['GET', 'HEAD', 'OPTIONS'];

export function parseHttp(k: KindInput): KindFields<HttpSpec> | undefined {
  const { p, cfg, path } = k;
  const before = p.count;
  const method = readMethod(k);
  const allowedHosts = readAllowedHosts(p, cfg, path);
  const where = resolveTarget(k, allowedHosts);
  const target = where ? targetTemplate(k, where, method) : [];
  const query = readQuery(k, method, where?.targetText ?? '');
  const headers = readHeaders(k);
  const body = readBody(k, method);
  const expectedStatus = readExpectedStatus(p, cfg, path);
  const timeoutMs = readDuration(p, cfg, 'timeout', path, TIMEOUT_BOUNDS);
  if (p.count !== before || !where) return undefined;
  const out: KindFields<HttpSpec> = {
    kind: 'http',
    method,
    base: where.base,
    target,
    targetText: where.targetText,
    query,
    headers,
    allowedHosts,
  };
  if (body !== undefined) out.body = body;
  if (expectedStatus) out.expectedStatus = expectedStatus;
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}

/** The method, upper-cased; one that usually writes must come with a declared read_only. */
function readMethod(k: KindInput): string {
  const { p, cfg, path } = k;
  const methodRaw = readString(p, cfg, 'method', path) ?? 'GET';
  const method = methodRaw.toUpperCase();
  if (!METHODS.includes(method)) {
    p.add(at(path, 'method'), `unknown HTTP method ${JSON.stringify(methodRaw)}`, `use one of ${METHODS.join(', ')}`);
  }
  if (!READING_METHODS.includes(method) && !k.readOnlyDeclared) {
    p.add(
      at(path, 'method'),
      `${method} usually changes state, but the tool does not say whether it is read-only`,
      'declare read_only: false so clients can ask before running it (or read_only: true if this request only reads)',
    );
  }
  return method;
}

/** `query:` name → value template; an optional param's pair is left out when the caller gives no value. */
function readQuery(k: KindInput, method: string, targetText: string): HttpSpec['query'] {
  const { p, cfg, path, params } = k;
  const query: HttpSpec['query'] = [];
  const raw = cfg['query'];
  if (raw === undefined || raw === null) return query;
  if (!isObj(raw)) {
    p.add(
      at(path, 'query'),
      `query must be a mapping of name to value, got ${describe(raw)}`,
      'write query: {limit: "{limit}"}',
    );
    return query;
  }
  for (const [name, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      p.add(
        at(at(path, 'query'), name),
        `query value must be text, a number or true/false, got ${describe(v)}`,
        `write ${name}: "{${name}}" or a fixed value`,
      );
      continue;
    }
    const value = parseTemplate(String(v));
    for (const n of templateParams(value)) {
      params.use(n, at(at(path, 'query'), name), `Value of the ${name} query parameter of ${method} ${targetText}.`);
    }
    query.push({ name, value });
  }
  return query;
}

/** The JSON body, for methods that carry one; its "{param}" strings are params. */
function readBody(k: KindInput, method: string): unknown {
  const { p, cfg, path, params } = k;
  if (cfg['body'] === undefined) return undefined;
  if (READING_METHODS.includes(method)) {
    p.add(at(path, 'body'), `a ${method} request has no body`, 'remove body: or change method:');
    return undefined;
  }
  const body = cfg['body'];
  for (const n of bodyParams(body)) params.use(n, at(path, 'body'), `Value for {${n}} in the JSON request body.`);
  return body;
}

function bodyParams(v: unknown): string[] {
  if (typeof v === 'string') return templateParams(parseTemplate(v));
  if (Array.isArray(v)) return v.flatMap(bodyParams);
  if (isObj(v)) return Object.values(v).flatMap(bodyParams);
  return [];
}

function readExpectedStatus(p: Problems, cfg: Obj, path: string): number[] | undefined {
  const es = cfg['expected_status'];
  if (es === undefined || es === null) return undefined;
  const list = Array.isArray(es) ? es : [es];
  if (list.length === 0 || list.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 100 || s > 599)) {
    p.add(
      at(path, 'expected_status'),
      `expected_status must be an HTTP status or a list of them, got ${describe(es)}`,
      'write expected_status: 200 or expected_status: [200, 404]',
    );
    return undefined;
  }
  return list as number[];
}
