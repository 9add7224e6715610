// tools.yaml `http` kind: method, endpoint or url (app host only unless allowed_hosts), query, headers, body, status.
import { isSecretName } from '../redact.js';
import { at, checkKeys, describe, isObj, type Obj, readDuration, readString, readStringList } from './fields.js';
import {
  ENV_NAME_RE,
  type HeaderSpec,
  type HttpSpec,
  type KindFields,
  type KindInput,
  type Segment,
  TIMEOUT_BOUNDS,
} from './spec.js';
import { parseTemplate, templateParams } from './template.js';

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
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Headers the HTTP client owns; letting a tool set them would break framing or routing. */
const RESERVED_HEADERS = ['host', 'content-length', 'connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Same scheme and port, and the same host or both loopback: `localhost:8080` is the app at `127.0.0.1:8080`. */
export function isAppOrigin(url: URL, appUrl: string): boolean {
  let app: URL;
  try {
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (url.protocol !== app.protocol || url.port !== app.port) return false;
  return url.hostname === app.hostname || (LOOPBACK.has(url.hostname) && LOOPBACK.has(app.hostname));
}

export function parseHttp(k: KindInput): KindFields<HttpSpec> | undefined {
  const { p, cfg, path, params } = k;
  const before = p.count;
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

  const allowedHosts = (readStringList(p, cfg, 'allowed_hosts', path) ?? []).map((h) => h.toLowerCase());
  allowedHosts.forEach((h, i) => {
    if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(h)) {
      p.add(
        at(at(path, 'allowed_hosts'), i),
        `"${h}" is not a host or host:port`,
        'write a host name like api.example.com or api.example.com:8443, without scheme or path',
      );
    }
  });

  // Where the request goes: the app (endpoint, or url on the app's host) or an explicitly allowed host.
  const endpoint = readString(p, cfg, 'endpoint', path);
  const url = readString(p, cfg, 'url', path);
  let base: string | undefined;
  let targetText: string | undefined;
  let targetPath = path;
  if (endpoint !== undefined && url !== undefined) {
    p.add(
      at(path, 'url'),
      'both endpoint and url are set',
      'keep one: endpoint: /path (on the app) or url: http://host/path',
    );
  } else if (endpoint !== undefined) {
    targetPath = at(path, 'endpoint');
    if (!endpoint.startsWith('/')) {
      p.add(
        targetPath,
        `endpoint ${JSON.stringify(endpoint)} is not a path`,
        'start it with /, e.g. /admin/transaction/{id}; use url: for a full URL',
      );
    } else {
      base = 'app';
      targetText = endpoint;
    }
  } else if (url !== undefined) {
    targetPath = at(path, 'url');
    const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
    if (!m) {
      p.add(
        targetPath,
        `url ${JSON.stringify(url)} is not an http(s) URL`,
        'write url: http://localhost:8080/path, or endpoint: /path for the app',
      );
    } else if (m[2]!.includes('{')) {
      p.add(
        targetPath,
        'a {placeholder} in the URL host could send requests anywhere',
        'keep placeholders in the path or under query:',
      );
    } else {
      let origin: URL | undefined;
      try {
        origin = new URL(`${m[1]}://${m[2]}`);
      } catch {
        p.add(targetPath, `url ${JSON.stringify(url)} has an invalid host`, 'write url: http://host:port/path');
      }
      if (origin && (origin.username || origin.password)) {
        p.add(
          targetPath,
          'the url carries credentials',
          'remove them from the URL and send them with auth: {type: header, header: ..., value_from: ENV_VAR}',
        );
      } else if (origin) {
        const rest = m[3] || '/';
        if (isAppOrigin(origin, k.appUrl)) {
          base = 'app';
          // Resolved against the sidecar's app URL per call, so a changed SERVICE_PORT needs no tools.yaml edit.
          const appPath = new URL(k.appUrl).pathname.replace(/\/+$/, '');
          targetText = appPath && rest.startsWith(`${appPath}/`) ? rest.slice(appPath.length) : rest;
        } else if (allowedHosts.includes(origin.host)) {
          base = origin.origin;
          targetText = rest;
        } else {
          p.add(
            targetPath,
            `url host ${origin.host} is not the app (${new URL(k.appUrl).host}); http tools reach only the app unless a host is allowed`,
            `if the sidecar really should call ${origin.host}, add allowed_hosts: [${origin.host}] to this tool; for the app, use endpoint: ${rest}`,
          );
        }
      }
    }
  } else {
    p.add(
      path,
      'an http tool needs endpoint or url',
      'add endpoint: /path (on the app) or url: http://localhost:8080/path',
    );
  }

  let target: Segment[] = [];
  if (base !== undefined && targetText !== undefined) {
    if (/[\s#]/.test(targetText)) {
      p.add(
        targetPath,
        'the path contains whitespace or a # fragment',
        'percent-encode spaces (%20) and drop the fragment',
      );
    }
    target = parseTemplate(targetText);
    const queryStart = targetText.indexOf('?');
    let offset = 0;
    for (const seg of target) {
      if (typeof seg === 'string') {
        offset += seg.length;
        continue;
      }
      const inPath = queryStart < 0 || offset < queryStart;
      offset += seg.param.length + 2;
      const ps = params.use(
        seg.param,
        targetPath,
        `Value for {${seg.param}} in the request ${inPath ? 'path' : 'query'} of ${method} ${targetText}.`,
      );
      if (ps && inPath && !ps.required && ps.default === undefined) {
        p.add(
          at(at(k.toolPath, 'params'), seg.param),
          `{${seg.param}} is in the URL path, so it always needs a value`,
          'make it required or give it a default',
        );
      }
    }
  }

  const query: HttpSpec['query'] = [];
  const rawQuery = cfg['query'];
  if (rawQuery !== undefined && rawQuery !== null) {
    if (!isObj(rawQuery)) {
      p.add(
        at(path, 'query'),
        `query must be a mapping of name to value, got ${describe(rawQuery)}`,
        'write query: {limit: "{limit}"}',
      );
    } else {
      for (const [name, v] of Object.entries(rawQuery)) {
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
          params.use(
            n,
            at(at(path, 'query'), name),
            `Value of the ${name} query parameter of ${method} ${targetText ?? ''}.`,
          );
        }
        query.push({ name, value });
      }
    }
  }

  const headers = readHeaders(k);

  let body: unknown;
  if (cfg['body'] !== undefined) {
    if (READING_METHODS.includes(method)) {
      p.add(at(path, 'body'), `a ${method} request has no body`, 'remove body: or change method:');
    } else {
      body = cfg['body'];
      for (const n of bodyParams(body)) params.use(n, at(path, 'body'), `Value for {${n}} in the JSON request body.`);
    }
  }

  let expectedStatus: number[] | undefined;
  const es = cfg['expected_status'];
  if (es !== undefined && es !== null) {
    const list = Array.isArray(es) ? es : [es];
    if (list.length === 0 || list.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 100 || s > 599)) {
      p.add(
        at(path, 'expected_status'),
        `expected_status must be an HTTP status or a list of them, got ${describe(es)}`,
        'write expected_status: 200 or expected_status: [200, 404]',
      );
    } else expectedStatus = list as number[];
  }

  const timeoutMs = readDuration(p, cfg, 'timeout', path, TIMEOUT_BOUNDS);
  if (p.count !== before || base === undefined || targetText === undefined) return undefined;
  const out: KindFields<HttpSpec> = { kind: 'http', method, base, target, targetText, query, headers, allowedHosts };
  if (body !== undefined) out.body = body;
  if (expectedStatus) out.expectedStatus = expectedStatus;
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}

