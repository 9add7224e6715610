// The access parts of the filter configuration: identity sources, policy rules and rate limits (see config.ts).

import {
  child,
  CLASS_ANY,
  CLASS_CLAIM,
  CLASS_HEX,
  CLASS_METHOD,
  CLASS_NAME,
  CLASS_TEXT,
  CLASS_VISIBLE,
  inClass,
  item,
  Reader,
} from './configReader';
import {
  ApiKey,
  Bucket,
  ConfigError,
  Effect,
  IdentityKind,
  IdentitySource,
  OnDeny,
  Policy,
  RateLimits,
  Rule,
} from './configTypes';

const SOURCES: StaticArray<string> = ['mtls', 'jwt', 'apiKey'];
const MTLS_KEYS: StaticArray<string> = ['sanPrefix'];
const JWT_KEYS: StaticArray<string> = ['metadataKey', 'principalClaim', 'groupsClaims', 'scopeClaim'];
const APIKEY_KEYS: StaticArray<string> = ['header', 'keys', 'bearer'];
const KEY_KEYS: StaticArray<string> = ['sha256', 'principal', 'groups', 'delegate'];
const POLICY_KEYS: StaticArray<string> = ['default', 'rules'];
const RULE_KEYS: StaticArray<string> = [
  'name',
  'effect',
  'principals',
  'groups',
  'tools',
  'methods',
  'onDeny',
  'scope',
];
const EFFECTS: StaticArray<string> = ['allow', 'deny'];
const ON_DENY: StaticArray<string> = ['unknownTool', 'forbidden'];
const RATE_KEYS: StaticArray<string> = ['perPrincipal', 'perTool'];
const BUCKET_KEYS: StaticArray<string> = ['capacity', 'refillPerSecond', 'tool'];

const MAX_KEYS: i32 = 1024;
const MAX_RULES: i32 = 256;
const MAX_GLOBS: i32 = 64;
const MAX_TOOL_BUCKETS: i32 = 256;

export function parseIdentity(r: Reader, path: string): IdentitySource[] {
  const out = new Array<IdentitySource>();
  let kinds: u32 = 0;
  if (!r.array(path)) return out;
  while (r.element(path, out.length, 3)) {
    const p = item(path, out.length);
    const src = new IdentitySource();
    let seen: u32 = 0;
    if (!r.object(p)) break;
    let k: string | null;
    while ((k = r.key(p)) !== null) {
      const i = r.keyIndex(k, SOURCES, seen, p);
      if (i < 0) break;
      const sp = child(p, SOURCES[i]);
      if (seen !== 0) {
        r.fail(ConfigError.Conflict, sp, 'one source per entry');
        break;
      }
      if (kinds & (1 << i)) {
        r.fail(ConfigError.Conflict, sp, 'source already listed');
        break;
      }
      seen |= 1 << i;
      kinds |= 1 << i;
      src.kind = <IdentityKind>i;
      if (i === 0) parseMtls(r, sp, src);
      else if (i === 1) parseJwt(r, sp, src);
      else parseApiKey(r, sp, src);
    }
    if (!r.failed && seen === 0) r.fail(ConfigError.Missing, p, 'needs one of mtls, jwt, apiKey');
    out.push(src);
  }
  r.atLeast(path, out.length, 1);
  return out;
}

function parseMtls(r: Reader, path: string, src: IdentitySource): void {
  let seen: u32 = 0;
  if (!r.object(path)) return;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, MTLS_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    src.sanPrefix = r.str(child(path, MTLS_KEYS[i]), 1, 256, CLASS_VISIBLE);
  }
}

// A dotted claim path: segments of [A-Za-z0-9_:/-], no empty segment.
function claim(r: Reader, path: string): string {
  const s = r.str(path, 1, 128, CLASS_TEXT);
  if (r.failed) return s;
  let segment = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (segment === 0) break;
      segment = 0;
    } else if (inClass(c, CLASS_CLAIM)) {
      segment++;
    } else {
      segment = 0;
      break;
    }
  }
  if (segment === 0) r.fail(ConfigError.BadValue, path, 'not a dotted claim path');
  return s;
}

