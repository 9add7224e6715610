// Parses and validates the filter configuration (DESIGN.md contract 2, filter/config.schema.json) once, in
// on_configure: the JSON scanner proves the bytes well-formed, then a typed walk fills a fresh Config. Any problem
// returns null with the JSON path of the first one, so a bad document never leaves anything half-applied.

import { ScanError, ScanResult, scanMessage } from './jsonScanner';
import { headerName, parseIdentity, parsePolicy, parseRateLimits } from './configAccess';
import {
  child,
  CLASS_ANY,
  CLASS_HOST,
  CLASS_LABEL,
  CLASS_PATH,
  CLASS_TOOL,
  CLASS_URL,
  CLASS_VISIBLE,
  edgesAlnum,
  item,
  Reader,
} from './configReader';
import { Audit, Config, ConfigError, ConfigResult, Limits, Mode, Service } from './configTypes';

/** Largest document accepted. Thousands of services with their tool lists fit well below it. */
export const MAX_CONFIG_BYTES: i32 = 8 << 20;
/** Deepest nesting accepted; the schema's deepest path (identity[].apiKey.keys[].groups[]) needs 6. */
export const MAX_CONFIG_DEPTH: i32 = 16;

const TOP: StaticArray<string> = [
  'version',
  'mode',
  'control',
  'services',
  'identity',
  'policy',
  'rateLimits',
  'limits',
  'audit',
  'acceptedPeers',
  'protectedResourceMetadata',
  'hosts',
];
const K_VERSION: u32 = 1 << 0;
const K_MODE: u32 = 1 << 1;
const K_CONTROL: u32 = 1 << 2;
const K_SERVICES: u32 = 1 << 3;
const K_IDENTITY: u32 = 1 << 4;
const K_POLICY: u32 = 1 << 5;
const K_RATE: u32 = 1 << 6;
const K_PEERS: u32 = 1 << 9;
const K_PRM: u32 = 1 << 10;
const K_HOSTS: u32 = 1 << 11;
const GATEWAY_REQUIRED: u32 = K_CONTROL | K_SERVICES | K_IDENTITY | K_POLICY | K_PRM;
const SIDECAR_FORBIDDEN: u32 = K_CONTROL | K_IDENTITY | K_POLICY | K_RATE | K_PRM | K_HOSTS;

const MODES: StaticArray<string> = ['gateway', 'sidecar'];
const SERVICE_KEYS: StaticArray<string> = ['name', 'namespace', 'host', 'port', 'tools', 'upstream'];
const UPSTREAM_KEYS: StaticArray<string> = ['path', 'stateless', 'bridged'];
const LIMIT_KEYS: StaticArray<string> = ['maxBodyBytes', 'maxDepth'];
const AUDIT_KEYS: StaticArray<string> = ['params', 'logLevel', 'onBehalfOfHeader'];
const AUDIT_PARAMS: StaticArray<string> = ['redact', 'hash', 'full'];
const LOG_LEVELS: StaticArray<string> = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'];

const MAX_SERVICES: i32 = 4096;
const MAX_TOOLS: i32 = 1024;
const MAX_PEERS: i32 = 16;
const MAX_HOSTS: i32 = 64;

/** Parses the len bytes at ptr. Returns a fresh ConfigResult: config set on success, else error and message. */
export function parseConfig(ptr: usize, len: i32): ConfigResult {
  const out = new ConfigResult();
  const scan = new ScanResult();
  const se = scanMessage(ptr, len, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, scan);
  if (se !== ScanError.Ok) {
    const at = ' at byte ' + scan.errorOffset.toString();
    if (se === ScanError.Empty) return failed(out, ConfigError.Empty, 'document: empty');
    if (se === ScanError.TooLarge)
      return failed(out, ConfigError.TooLarge, 'document: larger than ' + MAX_CONFIG_BYTES.toString() + ' bytes');
    if (se === ScanError.TooDeep)
      return failed(out, ConfigError.TooDeep, 'document: nested deeper than ' + MAX_CONFIG_DEPTH.toString() + at);
    if (se === ScanError.BadUtf8) return failed(out, ConfigError.BadUtf8, 'document: invalid UTF-8' + at);
    if (se === ScanError.NotObject || se === ScanError.Batch)
      return failed(out, ConfigError.WrongType, 'document: not an object');
    if (se === ScanError.DuplicateKey) return failed(out, ConfigError.DuplicateKey, 'document: duplicate key' + at);
    return failed(out, ConfigError.Syntax, 'document: invalid JSON' + at);
  }
  const r = new Reader(ptr, len);
  const config = parseTop(r);
  if (r.failed) return failed(out, r.error, r.message);
  out.config = config;
  return out;
}

