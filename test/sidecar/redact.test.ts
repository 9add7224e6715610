// Secret redaction: table-driven cases for names and value shapes, and properties a leak would break.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isSecretName,
  looksLikeSecretToken,
  REDACTED,
  redactDeep,
  redactEnv,
  redactText,
  redactUrlCredentials,
  redactValue,
} from '../../sidecar/redact.js';

describe('isSecretName', () => {
  it.each([
    'DB_PASSWORD',
    'STRIPE_API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'GITHUB_TOKEN',
    'db_password',
    'dbPassword',
    'MYSQL_PWD',
    'REDIS_PASS',
    'OAUTH_CLIENT_CREDENTIALS',
    'BASIC_AUTH',
    'AUTHORIZATION',
    'TLS_PRIVATE_KEY',
    'SSL_CERT',
    'SENTRY_DSN',
    'SIGNING_KEY',
    'APIKEY',
    'JWT_SIGNING',
    'PASSWORD',
    'secret',
    'encryption.key',
    'hmac-salt',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    'PATH',
    'HOME',
    'HOSTNAME',
    'NODE_ENV',
    'LOG_LEVEL',
    'BYPASS_CACHE',
    'KUBERNETES_SERVICE_HOST',
    'PAYMENT_SERVICE_PORT_8080_TCP_ADDR',
    'DB_POOL_SIZE',
    'DATABASE_URL',
    'SERVICE_NAME',
  ])('%s is not secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe('redactUrlCredentials', () => {
  it.each([
    ['postgres://user:pass@host:5432/db', 'postgres://user:***@host:5432/db'],
    [
      'mongodb+srv://admin:s3cr3t@cluster0.example.net/app?retryWrites=true',
      'mongodb+srv://admin:***@cluster0.example.net/app?retryWrites=true',
    ],
    ['redis://:onlypassword@redis:6379/0', 'redis://:***@redis:6379/0'],
    ['amqp://guest:gu@st@rabbit/vhost', 'amqp://guest:***@rabbit/vhost'],
    ['url=https://u:p%40ss@h.example/x and more', 'url=https://u:***@h.example/x and more'],
    ['{"url":"postgres://u:pw@h/db","email":"x@y.com"}', '{"url":"postgres://u:***@h/db","email":"x@y.com"}'],
    ['https://example.com/path?q=1', 'https://example.com/path?q=1'],
    ['https://user@example.com/', 'https://user@example.com/'],
    ['no url here: a:b@c', 'no url here: a:b@c'],
  ])('%s', (input, want) => {
    expect(redactUrlCredentials(input)).toBe(want);
  });
});

describe('redactText', () => {
  const jwt =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
  it.each([
    ['Authorization: Bearer abc123def456ghi789', 'Authorization: ***'],
    ['curl -H "Authorization: Bearer abc123def456"', 'curl -H "Authorization: ***"'],
    ['sent Bearer abc123def456ghi789 upstream', 'sent Bearer *** upstream'],
    [`token ${jwt} expired`, 'token *** expired'],
    ['key AKIAIOSFODNN7EXAMPLE used', 'key *** used'],
    ['login with password=hunter2 ok', 'login with password=*** ok'],
    ['GET /cb?code=1&access_token=abcdef&state=x', 'GET /cb?code=1&access_token=***&state=x'],
    ['{"user":"bob","password":"hunter 2","ok":true}', '{"user":"bob","password":"***","ok":true}'],
    ["db_password: 'with space'", "db_password: '***'"],
    ['client_secret = s3cr3t', 'client_secret = ***'],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', '***'],
    ['sk_live_abcdefghijklmnop1234', '***'],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----',
      '-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----',
    ],
    ['-----BEGIN PRIVATE KEY-----\nMIIE cut off', '-----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY-----'],
  ])('%s', (input, want) => {
    expect(redactText(input)).toBe(want);
  });

  it.each([
    'Token validation failed for user bob',
    'level=info msg="payment processed" amount=42 trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
    'GET /api/orders/12345 200 12ms',
    'Basic authentication is disabled',
    'connected to postgres://db:5432/app',
  ])('leaves %s alone', (input) => {
    expect(redactText(input)).toBe(input);
  });
});

describe('redactValue and redactEnv', () => {
  it.each([
    ['DB_PASSWORD', 'hunter2', REDACTED],
    ['STRIPE_API_KEY', 'sk_test_123', REDACTED],
    ['DATABASE_URL', 'postgres://app:hunter2@db:5432/app', 'postgres://app:***@db:5432/app'],
    ['UPSTREAM', 'Bearer abc123def456ghi789', `Bearer ${REDACTED}`],
    ['SOME_VALUE', 'Xk9pQ2mZ7rT4vB8nL1cW6yH3', REDACTED],
    ['HOSTNAME', 'payment-service-7d9f8b6c4-x2x9k', 'payment-service-7d9f8b6c4-x2x9k'],
    ['GIT_COMMIT', '4bf92f3577b34da6a3ce929d0e0e4736deadbeef', '4bf92f3577b34da6a3ce929d0e0e4736deadbeef'],
    ['REQUEST_ID', '123e4567-e89b-12d3-a456-426614174000', '123e4567-e89b-12d3-a456-426614174000'],
    ['MAIN_CLASS', 'MyApplicationNameVersion2', 'MyApplicationNameVersion2'],
    ['LOG_LEVEL', 'info', 'info'],
    ['DB_PASSWORD', '', ''],
  ])('%s=%s', (name, value, want) => {
    expect(redactValue(name, value)).toBe(want);
  });

  it('sorts by name, skips unset variables and says why each was redacted', () => {
    const out = redactEnv({
      ZED: '1',
      DB_PASSWORD: 'x',
      APP_DB: 'postgres://a:b@c/d',
      UNSET: undefined,
      ALPHA: 'plain',
    });
    expect(out).toEqual([
      { name: 'ALPHA', value: 'plain', redacted: false },
      { name: 'APP_DB', value: 'postgres://a:***@c/d', redacted: true, reason: 'value' },
      { name: 'DB_PASSWORD', value: REDACTED, redacted: true, reason: 'name' },
      { name: 'ZED', value: '1', redacted: false },
    ]);
  });
});

