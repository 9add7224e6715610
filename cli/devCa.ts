// A throwaway certificate authority for the local mesh: ECDSA P-256 leaves with SPIFFE URI SANs, made by `openssl`.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface IssuedCert {
  certFile: string;
  keyFile: string;
  /** PEM text of the leaf certificate (the CA is not appended: peers trust the CA itself). */
  cert: string;
  /** PEM text of the PKCS#8 private key. */
  key: string;
}

export interface DevCa {
  dir: string;
  /** The CA certificate (PEM), the trust root every front is given. */
  caFile: string;
  caKeyFile: string;
  /** PEM text of the CA certificate. */
  caCert: string;
  /**
   * A leaf for both sides of mTLS (serverAuth and clientAuth), written as `<name>.crt` / `<name>.key` in the CA's
   * directory, e.g. issue('gateway', 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account').
   */
  issue(name: string, spiffeId: string, dnsNames?: string[], ips?: string[]): Promise<IssuedCert>;
}

const CA_DAYS = 7;
const LEAF_DAYS = 3;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
// A SPIFFE id is a URI without query or fragment; what would break the openssl config line is refused too.
const SPIFFE = /^spiffe:\/\/[a-zA-Z0-9.-]+(\/[a-zA-Z0-9._~%!$&'()*+=:@-]+)*$/;
const DNS = /^(\*\.)?[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;

function openssl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { encoding: 'utf8', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            'the dev CA needs the `openssl` command, which is not on PATH: install it (Debian/Ubuntu: apt-get install openssl)',
          ),
        );
        return;
      }
      reject(new Error(`openssl ${args[0]} failed: ${(stderr || error.message).trim()}`));
    });
  });
}

/** A new P-256 key, written only by this process and readable only by its user. */
async function newKey(file: string): Promise<string> {
  const key = await openssl([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-pkeyopt',
    'ec_param_enc:named_curve',
  ]);
  await writeFile(file, key, { mode: 0o600 });
  // writeFile's mode applies only to a new file; an old one keeps its mode otherwise.
  await chmod(file, 0o600);
  return key;
}

const serial = () =>
  `0x${randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '7')}`;

/**
 * Makes a new CA in `dir` (created if needed, mode 0700): `ca.crt` and `ca.key`. Nothing is reused from an earlier
 * run: the CA is for one local mesh's life.
 */
export async function createDevCa(dir: string): Promise<DevCa> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  const work = await mkdtemp(join(dir, '.ca-'));
  try {
    await newKey(keyFile);
    // An explicit config, so neither the system openssl.cnf nor OPENSSL_CONF adds or duplicates extensions.
    const config = join(work, 'ca.cnf');
    await writeFile(
      config,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        'x509_extensions = v3_ca',
        '[dn]',
        'O = meshmcp dev',
        'CN = meshmcp dev CA',
        '[v3_ca]',
        'basicConstraints = critical, CA:true',
        'keyUsage = critical, keyCertSign, cRLSign',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    await openssl([
      'req',
      '-x509',
      '-new',
      '-config',
      config,
      '-key',
      keyFile,
      '-sha256',
      '-days',
      String(CA_DAYS),
      '-set_serial',
      serial(),
      '-out',
      certFile,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return {
    dir,
    caFile: certFile,
    caKeyFile: keyFile,
    caCert: await readFile(certFile, 'utf8'),
    issue: (name, spiffeId, dnsNames = ['localhost'], ips = ['127.0.0.1']) =>
      issue(dir, certFile, keyFile, name, spiffeId, dnsNames, ips),
  };
}

async function issue(
  dir: string,
  caCert: string,
  caKey: string,
  name: string,
  spiffeId: string,
  dnsNames: string[],
  ips: string[],
): Promise<IssuedCert> {
  if (!NAME.test(name)) throw new Error(`dev CA: certificate name ${JSON.stringify(name)} must match ${NAME}`);
  if (!SPIFFE.test(spiffeId)) {
    throw new Error(`dev CA: ${JSON.stringify(spiffeId)} is not a SPIFFE id (spiffe://<trust domain>/<path>)`);
  }
  for (const d of dnsNames) if (!DNS.test(d)) throw new Error(`dev CA: ${JSON.stringify(d)} is not a DNS name`);
  for (const ip of ips) if (isIP(ip) === 0) throw new Error(`dev CA: ${JSON.stringify(ip)} is not an IP address`);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const work = await mkdtemp(join(dir, `.${name}-`));
  try {
    const key = await newKey(keyFile);
    const csr = join(work, 'leaf.csr');
    const reqConfig = join(work, 'req.cnf');
    await writeFile(
      reqConfig,
      ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'O = meshmcp dev', `CN = ${name}`, ''].join('\n'),
    );
    await openssl(['req', '-new', '-config', reqConfig, '-key', keyFile, '-out', csr]);
    const san = [`URI:${spiffeId}`, ...dnsNames.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(', ');
    const extFile = join(work, 'leaf.ext');
    await writeFile(
      extFile,
      [
        '[leaf]',
        'basicConstraints = critical, CA:false',
        'keyUsage = critical, digitalSignature, keyAgreement',
        'extendedKeyUsage = serverAuth, clientAuth',
        `subjectAltName = ${san}`,
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    );
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      serial(),
      '-sha256',
      '-days',
      String(LEAF_DAYS),
      '-extfile',
      extFile,
      '-extensions',
      'leaf',
      '-out',
      certFile,
    ]);
    return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