function failed(out: ConfigResult, code: ConfigError, message: string): ConfigResult {
  out.config = null;
  out.error = code;
  out.message = message;
  return out;
}

function parseTop(r: Reader): Config {
  const c = new Config();
  let seen: u32 = 0;
  if (!r.object('')) return c;
  let k: string | null;
  while ((k = r.key('')) !== null) {
    const i = r.keyIndex(k, TOP, seen, '');
    if (i < 0) break;
    seen |= 1 << i;
    const path = TOP[i];
    if (i === 0) {
      const v = r.num(path, -1e9, 1e9, true);
      if (!r.failed && v !== 1) r.fail(ConfigError.BadValue, path, 'unsupported version (this filter reads 1)');
    } else if (i === 1) {
      c.mode = r.choice(path, MODES) === 1 ? Mode.Sidecar : Mode.Gateway;
    } else if (i === 2) {
      c.control = label(r, path);
    } else if (i === 3) {
      c.services = parseServices(r, path);
    } else if (i === 4) {
      c.identity = parseIdentity(r, path);
    } else if (i === 5) {
      c.policy = parsePolicy(r, path);
    } else if (i === 6) {
      c.rateLimits = parseRateLimits(r, path);
    } else if (i === 7) {
      c.limits = parseLimits(r, path);
    } else if (i === 8) {
      c.audit = parseAudit(r, path);
    } else if (i === 9) {
      c.acceptedPeers = parsePeers(r, path);
    } else if (i === 11) {
      c.hosts = parseHosts(r, path);
    } else {
      c.protectedResourceMetadata = r.str(path, 8, 2048, CLASS_URL);
      const u = c.protectedResourceMetadata;
      const rest = u.startsWith('https://') ? 8 : u.startsWith('http://') ? 7 : 0;
      if (!r.failed && (rest === 0 || u.length === rest)) r.fail(ConfigError.BadValue, path, 'not an http(s) URL');
    }
  }
  if (!r.requireKeys(seen, K_VERSION | K_MODE, TOP, '')) return c;
  if (c.mode === Mode.Gateway) {
    if (!r.requireKeys(seen, GATEWAY_REQUIRED, TOP, '')) return c;
    if (seen & K_PEERS) r.fail(ConfigError.Conflict, 'acceptedPeers', 'not allowed in gateway mode');
    for (let s = 0; s < c.services.length; s++) {
      if (c.services[s].name === c.control)
        r.fail(ConfigError.Conflict, 'control', 'same name as services[' + s.toString() + ']');
    }
  } else {
    if (!r.requireKeys(seen, K_PEERS, TOP, '')) return c;
    const bad = seen & SIDECAR_FORBIDDEN;
    if (bad) r.fail(ConfigError.Conflict, TOP[<i32>ctz(bad)], 'not allowed in sidecar mode');
  }
  return c;
}

/** A Kubernetes DNS label: [a-z0-9-], 1-63, starting and ending alphanumeric. */
function label(r: Reader, path: string): string {
  const s = r.str(path, 1, 63, CLASS_LABEL);
  if (!r.failed && !edgesAlnum(s)) r.fail(ConfigError.BadValue, path, 'must start and end with a letter or digit');
  return s;
}

function parseServices(r: Reader, path: string): Service[] {
  const out = new Array<Service>();
  const names = new Set<string>();
  if (!r.array(path)) return out;
  while (r.element(path, out.length, MAX_SERVICES)) {
    const p = item(path, out.length);
    const s = parseService(r, p);
    if (r.failed) break;
    if (names.has(s.name)) {
      r.fail(ConfigError.Conflict, child(p, 'name'), 'duplicate service name');
      break;
    }
    names.add(s.name);
    out.push(s);
  }
  return out;
}

function parseService(r: Reader, path: string): Service {
  const s = new Service();
  let seen: u32 = 0;
  if (!r.object(path)) return s;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, SERVICE_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, SERVICE_KEYS[i]);
    if (i === 0) s.name = label(r, p);
    else if (i === 1) s.namespace = label(r, p);
    else if (i === 2) {
      s.host = r.str(p, 1, 253, CLASS_HOST);
      const h = s.host;
      if (!r.failed && !edgesAlnum(h)) r.fail(ConfigError.BadValue, p, 'must start and end with a letter or digit');
    } else if (i === 3) s.port = r.int(p, 1, 65535);
    else if (i === 4) s.tools = parseTools(r, p);
    else parseUpstream(r, p, s);
  }
  r.requireKeys(seen, 0x1f, SERVICE_KEYS, path);
  return s;
}

