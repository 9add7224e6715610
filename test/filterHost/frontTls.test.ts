// The front with real mTLS on loopback: pod fronts (the release filter in sidecar mode) that check client certificates
// from a throwaway CA, a gateway front that originates mTLS to them, and routes that change at run time.
// @module-tag openssl

import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, type DevCa, type IssuedCert } from '../../cli/devCa.js';
import { type Front, type FrontOptions, startFront, type Upstream } from '../../filter/host/front.js';
import { connectionProperties, subjectAltNames } from '../../filter/host/frontTls.js';
import type { PropertyMap } from '../../filter/host/index.js';
import { auditLines, example, filterWasm, type Json, toolsCall } from '../filter/harness.js';
import { type Upstream as App, call, deferred, type Reply, startUpstream } from './frontSupport.js';

const GATEWAY = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
const PAYMENT = 'spiffe://cluster.local/ns/production/sa/payment-service';
const USER = 'spiffe://cluster.local/ns/production/sa/user-service';
const INTRUDER = 'spiffe://cluster.local/ns/default/sa/curious-pod';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let dir: string;
let ca: DevCa;
let certs: Record<'gateway' | 'payment' | 'user' | 'intruder' | 'rogue', IssuedCert>;
let paymentApp: App;
let userApp: App;
let paymentPod: Front;
let userPod: Front;
const started: Front[] = [];
const apps: App[] = [];

async function front(options: Omit<FrontOptions, 'wasm'>): Promise<Front> {
  const f = await startFront({ wasm: filterWasm(), allowOnHeadersStopIteration: true, ...options });
  started.push(f);
  return f;
}

function sidecarConfig(service: string): string {
  const config = example('sidecar');
  config.services[0].name = service;
  return JSON.stringify(config);
}

/** A pod's inbound listener: the sidecar-mode filter over mTLS, in front of its app (Istio's inbound cluster). */
function pod(service: string, cert: IssuedCert, app: App, tls: Partial<FrontOptions['tls']> = {}): Promise<Front> {
  const local = { host: '127.0.0.1', port: app.port };
  return front({
    configuration: sidecarConfig(service),
    tls: { cert: cert.cert, key: cert.key, ca: ca.caCert, ...tls },
    upstreams: { [service]: local },
    defaultUpstream: local,
  });
}

/** How the gateway reaches a pod: mTLS with the gateway's identity, checking the pod's SPIFFE id. */
function mutual(target: Front, expectedSan: string, overrides: Partial<NonNullable<Upstream['tls']>> = {}): Upstream {
  return {
    host: '127.0.0.1',
    port: target.port,
    tls: { ca: ca.caCert, cert: certs.gateway.cert, key: certs.gateway.key, expectedSan, ...overrides },
  };
}

function gateway(upstreams: Record<string, Upstream>): Promise<Front> {
  const config: Json = example('gateway');
  return front({ configuration: JSON.stringify(config), upstreams });
}

