// The throwaway dev CA: real openssl, certificates read back with node:crypto, keys kept private.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, type DevCa } from '../../cli/devCa.js';

const GATEWAY = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

let dir: string;
let ca: DevCa;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshmcp-devca-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createDevCa', { tags: ['openssl'] }, () => {
  beforeAll(async () => {
    ca = await createDevCa(join(dir, 'ca'));
  });

  it('makes a self-signed P-256 CA that may sign certificates', async () => {
    const x = new X509Certificate(ca.caCert);
    expect(x.ca).toBe(true);
    expect(x.subject).toContain('CN=meshmcp dev CA');
    expect(x.checkIssued(x)).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect((await stat(ca.caKeyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(ca.dir)).mode & 0o077).toBe(0);
  });

  it('issues a leaf with the SPIFFE URI SAN, DNS and IP names, for both ends of mTLS, signed by the CA', async () => {
    const leaf = await ca.issue('gateway', GATEWAY);
    expect(leaf.certFile).toBe(join(ca.dir, 'gateway.crt'));
    const x = new X509Certificate(leaf.cert);
    const root = new X509Certificate(ca.caCert);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe(`URI:${GATEWAY}, DNS:localhost, IP Address:127.0.0.1`);
    expect(x.checkIssued(root)).toBe(true);
    expect(x.verify(root.publicKey)).toBe(true);
    expect(x.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x.checkPrivateKey(createPrivateKey(leaf.key))).toBe(true);
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(1);
    expect(days).toBeLessThan(8);
    expect((await stat(leaf.keyFile)).mode & 0o777).toBe(0o600);
  });

  it('takes other DNS names and addresses, and refuses names that are not SPIFFE ids or hosts', async () => {
    const leaf = await ca.issue('payment', 'spiffe://cluster.local/ns/production/sa/payment', ['payment.local'], []);
    expect(new X509Certificate(leaf.cert).subjectAltName).toBe(
      'URI:spiffe://cluster.local/ns/production/sa/payment, DNS:payment.local',
    );
    await expect(ca.issue('x', 'https://example.com/a')).rejects.toThrow(/not a SPIFFE id/);
    await expect(ca.issue('x', 'spiffe://a/b, DNS:evil')).rejects.toThrow(/not a SPIFFE id/);
    await expect(ca.issue('../x', GATEWAY)).rejects.toThrow(/certificate name/);
    await expect(ca.issue('x', GATEWAY, ['bad name'])).rejects.toThrow(/not a DNS name/);
    await expect(ca.issue('x', GATEWAY, ['localhost'], ['::1', 'nope'])).rejects.toThrow(/not an IP address/);
  });
});

describe('createDevCa without openssl', () => {
  it('names the Debian package', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = join(dir, 'no-bin');
    try {
      await expect(createDevCa(join(dir, 'other'))).rejects.toThrow(/apt-get install openssl/);
    } finally {
      process.env['PATH'] = path;
    }
  });
});
