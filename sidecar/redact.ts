// Secret redaction shared by the sidecar: environment variables, log lines, upstream bodies and audit fields.
// It errs on the side of hiding: a redacted harmless value costs a question, a leaked credential costs a rotation.

export const REDACTED = '***';

/** Words that make a variable or field name secret wherever they appear in it (DB_PASSWORD, githubToken). */
const SECRET_SUBSTRINGS = [
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'SECRET',
  'TOKEN',
  'CREDENTIAL',
  'PRIVATE',
  'APIKEY',
  'ACCESSKEY',
  'AUTH',
  'CERT',
  'COOKIE',
  'SIGNATURE',
  'BEARER',
  'JWT',
  'DSN',
];

/**
 * Short words that only count as a whole name part: KEY hides STRIPE_API_KEY and SIGNING_KEY (a part ending in KEY,
 * like APIKEY, also counts), while PASS must not hide BYPASS_CACHE.
 */
const SECRET_PARTS = new Set(['KEY', 'KEYS', 'PASS', 'PWD', 'PW', 'CREDS', 'SALT', 'PIN', 'OTP', 'SIG', 'HMAC']);

/** Splits NAME_LIKE, name-like, name.like and nameLike into upper-case parts. */
function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

/** True when a variable or field name says its value is a secret. */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (SECRET_SUBSTRINGS.some((w) => upper.includes(w))) return true;
  return nameParts(name).some((p) => SECRET_PARTS.has(p) || (p.length > 3 && p.endsWith('KEY')));
}

// The password may hold JSON-escaped characters (\"), so an escaped quote does not end it early and leak it.
// Lengths are bounded so a long token without '@' costs linear time, not quadratic.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s:@/?#"'<>\\]{0,256}):((?:\\.|[^\s"'<>\\]){0,1024})@/gi;

/**
 * Hides the password of credentials inside URLs: postgres://user:pass@host → postgres://user:***@host. The password
 * runs to the last '@' of the token, so an unencoded '@' or '/' in it cannot leak a tail of it.
 */
export function redactUrlCredentials(s: string): string {
  return s.replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?(?:-----END \1-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)?/g;
// A credential has a digit or a symbol in it; requiring one keeps English ("Token validation failed") readable.
const AUTH_SCHEME = /\b(Bearer|Basic|Token)(\s+)(?=[A-Za-z._~-]*[0-9+/=])[A-Za-z0-9+/=._~-]{8,}/gi;
const AWS_KEY_ID = /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b/g;
/** Vendor token shapes with a recognisable prefix (GitHub, GitLab, Slack, Stripe, OpenAI-style, Google API keys). */
const VENDOR_TOKEN =
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|sk-[A-Za-z0-9_-]{20,}|AIza[A-Za-z0-9_-]{35})/g;
// Bounded runs around the keyword keep matching linear on long dotted identifiers.
const SECRET_KEY =
  '[A-Za-z0-9_.-]{0,40}(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|authorization|cookie|session[_-]?id)[A-Za-z0-9_-]{0,40}';
/** key="quoted value" and "key": "value" (JSON) */
const SECRET_PAIR_QUOTED = new RegExp(`\\b(${SECRET_KEY})("?\\s*[=:]\\s*)(["'])((?:\\\\.|(?!\\3)[^\\\\])*)\\3`, 'gi');
/** key=value, key: value, &key=value in query strings; "Authorization: Bearer x" hides the scheme and the token */
const SECRET_PAIR_BARE = new RegExp(
  `\\b(${SECRET_KEY})("?\\s*[=:]\\s*)(?!["'\\s{[])((?:(?:Bearer|Basic|Token|Digest)\\s+)?[^\\s&,;"'<>]+)`,
  'gi',
);

/**
 * Hides secrets recognisable by their shape anywhere in free text (log lines, response bodies, config dumps):
 * PEM blocks, URL credentials, Authorization schemes, JWTs, AWS access key ids, vendor tokens and
 * password=/token:/"secret":"…" pairs. High-entropy strings are left alone here: in logs they are mostly trace ids.
 */
export function redactText(s: string): string {
  if (s.length === 0) return s;
  return redactUrlCredentials(
    s
      .replace(PEM_BLOCK, (_m, label: string) => `-----BEGIN ${label}-----${REDACTED}-----END ${label}-----`)
      .replace(SECRET_PAIR_QUOTED, (_m, k: string, sep: string, q: string) => `${k}${sep}${q}${REDACTED}${q}`)
      .replace(SECRET_PAIR_BARE, (_m, k: string, sep: string, v: string) =>
        v === REDACTED ? `${k}${sep}${v}` : `${k}${sep}${REDACTED}`,
      ),
  )
    .replace(AUTH_SCHEME, (_m, scheme: string, ws: string) => `${scheme}${ws}${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(AWS_KEY_ID, REDACTED)
    .replace(VENDOR_TOKEN, REDACTED);
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * True for a long random-looking token (a generated password or API key). It needs upper case, lower case and
 * digits, so pod names, hostnames, hex commit ids and UUIDs stay readable; a lower-case run of 8+ letters marks an
 * identifier (MyApplicationName2), not a secret.
 */
export function looksLikeSecretToken(value: string): boolean {
  const v = value.trim();
  if (v.length < 20 || v.length > 4096 || !/^[A-Za-z0-9+/=_-]+$/.test(v)) return false;
  if (!/[A-Z]/.test(v) || !/[a-z]/.test(v) || !/[0-9]/.test(v)) return false;
  if (/[a-z]{8,}/.test(v)) return false;
  return shannonEntropy(v) >= 3.5;
}

export type RedactionReason = 'name' | 'value';

/** Redacts one named value; reason says why it was hidden (undefined when nothing was). */
export function redactNamedValue(name: string, value: string): { value: string; reason?: RedactionReason } {
  if (value === '') return { value };
  if (isSecretName(name)) return { value: REDACTED, reason: 'name' };
  if (looksLikeSecretToken(value)) return { value: REDACTED, reason: 'value' };
  const out = redactText(value);
  return out === value ? { value } : { value: out, reason: 'value' };
}

/** The value to show for a variable or field called name. */
export function redactValue(name: string, value: string): string {
  return redactNamedValue(name, value).value;
}

export interface RedactedVar {
  name: string;
  value: string;
  redacted: boolean;
  reason?: RedactionReason;
}

/** Every set variable of env, redacted, sorted by name. */
export function redactEnv(env: Readonly<Record<string, string | undefined>>): RedactedVar[] {
  const out: RedactedVar[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    const r = redactNamedValue(name, raw);
    out.push(
      r.reason ? { name, value: r.value, redacted: true, reason: r.reason } : { name, value: raw, redacted: false },
    );
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Redacts a parsed JSON value: secret-named keys lose their value, strings are redacted by shape. Depth-bounded. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // Booleans are never secrets ("authenticated": true stays readable); strings and numbers (PINs) are hidden.
    const hide = isSecretName(k) && ((typeof v === 'string' && v !== '') || typeof v === 'number');
    out[k] = hide ? REDACTED : redactDeep(v, depth + 1);
  }
  return out;
}

/** A response body for a tool result: parsed when it is JSON (whatever the content type claims), else text; redacted either way. */
export function redactBody(raw: string, contentType: string, truncated: boolean): unknown {
  if (raw === '') return undefined;
  const t = raw.trimStart();
  if (!truncated && (contentType.includes('json') || t.startsWith('{') || t.startsWith('['))) {
    try {
      return redactDeep(JSON.parse(raw));
    } catch {
      // not JSON after all: shown as text
    }
  }
  return redactText(raw);
}
