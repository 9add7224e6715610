// TLS for the HTTP front: the listener's client-certificate check, the connection attributes Envoy derives from the
// handshake, and keep-alive agents that originate mTLS to upstreams with Istio's ISTIO_MUTUAL server-identity check.

import { createHash } from 'node:crypto';
import { Agent, type ClientRequest, request } from 'node:http';
import { type Server as HttpsServer, type ServerOptions, Agent as TlsAgent, request as tlsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate, TLSSocket } from 'node:tls';
import { header, wirePairs } from './frontHeaders.js';
import type { HeaderPairs } from './memory.js';
import type { PropertyMap } from './properties.js';

export type Pem = string | Buffer;

/** The front's own certificate and the CA its clients' certificates must chain to. */
export interface FrontTls {
  cert: Pem;
  key: Pem;
  ca: Pem;
  /**
   * Default true: a client without a certificate the CA vouches for fails the handshake (Istio STRICT). False: a
   * client may come without one (connection.mtls false), but a certificate it does present must still verify.
   */
  requireClientCert?: boolean;
}

/** mTLS the front originates to one upstream: its client certificate, and what the upstream's must satisfy. */
/** Where a route sends requests: host and port, with mTLS (ISTIO_MUTUAL) or plain HTTP without `tls`. */
export interface Upstream {
  host: string;
  port: number;
  /** mTLS to this upstream (ISTIO_MUTUAL); plain HTTP without it. */
  tls?: UpstreamTls;
}

export interface UpstreamTls {
  /** The CA the upstream's certificate must chain to. */
  ca: Pem;
  /** The front's client certificate (in the mesh: the gateway's SPIFFE identity). */
  cert: Pem;
  key: Pem;
  /** SNI, and the name the certificate is checked against when `expectedSan` is absent (default: the upstream host). */
  servername?: string;
  /** A URI SAN the upstream's certificate must carry, e.g. its SPIFFE id; the host name is then not checked. */
  expectedSan?: string;
}

export function tlsServerOptions(tls: FrontTls): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    requestCert: true,
    rejectUnauthorized: tls.requireClientCert ?? true,
    minVersion: 'TLSv1.2',
  };
}

/**
 * With an optional client certificate Node accepts an unverified one and only flags it; Envoy (without
 * ACCEPT_UNTRUSTED) fails that handshake, so such a connection is closed before any request on it is read.
 */
export function refuseUnverifiedPeers(server: HttpsServer): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.authorized && socket.getPeerX509Certificate() !== undefined) socket.destroy();
  });
}

/**
 * Node's subjectAltName text ("URI:a, DNS:b, IP Address:c") as [type, value] pairs; a value with a comma or quote in
 * it comes JSON-quoted.
 */
export function subjectAltNames(text: string | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    i = colon + 1;
    let value: string;
    if (text[i] === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(i, end + 1)) as string;
      } catch {
        value = text.slice(i + 1, end);
      }
      i = end + 1;
    } else {
      const comma = text.indexOf(', ', i);
      const end = comma < 0 ? text.length : comma;
      value = text.slice(i, end);
      i = end;
    }
    out.push([type, value]);
  }
  return out;
}

export const uriSans = (text: string | undefined): string[] =>
  subjectAltNames(text)
    .filter(([t]) => t === 'URI')
    .map(([, v]) => v);

const dnsSans = (text: string | undefined): string[] =>
  subjectAltNames(text)
    .filter(([t]) => t === 'DNS')
    .map(([, v]) => v);

/**
 * A distinguished name as Envoy prints it (RFC 2253: last RDN first, comma-separated), from Node's one-RDN-a-line
 * text, whose values are already escaped the RFC 2253 way.
 */
export function rfc2253(subject: string | undefined): string {
  if (!subject) return '';
  return subject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => rdn.replaceAll(' + ', '+'))
    .join(',');
}

const cache = new WeakMap<Socket, PropertyMap>();
const PLAIN: PropertyMap = { connection: { mtls: false, requested_server_name: '' } };

/**
 * What Envoy's attributes say about the downstream connection: `connection.mtls` on any connection; on a TLS one
 * also the version, SNI, both certificates' subjects and first URI and DNS SANs, and the peer certificate's SHA-256.
 * Worked out once per connection (keep-alive requests share it).
 */
