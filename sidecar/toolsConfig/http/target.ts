// Where an http tool's request goes: `endpoint:` on the app, or `url:` on the app's host or an allowed host, and the
// {param} placeholders of its path and query string.
import { at, type Obj, type Problems, readString, readStringList } from '../common/fields.js';
import type { KindInput } from '../common/kind.js';
import type { Segment } from '../common/spec.js';
import { parseTemplate } from '../common/template.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const HOST_OR_HOST_PORT = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/;

/** A resolved destination: `base` is 'app' or an allowed origin; `targetText` the path template after it. */
export interface Target {
  base: string;
  targetText: string;
  /** the key the target was written under, for messages */
  targetPath: string;
}

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

/** `allowed_hosts:`, lower-cased; each must be a bare host or host:port. */
export function readAllowedHosts(p: Problems, cfg: Obj, path: string): string[] {
  const allowedHosts = (readStringList(p, cfg, 'allowed_hosts', path) ?? []).map((h) => h.toLowerCase());
  allowedHosts.forEach((h, i) => {
    if (!HOST_OR_HOST_PORT.test(h)) {
      p.add(
        at(at(path, 'allowed_hosts'), i),
        `"${h}" is not a host or host:port`,
        'write a host name like api.example.com or api.example.com:8443, without scheme or path',
      );
    }
  });
  return allowedHosts;
}

/** The destination from `endpoint:` or `url:` (exactly one of them); undefined after reporting why not. */
export function resolveTarget(k: KindInput, allowedHosts: readonly string[]): Target | undefined {
  const { p, cfg, path } = k;
  const endpoint = readString(p, cfg, 'endpoint', path);
  const url = readString(p, cfg, 'url', path);
  if (endpoint !== undefined && url !== undefined) {
    p.add(
      at(path, 'url'),
      'both endpoint and url are set',
      'keep one: endpoint: /path (on the app) or url: http://host/path',
    );
    return undefined;
  }
  if (endpoint !== undefined) return fromEndpoint(p, endpoint, at(path, 'endpoint'));
  if (url !== undefined) return fromUrl(k, url, at(path, 'url'), allowedHosts);
  p.add(
    path,
    'an http tool needs endpoint or url',
    'add endpoint: /path (on the app) or url: http://localhost:8080/path',
  );
  return undefined;
}

function fromEndpoint(p: Problems, endpoint: string, targetPath: string): Target | undefined {
  if (!endpoint.startsWith('/')) {
    p.add(
      targetPath,
      `endpoint ${JSON.stringify(endpoint)} is not a path`,
      'start it with /, e.g. /admin/transaction/{id}; use url: for a full URL',
    );
    return undefined;
  }
  return { base: 'app', targetText: endpoint, targetPath };
}

/** A full URL: on the app's host it becomes an app path; any other host must be listed in allowed_hosts. */
function fromUrl(k: KindInput, url: string, targetPath: string, allowedHosts: readonly string[]): Target | undefined {
  const { p } = k;
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!m) {
    p.add(
      targetPath,
      `url ${JSON.stringify(url)} is not an http(s) URL`,
      'write url: http://localhost:8080/path, or endpoint: /path for the app',
    );
    return undefined;
  }
  if (m[2]!.includes('{')) {
    p.add(
      targetPath,
      'a {placeholder} in the URL host could send requests anywhere',
      'keep placeholders in the path or under query:',
    );
    return undefined;
  }
  let origin: URL;
  try {
    origin = new URL(`${m[1]}://${m[2]}`);
  } catch {
    p.add(targetPath, `url ${JSON.stringify(url)} has an invalid host`, 'write url: http://host:port/path');
    return undefined;
  }
  if (origin.username || origin.password) {
    p.add(
      targetPath,
      'the url carries credentials',
      'remove them from the URL and send them with auth: {type: header, header: ..., value_from: ENV_VAR}',
    );
    return undefined;
  }
  const rest = m[3] || '/';
  if (isAppOrigin(origin, k.appUrl)) {
    // Resolved against the sidecar's app URL per call, so a changed SERVICE_PORT needs no tools.yaml edit.
    const appPath = new URL(k.appUrl).pathname.replace(/\/+$/, '');
    const targetText = appPath && rest.startsWith(`${appPath}/`) ? rest.slice(appPath.length) : rest;
    return { base: 'app', targetText, targetPath };
  }
  if (allowedHosts.includes(origin.host)) return { base: origin.origin, targetText: rest, targetPath };
  p.add(
    targetPath,
    `url host ${origin.host} is not the app (${new URL(k.appUrl).host}); http tools reach only the app unless a host is allowed`,
    `if the sidecar really should call ${origin.host}, add allowed_hosts: [${origin.host}] to this tool; for the app, use endpoint: ${rest}`,
  );
  return undefined;
}

/** The target as a template; path placeholders always need a value, since a path cannot leave a segment out. */
export function targetTemplate(k: KindInput, t: Target, method: string): Segment[] {
  const { p, params } = k;
  if (/[\s#]/.test(t.targetText)) {
    p.add(
      t.targetPath,
      'the path contains whitespace or a # fragment',
      'percent-encode spaces (%20) and drop the fragment',
    );
  }
  const target = parseTemplate(t.targetText);
  const queryStart = t.targetText.indexOf('?');
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
      t.targetPath,
      `Value for {${seg.param}} in the request ${inPath ? 'path' : 'query'} of ${method} ${t.targetText}.`,
    );
    if (ps && inPath && !ps.required && ps.default === undefined) {
      p.add(
        at(at(k.toolPath, 'params'), seg.param),
        `{${seg.param}} is in the URL path, so it always needs a value`,
        'make it required or give it a default',
      );
    }
  }
  return target;
}