/** `upstream: {path}`: the service's pods serve MCP themselves, on path. */
function parseUpstream(r: Reader, path: string, s: Service): void {
  let seen: u32 = 0;
  if (!r.object(path)) return;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, UPSTREAM_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, UPSTREAM_KEYS[i]);
    if (i === 1) {
      s.stateless = r.bool(p);
      continue;
    }
    if (i === 2) {
      s.bridged = r.bool(p);
      continue;
    }
    s.path = r.str(p, 1, 256, CLASS_PATH);
    if (!r.failed && s.path.charCodeAt(0) !== 0x2f) r.fail(ConfigError.BadValue, p, 'must start with /');
  }
  if (r.requireKeys(seen, 1, UPSTREAM_KEYS, path)) s.upstream = true;
}

function parseTools(r: Reader, path: string): string[] {
  const out = new Array<string>();
  const seen = new Set<string>();
  if (!r.array(path)) return out;
  while (r.element(path, out.length, MAX_TOOLS)) {
    const p = item(path, out.length);
    const t = r.str(p, 1, 64, CLASS_TOOL);
    if (r.failed) break;
    if (seen.has(t)) {
      r.fail(ConfigError.Conflict, p, 'duplicate tool');
      break;
    }
    seen.add(t);
    out.push(t);
  }
  return out;
}

function parsePeers(r: Reader, path: string): string[] {
  const out = r.strings(path, 1, MAX_PEERS, 10, 512, CLASS_VISIBLE);
  for (let i = 0; i < out.length && !r.failed; i++) {
    const p = item(path, i);
    if (!out[i].startsWith('spiffe://')) r.fail(ConfigError.BadValue, p, 'not a spiffe:// URI');
    for (let j = 0; j < i && !r.failed; j++) {
      if (out[j] === out[i]) r.fail(ConfigError.Conflict, p, 'duplicate peer');
    }
  }
  return out;
}

/** The MCP hosts, as render's gateway.hosts writes them: `mcp.example.com`, `*.example.com` or `*`, unique. */
function parseHosts(r: Reader, path: string): string[] {
  const out = r.strings(path, 1, MAX_HOSTS, 1, 253, CLASS_ANY);
  for (let i = 0; i < out.length && !r.failed; i++) {
    const p = item(path, i);
    if (!hostPattern(out[i])) r.fail(ConfigError.BadValue, p, 'not a host: use mcp.example.com, *.example.com or *');
    for (let j = 0; j < i && !r.failed; j++) {
      if (out[j] === out[i]) r.fail(ConfigError.Conflict, p, 'duplicate host');
    }
  }
  return out;
}

/** The schema's host pattern: `*`, or lower-case DNS labels joined by dots, optionally after `*.`. */
function hostPattern(h: string): bool {
  if (h === '*') return true;
  // prev is the character before i; '.' at the start of each label, so labels are non-empty and start and end
  // with a letter or digit.
  let prev = 0x2e;
  for (let i = h.startsWith('*.') ? 2 : 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c === 0x2e ? !alnum(prev) : c === 0x2d ? prev === 0x2e : !alnum(c)) return false;
    prev = c;
  }
  return alnum(prev);
}

function alnum(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

function parseLimits(r: Reader, path: string): Limits {
  const l = new Limits();
  let seen: u32 = 0;
  if (!r.object(path)) return l;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, LIMIT_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, LIMIT_KEYS[i]);
    if (i === 0) l.maxBodyBytes = r.int(p, 256, 16777216);
    else l.maxDepth = r.int(p, 2, 1024);
  }
  return l;
}

function parseAudit(r: Reader, path: string): Audit {
  const a = new Audit();
  let seen: u32 = 0;
  if (!r.object(path)) return a;
  let k: string | null;
  while ((k = r.key(path)) !== null) {
    const i = r.keyIndex(k, AUDIT_KEYS, seen, path);
    if (i < 0) break;
    seen |= 1 << i;
    const p = child(path, AUDIT_KEYS[i]);
    if (i === 0) a.params = r.choice(p, AUDIT_PARAMS);
    else if (i === 1) a.logLevel = r.choice(p, LOG_LEVELS);
    else a.onBehalfOfHeader = headerName(r, p);
  }
  return a;
}