describe('redactDeep', () => {
  it('hides secret-named scalar fields and redacts strings by shape, keeping booleans and structure', () => {
    const out = redactDeep({
      status: 'UP',
      db: { url: 'postgres://u:pw@db/app', password: 'pw', pin: 1234, authenticated: true },
      items: ['Bearer abc123def456ghi789'],
      token: { kind: 'oauth' },
    });
    expect(out).toEqual({
      status: 'UP',
      db: { url: 'postgres://u:***@db/app', password: REDACTED, pin: REDACTED, authenticated: true },
      items: [`Bearer ${REDACTED}`],
      token: { kind: 'oauth' },
    });
  });
});

describe('properties', () => {
  const passwordChars = fc.constantFrom(
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&()*+,;=-._~@:/?#'.split(''),
  );
  const password = fc.string({ unit: passwordChars, minLength: 1, maxLength: 40 });
  const user = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
  const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){0,2}$/);
  const scheme = fc.constantFrom('postgres', 'postgresql', 'mysql', 'redis', 'amqp', 'mongodb+srv', 'https');

  it('a password embedded in a URL never survives, encoded or raw', () => {
    fc.assert(
      fc.property(scheme, user, password, host, fc.boolean(), (s, u, pw, h, encode) => {
        const secret = encode ? encodeURIComponent(pw) : pw;
        const url = `${s}://${u}:${secret}@${h}:5432/db`;
        const text = `connecting to ${url} failed`;
        expect(redactUrlCredentials(text)).toBe(`connecting to ${s}://${u}:***@${h}:5432/db failed`);
        expect(redactValue('DATABASE_URL', url)).toBe(`${s}://${u}:***@${h}:5432/db`);
        expect(redactText(`{"dsn":"${url}"}`)).not.toContain(`:${secret}@`);
      }),
    );
  });

  it('a secret-named variable never shows its value', () => {
    const secretName = fc
      .tuple(
        fc.stringMatching(/^[A-Z]{0,8}$/),
        fc.constantFrom('PASSWORD', 'SECRET', 'TOKEN', 'API_KEY', 'CREDENTIALS', 'PRIVATE_KEY', 'DSN', 'AUTH'),
        fc.stringMatching(/^[A-Z0-9]{0,6}$/),
      )
      .map(([a, w, b]) => [a, w, b].filter(Boolean).join('_'));
    fc.assert(
      fc.property(secretName, fc.string({ minLength: 1, maxLength: 60 }), (name, value) => {
        expect(redactValue(name, value)).toBe(REDACTED);
        expect(redactEnv({ [name]: value })[0]).toMatchObject({ value: REDACTED, redacted: true });
      }),
    );
  });

  it('bearer tokens and JWTs in free text never survive', () => {
    const b64url = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
      minLength: 10,
      maxLength: 60,
    });
    fc.assert(
      fc.property(b64url, b64url, b64url, (a, b, c) => {
        const jwt = `eyJ${a}.${b}.${c}`;
        expect(redactText(`auth failed for ${jwt} at /pay`)).toBe('auth failed for *** at /pay');
        const opaque = `${a}9${b}`;
        expect(redactText(`Authorization: Bearer ${opaque}`)).not.toContain(opaque);
      }),
    );
  });

  it('random base64 keys are caught by shape', () => {
    const key = fc
      .uint8Array({ minLength: 24, maxLength: 48 })
      .map((b) => Buffer.from(b).toString('base64'))
      .filter((s) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s) && !/[a-z]{8,}/.test(s));
    fc.assert(
      fc.property(key, (k) => {
        expect(looksLikeSecretToken(k)).toBe(true);
        expect(redactValue('SOME_SETTING', k)).toBe(REDACTED);
      }),
    );
  });

  it('redactText is idempotent and redactEnv keeps every name in order', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const once = redactText(s);
        expect(redactText(once)).toBe(once);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/), fc.string()), (env) => {
        const names = redactEnv(env).map((v) => v.name);
        expect(names).toEqual(Object.keys(env).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
    );
  });
});

describe('pathological input', () => {
  // Each of these made an earlier pattern backtrack quadratically; they must simply finish.
  it.each([
    ['dotted identifiers', 'a.'.repeat(50_000)],
    ['schemes without @', 'postgres://u:'.repeat(8_000)],
    ['a scheme and a long token', `x://${'a'.repeat(100_000)}`],
    ['unterminated PEM blocks', '-----BEGIN A-----'.repeat(6_000)],
    ['secret keys without values', 'token='.repeat(16_000)],
    ['unterminated quoted values', 'password="'.repeat(10_000)],
    ['escapes in a password', `postgres://u:${'\\a'.repeat(50_000)}`],
  ])('%s', (_name, input) => {
    expect(typeof redactText(input)).toBe('string');
  });
});
