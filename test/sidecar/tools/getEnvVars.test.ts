// get_env_vars: a redacted, sorted, filterable view of the environment.
import { describe, expect, it } from 'vitest';
import { getEnvVars } from '../../../sidecar/tools/getEnvVars.js';
import { call, makeContext, makeSettings, structured, textOf } from './helpers.js';

const ENV = {
  NODE_ENV: 'production',
  DB_HOST: 'postgres.default.svc',
  DB_PASSWORD: 'hunter2',
  DATABASE_URL: 'postgres://app:hunter2@postgres:5432/payments',
  STRIPE_API_KEY: 'sk_live_abcdefghijklmnop1234',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_ACCESS_KEY_ID_VALUE: 'AKIAIOSFODNN7EXAMPLE',
  UPSTREAM_AUTH_HEADER: 'Bearer abc123',
  SOME_OPAQUE: 'Xk9pQ2mZ7rT4vB8nL1cW6yH3',
  TLS_BUNDLE: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
  HOSTNAME: 'payment-service-7d9f8b6c4-x2x9k',
  LONG: 'v'.repeat(2000),
  UNSET: undefined,
};

const ctx = () => makeContext(makeSettings(), ENV);
type Out = { total: number; shown: number; redacted: number; variables: { name: string; value: string }[] };

describe('get_env_vars', () => {
  it('lists every set variable sorted, with secrets redacted by name and by value', async () => {
    const r = await call(getEnvVars, {}, ctx());
    const o = structured<Out>(r);
    const vars = Object.fromEntries(o.variables.map((v) => [v.name, v.value]));
    expect(o.variables.map((v) => v.name)).toEqual(Object.keys(vars).sort());
    expect(o.total).toBe(12);
    expect(vars).toMatchObject({
      NODE_ENV: 'production',
      DB_HOST: 'postgres.default.svc',
      DB_PASSWORD: '***',
      DATABASE_URL: 'postgres://app:***@postgres:5432/payments',
      STRIPE_API_KEY: '***',
      AWS_SECRET_ACCESS_KEY: '***',
      AWS_ACCESS_KEY_ID_VALUE: '***',
      UPSTREAM_AUTH_HEADER: '***',
      SOME_OPAQUE: '***',
      TLS_BUNDLE: '-----BEGIN CERTIFICATE-----***-----END CERTIFICATE-----',
      HOSTNAME: 'payment-service-7d9f8b6c4-x2x9k',
    });
    expect(o.redacted).toBe(8);
    expect('UNSET' in vars).toBe(false);
    const all = JSON.stringify(r);
    for (const secret of [
      'hunter2',
      'sk_live_',
      'wJalrXUtnFEMI',
      'AKIAIOSFODNN7EXAMPLE',
      'abc123',
      'Xk9pQ2mZ',
      'MIIB',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(textOf(r)).toContain('DB_PASSWORD=***');
    expect(vars['LONG']!.length).toBeLessThan(600);
  });

  it('filters by a case-insensitive prefix and limits the count', async () => {
    const r = await call(getEnvVars, { prefix: 'db_' }, ctx());
    expect(structured<Out>(r).variables.map((v) => v.name)).toEqual(['DB_HOST', 'DB_PASSWORD']);
    expect(textOf(r)).toMatch(/^2 variables starting with DB_, 2 shown, 1 redacted/);
    const limited = await call(getEnvVars, { limit: 2 }, ctx());
    expect(structured<Out>(limited)).toMatchObject({ total: 12, shown: 2 });
    expect(textOf(limited)).toContain('10 more');
    await expect(call(getEnvVars, { prefix: 'x'.repeat(129) }, ctx())).rejects.toThrow(/too long/);
  });
});