function parseJwt(r: Reader, path: string, src: IdentitySource): void {
  let seen: u32 = 0;
  if (!r.object(path)) return;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, JWT_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, JWT_KEYS[i]);
    if (i === 0) src.metadataKey = r.str(p, 1, 128, CLASS_NAME);
    else if (i === 1) src.principalClaim = claim(r, p);
    else if (i === 3) src.scopeClaim = claim(r, p);
    else {
      const list = new Array<string>();
      if (!r.array(p)) break;
      while (r.element(p, list.length, 8)) list.push(claim(r, item(p, list.length)));
      r.atLeast(p, list.length, 1);
      src.groupsClaims = list;
    }
  }
  r.requireKeys(seen, 1, JWT_KEYS, path);
}

/** A lower-case request header name that is not one of the filter's own x-meshmcp-* headers (contract 3). */
export function headerName(r: Reader, p: string): string {
  const name = r.str(p, 1, 64, CLASS_METHOD);
  let ok = !name.startsWith('x-meshmcp-');
  for (let j = 0; j < name.length; j++) {
    const c = name.charCodeAt(j);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) ok = false;
  }
  if (!r.failed && !ok) r.fail(ConfigError.BadValue, p, 'must be a lower-case header name, not x-meshmcp-*');
  return name;
}

function parseApiKey(r: Reader, path: string, src: IdentitySource): void {
  let seen: u32 = 0;
  if (!r.object(path)) return;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, APIKEY_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, APIKEY_KEYS[i]);
    if (i === 0) {
      src.header = headerName(r, p);
    } else if (i === 1) {
      src.keys = parseKeys(r, p);
    } else {
      src.bearer = r.bool(p);
    }
  }
  r.requireKeys(seen, 3, APIKEY_KEYS, path);
}

function parseKeys(r: Reader, path: string): ApiKey[] {
  const out = new Array<ApiKey>();
  const digests = new Set<string>();
  if (!r.array(path)) return out;
  while (r.element(path, out.length, MAX_KEYS)) {
    const p = item(path, out.length);
    const key = new ApiKey();
    let seen: u32 = 0;
    if (!r.object(p)) break;
    let k: string | null;
    while ((k = r.key(p)) !== null) {
      const i = r.keyIndex(k, KEY_KEYS, seen, p);
      if (i < 0) break;
      seen |= 1 << i;
      const kp = child(p, KEY_KEYS[i]);
      if (i === 0) {
        key.sha256 = r.str(kp, 64, 64, CLASS_HEX);
        if (!r.failed && digests.has(key.sha256)) r.fail(ConfigError.Conflict, kp, 'duplicate key digest');
        digests.add(key.sha256);
      } else if (i === 1) key.principal = r.str(kp, 1, 256, CLASS_TEXT);
      else if (i === 2) key.groups = r.strings(kp, 0, 32, 1, 256, CLASS_TEXT);
      else key.delegate = r.bool(kp);
    }
    r.requireKeys(seen, 3, KEY_KEYS, p);
    out.push(key);
  }
  r.atLeast(path, out.length, 1);
  return out;
}

export function parsePolicy(r: Reader, path: string): Policy {
  const pol = new Policy();
  let seen: u32 = 0;
  if (!r.object(path)) return pol;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, POLICY_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, POLICY_KEYS[i]);
    if (i === 0) pol.defaultEffect = <Effect>r.choice(p, EFFECTS);
    else {
      if (!r.array(p)) break;
      while (r.element(p, pol.rules.length, MAX_RULES)) pol.rules.push(parseRule(r, item(p, pol.rules.length)));
    }
  }
  r.requireKeys(seen, 1, POLICY_KEYS, path);
  return pol;
}

// A method name, or a prefix ending in /* (e.g. resources/*).
function method(r: Reader, path: string): string {
  const s = r.str(path, 1, 64, CLASS_TEXT);
  if (r.failed) return s;
  const n = s.length > 2 && s.endsWith('/*') ? s.length - 2 : s.length;
  for (let i = 0; i < n; i++) {
    if (!inClass(s.charCodeAt(i), CLASS_METHOD)) {
      r.fail(ConfigError.BadValue, path, 'not a method name or a prefix/* pattern');
      break;
    }
  }
  return s;
}