/** A client of a TLS front: `cert` is who it claims to be (none: no client certificate). */
function tlsCall(
  url: string,
  cert: IssuedCert | undefined,
  body: string,
  extra: { servername?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/mcp`,
      {
        method: 'POST',
        headers: MCP_HEADERS,
        ca: ca.caCert,
        ...(cert ? { cert: cert.cert, key: cert.key } : {}),
        ...extra,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const viaGateway = (f: Front, tool: string) =>
  call(f.url, { headers: { ...MCP_HEADERS, 'x-api-key': 'test' }, body: toolsCall(tool) });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshmcp-fronttls-'));
  ca = await createDevCa(join(dir, 'ca'));
  const foreign = await createDevCa(join(dir, 'foreign'));
  const [gatewayCert, payment, user, intruder, rogue] = await Promise.all([
    ca.issue('gateway', GATEWAY),
    ca.issue('payment-service', PAYMENT),
    ca.issue('user-service', USER),
    ca.issue('intruder', INTRUDER),
    // The gateway's SPIFFE id, from a CA the pods do not trust.
    foreign.issue('rogue', GATEWAY),
  ]);
  certs = { gateway: gatewayCert!, payment: payment!, user: user!, intruder: intruder!, rogue: rogue! };
  paymentApp = await startUpstream('payment');
  userApp = await startUpstream('user');
  apps.push(paymentApp, userApp);
  paymentPod = await pod('payment-service', certs.payment, paymentApp);
  userPod = await pod('user-service', certs.user, userApp);
});

afterAll(async () => {
  await Promise.all(started.map((f) => f.close()));
  await Promise.all(apps.map((a) => a.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('an mTLS pod front (sidecar mode)', () => {
  it('serves https, and lets the gateway identity through to the app', async () => {
    expect(paymentPod.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const before = paymentApp.seen.length;
    const r = await tlsCall(paymentPod.url, certs.gateway, toolsCall('payment-service__get_health'));
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^payment:/);
    const seen = paymentApp.seen[before]!;
    expect(seen.headers['x-forwarded-proto']).toBe('https');
  });

  it('answers another SPIFFE id of the same CA with the filter 403', async () => {
    const before = paymentApp.seen.length;
    const r = await tlsCall(paymentPod.url, certs.intruder, toolsCall('payment-service__get_health'));
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toBe(`Forbidden: peer ${INTRUDER} may not call this port`);
    expect(paymentApp.seen.length).toBe(before);
  });

  it('fails the handshake of a client without a certificate, or with one from another CA', async () => {
    const none = await tlsCall(paymentPod.url, undefined, toolsCall('payment-service__get_health')).catch((e) => e);
    expect(none).toBeInstanceOf(Error);
    expect((none as NodeJS.ErrnoException).code).toMatch(/^(ERR_SSL_|ECONNRESET$)/);
    const rogue = await tlsCall(paymentPod.url, certs.rogue, toolsCall('payment-service__get_health')).catch((e) => e);
    expect(rogue).toBeInstanceOf(Error);
    expect((rogue as NodeJS.ErrnoException).code).toMatch(/^(ERR_SSL_|ECONNRESET$)/);
  });

  it('with optional client certificates: no certificate reaches the filter (403), an unverified one still fails', async () => {
    const permissive = await pod('payment-service', certs.payment, paymentApp, { requireClientCert: false });
    const none = await tlsCall(permissive.url, undefined, toolsCall('payment-service__get_health'));
    expect(none.status).toBe(403);
    expect(JSON.parse(none.body).error.message).toBe('Forbidden: this port accepts only mTLS peers');
    const rogue = await tlsCall(permissive.url, certs.rogue, toolsCall('payment-service__get_health')).catch((e) => e);
    expect(rogue).toBeInstanceOf(Error);
    expect((await tlsCall(permissive.url, certs.gateway, toolsCall('payment-service__get_health'))).status).toBe(200);
  });

  it("gives the filter Envoy's connection attributes, with the caller's own properties on top", async () => {
    const seen: PropertyMap[] = [];
    const f = await front({
      configuration: sidecarConfig('payment-service'),
      tls: { cert: certs.payment.cert, key: certs.payment.key, ca: ca.caCert },
      defaultUpstream: { host: '127.0.0.1', port: paymentApp.port },
      upstreams: { 'payment-service': { host: '127.0.0.1', port: paymentApp.port } },
      streamProperties: (req) => {
        seen.push(connectionProperties(req.socket));
        return { connection: { uri_san_peer_certificate: 'spiffe://cluster.local/ns/default/sa/overridden' } };
      },
    });
    const r = await tlsCall(f.url, certs.gateway, toolsCall('payment-service__get_health'), {
      servername: 'localhost',
    });
    // The hook's value won over the handshake's: the filter saw a peer it does not accept.
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/peer spiffe:\/\/cluster\.local\/ns\/default\/sa\/overridden/);
    const digest = createHash('sha256').update(new X509Certificate(certs.gateway.cert).raw).digest('hex');
    expect(seen[0]).toEqual({
      connection: {
        mtls: true,
        requested_server_name: 'localhost',
        tls_version: 'TLSv1.3',
        subject_local_certificate: 'CN=payment-service,O=meshmcp dev',
        subject_peer_certificate: 'CN=gateway,O=meshmcp dev',
        uri_san_local_certificate: PAYMENT,
        dns_san_local_certificate: 'localhost',
        uri_san_peer_certificate: GATEWAY,
        dns_san_peer_certificate: 'localhost',
        sha256_peer_certificate_digest: digest,
      },
    });
  });

  it('reads SAN lists as Node prints them, quoted values included', () => {
    expect(subjectAltNames('URI:spiffe://a/b, DNS:localhost, IP Address:127.0.0.1')).toEqual([
      ['URI', 'spiffe://a/b'],
      ['DNS', 'localhost'],
      ['IP Address', '127.0.0.1'],
    ]);
    expect(subjectAltNames('DNS:"a, b", URI:spiffe://x/y')).toEqual([
      ['DNS', 'a, b'],
      ['URI', 'spiffe://x/y'],
    ]);
    expect(subjectAltNames(undefined)).toEqual([]);
  });
});

describe('a gateway front originating mTLS', () => {
  it('reaches the app through the pod front with its client certificate, reusing the connection', async () => {
    const sockets = new Set<unknown>();
    const local = { host: '127.0.0.1', port: paymentApp.port };
    const watched = await front({
      configuration: sidecarConfig('payment-service'),
      tls: { cert: certs.payment.cert, key: certs.payment.key, ca: ca.caCert },
      upstreams: { 'payment-service': local },
      streamProperties: (req) => {
        sockets.add(req.socket);
        return {};
      },
    });
    const gw = await gateway({ 'payment-service': mutual(watched, PAYMENT) });
    const before = paymentApp.seen.length;
    const first = await viaGateway(gw, 'payment-service__get_health');
    const second = await viaGateway(gw, 'payment-service__get_logs');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body).toMatch(/^payment:/);
    const seen = paymentApp.seen[before]!.headers;
    expect(seen['x-meshmcp-service']).toBe('payment-service');
    expect(seen['x-meshmcp-principal']).toBe('ci-bot');
    // The pod's filter accepted the gateway's certificate and took the end caller from the gateway's header.
    const audit = auditLines(watched.plugin).filter((l) => l.method === 'tools/call');
    expect(audit.at(-1)).toMatchObject({ client: 'ci-bot', service: 'payment-service', status: 'success' });
    expect(sockets.size).toBe(1);
  });

  // The router's 503 reaches the client as the gateway filter words it for a tools/call: a tool result with isError
  // quoting Envoy's reply (filter/README.md step 12).
  const routerReply = (r: { status: number; body: string }): string => {
    expect(r.status).toBe(200);
    const result = JSON.parse(r.body).result as { isError: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    return result.content[0]!.text;
  };

  it('fails the connection (router 503) when the upstream certificate lacks the expected SAN', async () => {
    const before = paymentApp.seen.length;
    const gw = await gateway({ 'payment-service': mutual(paymentPod, USER) });
    const r = await viaGateway(gw, 'payment-service__get_health');
    expect(routerReply(r)).toContain(
      '(upstream connect error or disconnect/reset before headers. reset reason: connection failure; HTTP 503 at',
    );
    expect(paymentApp.seen.length).toBe(before);
  });

  it('fails the connection (router 503) when the upstream certificate does not chain to its CA, or refuses ours', async () => {
    const foreign = await createDevCa(join(dir, 'foreign-2'));
    const gw = await gateway({
      untrusted: mutual(paymentPod, PAYMENT, { ca: foreign.caCert }),
      refused: mutual(paymentPod, PAYMENT, { cert: certs.rogue.cert, key: certs.rogue.key }),
    });
    const config: Json = example('gateway');
    for (const name of ['untrusted', 'refused']) {
      config.services.push({ name, namespace: 'production', host: 'x', port: 1, tools: ['get_health'] });
    }
    expect(gw.configure(JSON.stringify(config))).toBe(true);
    const untrusted = await viaGateway(gw, 'untrusted__get_health');
    expect(routerReply(untrusted)).toContain(
      '(upstream connect error or disconnect/reset before headers. reset reason: connection failure; HTTP 503 at',
    );
    // With TLS 1.3 the client's handshake is done before the server judges its certificate: the refusal comes as an
    // alert or a close on the first read, as it does to Envoy.
    const refused = await viaGateway(gw, 'refused__get_health');
    expect(routerReply(refused)).toMatch(
      /\(upstream connect error or disconnect\/reset before headers\. reset reason: .*; HTTP 503 at the gateway\)/,
    );
  });

  it('follows setUpstreams: new requests take the new routes, one already routed finishes where it went', async () => {
    const arrived = deferred();
    const release = deferred();
    const slowApp = await startUpstream('slow', (_req, res) => {
      arrived.resolve();
      void release.promise.then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('slow'));
    });
    apps.push(slowApp);
    const slowPod = await pod('payment-service', certs.payment, slowApp);
    const gw = await gateway({ 'payment-service': mutual(slowPod, PAYMENT) });
    expect((await viaGateway(gw, 'user-service__get_health')).status).toBe(404);

    const inFlight = viaGateway(gw, 'payment-service__get_health');
    await arrived.promise;
    gw.setUpstreams({ 'payment-service': mutual(paymentPod, PAYMENT), 'user-service': mutual(userPod, USER) });
    const moved = await viaGateway(gw, 'payment-service__get_health');
    expect([moved.status, moved.body.split(':')[0]]).toEqual([200, 'payment']);
    const user = await viaGateway(gw, 'user-service__get_health');
    expect([user.status, user.body.split(':')[0]]).toEqual([200, 'user']);
    release.resolve();
    expect(await inFlight).toMatchObject({ status: 200, body: 'slow' });

    gw.setUpstreams({});
    expect((await viaGateway(gw, 'payment-service__get_health')).status).toBe(404);
  });
});

describe('a plain front', () => {
  it('says the connection is not mTLS', async () => {
    const seen: PropertyMap[] = [];
    const f = await front({
      configuration: sidecarConfig('payment-service'),
      defaultUpstream: { host: '127.0.0.1', port: paymentApp.port },
      streamProperties: (req) => {
        seen.push(connectionProperties(req.socket));
        return {};
      },
    });
    expect(f.url).toMatch(/^http:\/\//);
    const r = await call(f.url, { headers: MCP_HEADERS, body: toolsCall('payment-service__get_health') });
    expect(r.status).toBe(403);
    expect(seen[0]).toEqual({ connection: { mtls: false, requested_server_name: '' } });
  });
});
