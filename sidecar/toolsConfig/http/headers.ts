// An http tool's `headers:` and `auth:`: fixed values or environment variables (never a secret in tools.yaml), and
// no header the HTTP client owns.
import { isSecretName } from '../../redact.js';
import { at, checkKeys, describe, isObj, type Obj, type Problems, readString } from '../common/fields.js';
import type { KindInput } from '../common/kind.js';
import { ENV_NAME_RE } from '../common/spec.js';
import type { HeaderSpec } from './spec.js';

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Headers the HTTP client owns; letting a tool set them would break framing or routing. */
const RESERVED_HEADERS = ['host', 'content-length', 'connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

/** The headers of `headers:` then the one `auth:` adds, each name once. */
export function readHeaders(k: KindInput): HeaderSpec[] {
  const { p } = k;
  const out: HeaderSpec[] = [];
  const add = (h: HeaderSpec, hp: string) => {
    if (!HEADER_NAME.test(h.name)) p.add(hp, `"${h.name}" is not a valid header name`, 'use letters, digits and -');
    else if (RESERVED_HEADERS.includes(h.name.toLowerCase()))
      p.add(hp, `header ${h.name} is set by the sidecar`, 'remove it');
    else if (out.some((o) => o.name.toLowerCase() === h.name.toLowerCase()))
      p.add(hp, `header ${h.name} is set twice`, 'keep one (auth: also sets a header)');
    else out.push(h);
  };
  readHeaderMap(k, add);
  readAuth(k, add);
  return out;
}

type AddHeader = (h: HeaderSpec, path: string) => void;

function readHeaderMap(k: KindInput, add: AddHeader): void {
  const { p, cfg, path } = k;
  const raw = cfg['headers'];
  if (raw === undefined || raw === null) return;
  if (!isObj(raw)) {
    p.add(
      at(path, 'headers'),
      `headers must be a mapping, got ${describe(raw)}`,
      'write headers: {Accept: application/json, X-Token: {value_from: TOKEN_ENV}}',
    );
    return;
  }
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
      const env = readEnvRef(p, v, hp);
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

/** `auth:` is shorthand for one header whose value comes from the environment. */
function readAuth(k: KindInput, add: AddHeader): void {
  const { p, cfg, path } = k;
  const auth = cfg['auth'];
  if (auth === undefined || auth === null) return;
  const ap = at(path, 'auth');
  if (!isObj(auth)) {
    p.add(
      ap,
      `auth must be a mapping, got ${describe(auth)}`,
      'write auth: {type: header, header: X-Admin-Token, value_from: ADMIN_TOKEN}',
    );
    return;
  }
  checkKeys(p, auth, ap, ['type', 'header', 'value_from', 'prefix'], 'auth', {
    value: 'secrets never go into tools.yaml: use value_from: ENV_VAR',
  });
  const type = readString(p, auth, 'type', ap) ?? 'header';
  const env = readEnvRef(p, auth, ap);
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

function readEnvRef(p: Problems, obj: Obj, path: string): string | undefined {
  const name = readString(p, obj, 'value_from', path, {
    required: true,
    fix: 'name the environment variable that holds the value: value_from: ADMIN_TOKEN',
  });
  if (name !== undefined && !ENV_NAME_RE.test(name)) {
    p.add(
      at(path, 'value_from'),
      `"${name}" is not an environment variable name`,
      'write the bare name, e.g. value_from: ADMIN_TOKEN (no $)',
    );
    return undefined;
  }
  return name;
}