// Space-separated scope tokens of RFC 6749's scope-token charset, without '"' and '\' that would need quoting.
function scope(r: Reader, path: string): string {
  const s = r.str(path, 1, 256, CLASS_ANY);
  if (r.failed) return s;
  let ok = s.charCodeAt(0) !== 0x20 && s.charCodeAt(s.length - 1) !== 0x20 && !s.includes('  ');
  for (let i = 0; i < s.length && ok; i++) {
    const c = s.charCodeAt(i);
    ok = c === 0x20 || (inClass(c, CLASS_VISIBLE) && c !== 0x22 && c !== 0x5c);
  }
  if (!ok) r.fail(ConfigError.BadValue, path, 'not space-separated scope tokens');
  return s;
}

function parseRule(r: Reader, path: string): Rule {
  const rule = new Rule();
  let seen: u32 = 0;
  if (!r.object(path)) return rule;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, RULE_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, RULE_KEYS[i]);
    if (i === 0) rule.name = r.str(p, 1, 64, CLASS_NAME);
    else if (i === 1) rule.effect = <Effect>r.choice(p, EFFECTS);
    else if (i === 2) rule.principals = r.strings(p, 1, MAX_GLOBS, 1, 256, CLASS_TEXT);
    else if (i === 3) rule.groups = r.strings(p, 1, MAX_GLOBS, 1, 256, CLASS_TEXT);
    else if (i === 4) rule.tools = r.strings(p, 1, MAX_GLOBS, 1, 256, CLASS_TEXT);
    else if (i === 5) {
      if (!r.array(p)) break;
      while (r.element(p, rule.methods.length, 32)) rule.methods.push(method(r, item(p, rule.methods.length)));
      r.atLeast(p, rule.methods.length, 1);
    } else if (i === 6) rule.onDeny = <OnDeny>r.choice(p, ON_DENY);
    else rule.scope = scope(r, p);
  }
  if (!r.requireKeys(seen, 2, RULE_KEYS, path)) return rule;
  if (rule.onDeny === OnDeny.Forbidden) {
    if (!(seen & (1 << 7))) r.fail(ConfigError.Missing, child(path, 'scope'), 'required with onDeny forbidden');
    else if (rule.effect !== Effect.Deny)
      r.fail(ConfigError.Conflict, child(path, 'onDeny'), 'forbidden needs effect deny');
  }
  return rule;
}

export function parseRateLimits(r: Reader, path: string): RateLimits {
  const rl = new RateLimits();
  let seen: u32 = 0;
  if (!r.object(path)) return rl;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, RATE_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, RATE_KEYS[i]);
    if (i === 0) rl.perPrincipal = parseBucket(r, p, false);
    else {
      if (!r.array(p)) break;
      while (r.element(p, rl.perTool.length, MAX_TOOL_BUCKETS))
        rl.perTool.push(parseBucket(r, item(p, rl.perTool.length), true));
    }
  }
  return rl;
}

function parseBucket(r: Reader, path: string, withTool: bool): Bucket {
  const b = new Bucket();
  let seen: u32 = 0;
  if (!r.object(path)) return b;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, BUCKET_KEYS, seen, path);
    if (i < 0) break;
    if (i === 2 && !withTool) {
      r.fail(ConfigError.UnknownKey, child(path, 'tool'), 'unknown key');
      break;
    }
    seen |= 1 << i;
    const p = child(path, BUCKET_KEYS[i]);
    if (i === 0) b.capacity = r.int(p, 1, 1000000);
    else if (i === 1) b.refillPerSecond = r.num(p, 0, 1000000, false, true);
    else b.tool = r.str(p, 1, 256, CLASS_TEXT);
  }
  r.requireKeys(seen, withTool ? 7 : 3, BUCKET_KEYS, path);
  return b;
}