function bodyParams(v: unknown): string[] {
  if (typeof v === 'string') return templateParams(parseTemplate(v));
  if (Array.isArray(v)) return v.flatMap(bodyParams);
  if (isObj(v)) return Object.values(v).flatMap(bodyParams);
  return [];
}

function readEnvRef(k: KindInput, obj: Obj, path: string): string | undefined {
  const name = readString(k.p, obj, 'value_from', path, {
    required: true,
    fix: 'name the environment variable that holds the value: value_from: ADMIN_TOKEN',
  });
  if (name !== undefined && !ENV_NAME_RE.test(name)) {
    k.p.add(
      at(path, 'value_from'),
      `"${name}" is not an environment variable name`,
      'write the bare name, e.g. value_from: ADMIN_TOKEN (no $)',
    );
    return undefined;
  }
  return name;
}

function readHeaders(k: KindInput): HeaderSpec[] {
  const { p, cfg, path } = k;
  const out: HeaderSpec[] = [];
  const add = (h: HeaderSpec, hp: string) => {
    if (!HEADER_NAME.test(h.name)) p.add(hp, `"${h.name}" is not a valid header name`, 'use letters, digits and -');
    else if (RESERVED_HEADERS.includes(h.name.toLowerCase()))
      p.add(hp, `header ${h.name} is set by the sidecar`, 'remove it');
    else if (out.some((o) => o.name.toLowerCase() === h.name.toLowerCase()))
      p.add(hp, `header ${h.name} is set twice`, 'keep one (auth: also sets a header)');
    else out.push(h);
  };
  const raw = cfg['headers'];
  if (raw !== undefined && raw !== null) {
    if (!isObj(raw)) {
      p.add(
        at(path, 'headers'),
        `headers must be a mapping, got ${describe(raw)}`,
        'write headers: {Accept: application/json, X-Token: {value_from: TOKEN_ENV}}',
      );
    } else {
      for (const [name, v] of Object.entries(raw)) {
        const hp = at(at(path, 'headers'), name);
        if (typeof v === 'string' || typeof v === 'number') {
          if (isSecretName(name)) {
            p.add(
              hp,
              `header ${name} looks like a credential written into tools.yaml`,
              `keep secrets out of the ConfigMap: write ${name}: {value_from: ENV_VAR} and set ENV_VAR from a Secret`,
            );
          } else if (String(v).includes('{')) {
            p.add(hp, 'header values cannot use {placeholders}', 'use a fixed value or value_from:');
          } else add({ name, value: String(v) }, hp);
        } else if (isObj(v)) {
          checkKeys(p, v, hp, ['value_from', 'prefix'], 'a header');
          const env = readEnvRef(k, v, hp);
          const prefix = readString(p, v, 'prefix', hp, { nonEmpty: false });
          if (env) add({ name, valueFrom: env, ...(prefix ? { prefix } : {}) }, hp);
        } else {
          p.add(
            hp,
            `header value must be text or {value_from: ENV}, got ${describe(v)}`,
            `write ${name}: {value_from: ENV_VAR}`,
          );
        }
      }
    }
  }
  const auth = cfg['auth'];
  if (auth !== undefined && auth !== null) {
    const ap = at(path, 'auth');
    if (!isObj(auth)) {
      p.add(
        ap,
        `auth must be a mapping, got ${describe(auth)}`,
        'write auth: {type: header, header: X-Admin-Token, value_from: ADMIN_TOKEN}',
      );
      return out;
    }
    checkKeys(p, auth, ap, ['type', 'header', 'value_from', 'prefix'], 'auth', {
      value: 'secrets never go into tools.yaml: use value_from: ENV_VAR',
    });
    const type = readString(p, auth, 'type', ap) ?? 'header';
    const env = readEnvRef(k, auth, ap);
    if (type === 'header') {
      const header = readString(p, auth, 'header', ap, {
        required: true,
        fix: 'name the header, e.g. header: X-Admin-Token',
      });
      const prefix = readString(p, auth, 'prefix', ap, { nonEmpty: false });
      if (header && env) add({ name: header, valueFrom: env, ...(prefix ? { prefix } : {}) }, ap);
    } else if (type === 'bearer') {
      if (auth['header'] !== undefined)
        p.add(at(ap, 'header'), 'bearer auth always uses Authorization', 'remove header: or use type: header');
      if (env) add({ name: 'Authorization', valueFrom: env, prefix: 'Bearer ' }, ap);
    } else {
      p.add(
        at(ap, 'type'),
        `unknown auth type ${JSON.stringify(type)}`,
        'use type: header (with header:) or type: bearer',
      );
    }
  }
  return out;
}