export function connectionProperties(socket: Socket): PropertyMap {
  if (!(socket instanceof TLSSocket)) return PLAIN;
  const known = cache.get(socket);
  if (known) return known;
  const peer = socket.authorized ? socket.getPeerX509Certificate() : undefined;
  const local = socket.getX509Certificate();
  const connection: PropertyMap = {
    mtls: peer !== undefined,
    requested_server_name: typeof socket.servername === 'string' ? socket.servername : '',
    tls_version: socket.getProtocol() ?? '',
    subject_local_certificate: rfc2253(local?.subject),
    subject_peer_certificate: rfc2253(peer?.subject),
  };
  // As Envoy: a SAN attribute is absent, not empty, when the certificate has none.
  const set = (name: string, value: string | undefined) => {
    if (value) connection[name] = value;
  };
  set('uri_san_local_certificate', uriSans(local?.subjectAltName)[0]);
  set('dns_san_local_certificate', dnsSans(local?.subjectAltName)[0]);
  if (peer) {
    set('uri_san_peer_certificate', uriSans(peer.subjectAltName)[0]);
    set('dns_san_peer_certificate', dnsSans(peer.subjectAltName)[0]);
    set('sha256_peer_certificate_digest', createHash('sha256').update(peer.raw).digest('hex'));
  }
  const properties: PropertyMap = { connection };
  cache.set(socket, properties);
  return properties;
}

function identityCheck(upstream: Upstream, tls: UpstreamTls) {
  return (_host: string, cert: PeerCertificate): Error | undefined => {
    if (tls.expectedSan === undefined) return checkServerIdentity(tls.servername ?? upstream.host, cert);
    if (uriSans(cert.subjectaltname).includes(tls.expectedSan)) return undefined;
    return Object.assign(
      new Error(`upstream certificate does not carry the URI SAN ${tls.expectedSan} (it has: ${cert.subjectaltname})`),
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: 'SAN mismatch' },
    );
  };
}

const digest = (pem: Pem) => createHash('sha256').update(pem).digest('hex');

function tlsKey(u: Upstream, tls: UpstreamTls): string {
  return [
    u.host,
    u.port,
    tls.servername ?? '',
    tls.expectedSan ?? '',
    digest(tls.ca),
    digest(tls.cert),
    digest(tls.key),
  ]
    .map(String)
    .join('\0');
}

/**
 * Keep-alive agents: one for every plain upstream, one per TLS upstream identity (address, names, certificates), so
 * a pooled connection is only reused for the identity it was verified for.
 */
export class UpstreamAgents {
  private readonly plain = new Agent({ keepAlive: true });
  private readonly tls = new Map<string, TlsAgent>();
  /** Agents no route uses any more, until their last connection is gone. */
  private readonly retired = new Set<TlsAgent>();
  // Upstream objects are taken as immutable: an agent is looked up by object once, then remembered.
  private byUpstream = new WeakMap<Upstream, TlsAgent>();

  agentFor(upstream: Upstream): Agent {
    const tls = upstream.tls;
    if (!tls) return this.plain;
    const known = this.byUpstream.get(upstream);
    if (known) return known;
    const key = tlsKey(upstream, tls);
    let agent = this.tls.get(key);
    if (!agent) {
      agent = new TlsAgent({
        keepAlive: true,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        minVersion: 'TLSv1.2',
        checkServerIdentity: identityCheck(upstream, tls),
        ...(tls.servername === undefined ? {} : { servername: tls.servername }),
      });
      this.tls.set(key, agent);
    }
    this.byUpstream.set(upstream, agent);
    return agent;
  }

  /**
   * Keeps the agents these upstreams use. The others get no new requests: they close their idle connections now and
   * each busy one when its exchange is done, so in-flight exchanges finish on the upstream they were routed to.
   */
  retain(upstreams: Iterable<Upstream | undefined>): void {
    const keep = new Set<string>();
    for (const u of upstreams) if (u?.tls) keep.add(tlsKey(u, u.tls));
    this.byUpstream = new WeakMap();
    for (const [key, agent] of this.tls) {
      if (keep.has(key)) continue;
      this.tls.delete(key);
      agent.keepSocketAlive = () => false;
      this.retired.add(agent);
    }
    for (const agent of this.retired) {
      for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
      if (Object.keys(agent.sockets).length === 0) this.retired.delete(agent);
    }
  }

  destroy(): void {
    this.plain.destroy();
    for (const agent of [...this.tls.values(), ...this.retired]) agent.destroy();
    this.tls.clear();
    this.retired.clear();
  }
}

/**
 * A request to an upstream from pseudo-headed pairs: :method and :path become the request line, :authority the Host
 * (the upstream's address when absent), the rest go as they are, over the agent the upstream's TLS settings pick.
 */
export function upstreamRequest(target: Upstream, agents: UpstreamAgents, headers: HeaderPairs): ClientRequest {
  return (target.tls ? tlsRequest : request)({
    host: target.host,
    port: target.port,
    method: header(headers, ':method') ?? 'GET',
    path: header(headers, ':path') ?? '/',
    headers: ['host', header(headers, ':authority') ?? `${target.host}:${target.port}`, ...wirePairs(headers)],
    setHost: false,
    agent: agents.agentFor(target),
  });
}
