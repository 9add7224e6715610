// Parses the one YAML document an operator writes for render: where things are in the mesh (RenderSettings, with
// defaults) and the gateway policy (GatewayPolicy, the shapes of filter/config.schema.json). Format: README.md.

import { parseDocument } from 'yaml';
import type { GatewayPolicy, IdentitySource, ProtectedResource, RenderSettings } from '../types.js';
import { RenderError } from './errors.js';
import { check, isPlainObject, type Shape, ShapeError, type StringShape } from './shape.js';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const PRINTABLE = /^[^\u0000-\u0020\u007f]+$/u;
const label = (hint: string): StringShape => ({ kind: 'string', min: 1, max: 63, pattern: DNS_LABEL, hint });
const text = (max: number, pattern: RegExp, hint: string): StringShape => ({
  kind: 'string',
  min: 1,
  max,
  pattern,
  hint,
});
const glob = text(256, PRINTABLE, 'a glob of printable characters without spaces');
const globList: Shape = { kind: 'array', items: glob, min: 1, max: 64 };
const claimPath = text(
  128,
  /^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/,
  'a dotted claim path such as sub or realm_access.roles',
);

const LABEL_KEY = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/;
const selector: Shape = {
  kind: 'map',
  min: 1,
  max: 16,
  key: text(317, LABEL_KEY, 'a Kubernetes label key'),
  value: { kind: 'string', max: 63, pattern: LABEL_VALUE, hint: 'a Kubernetes label value' },
};
const HOST = /^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/;
const port: Shape = { kind: 'int', min: 1, max: 65535 };
const bucketFields = {
  capacity: { kind: 'int', min: 1, max: 1_000_000 },
  refillPerSecond: { kind: 'number', exclusiveMin: 0, max: 1_000_000 },
} satisfies Record<string, Shape>;
const word = text(256, PRINTABLE, 'printable characters without spaces');

/**
 * A shard name: a DNS label that starts with a letter, so `<name>.<shard>` never reads as a VirtualService chunk
 * (`.2`) and fits every object name and label value.
 */
const SHARD = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const RENDER_CONFIG: Shape = {
  kind: 'object',
  required: ['identity'],
  fields: {
    trustDomain: text(253, /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "the mesh's trust domain, e.g. cluster.local"),
    gateway: {
      kind: 'object',
      required: ['hosts'],
      fields: {
        namespace: label('the namespace of the ingress gateway workload, e.g. istio-system'),
        selector,
        serviceAccount: label("the gateway's service account, e.g. meshmcp-ingressgateway-service-account"),
        port,
        tls: { kind: 'boolean' },
        gatewayRef: text(
          127,
          /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/,
          'namespace/name of an Istio Gateway',
        ),
        hosts: {
          kind: 'array',
          min: 1,
          max: 64,
          unique: true,
          items: text(253, HOST, 'a host name such as mcp.example.com or *.example.com'),
        },
      },
    },
    control: {
      kind: 'object',
      fields: {
        route: label('a DNS label such as meshmcp-control'),
        namespace: label('a namespace name such as meshmcp-system'),
        host: text(
          253,
          /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/,
          'a host name such as meshmcp-control.meshmcp-system.svc.cluster.local',
        ),
        port,
        serviceAccount: label("the control service's service account, e.g. meshmcp-control"),
      },
    },
    module: {
      kind: 'object',
      fields: {
        file: text(
          1024,
          /^\/[!-~]*$/,
          'an absolute path inside the proxy image, e.g. /etc/istio/extensions/meshmcp.wasm',
        ),
        url: text(2048, /^https:\/\/[!-~]+$/, 'an https:// URL'),
        sha256: text(64, /^[0-9a-f]{64}$/, 'the lower-case hex SHA-256 of the module (64 characters)'),
      },
    },
    identity: {
      kind: 'array',
      min: 1,
      max: 3,
      items: {
        kind: 'object',
        exactlyOne: true,
        fields: {
          mtls: {
            kind: 'object',
            fields: { sanPrefix: text(256, /^[!-~]+$/, 'a URI prefix such as spiffe://cluster.local/') },
          },
          jwt: {
            kind: 'object',
            required: ['metadataKey'],
            fields: {
              metadataKey: text(128, /^[A-Za-z0-9_.-]+$/, "the jwt_authn provider's payload_in_metadata name"),
              principalClaim: claimPath,
              groupsClaims: { kind: 'array', min: 1, max: 8, items: claimPath },
              scopeClaim: claimPath,
            },
          },
          apiKey: {
            kind: 'object',
            required: ['header', 'keys'],
            fields: {
              header: {
                ...text(64, /^[a-z0-9-]+$/, 'a lower-case header name that is not x-meshmcp-*'),
                not: /^x-meshmcp-/,
              },
              keys: {
                kind: 'array',
                min: 1,
                max: 1024,
                items: {
                  kind: 'object',
                  required: ['sha256', 'principal'],
                  fields: {
                    sha256: text(64, /^[0-9a-f]{64}$/, "the lower-case hex SHA-256 of the key's bytes"),
                    principal: word,
                    groups: { kind: 'array', max: 32, items: word },
                    delegate: { kind: 'boolean' },
                  },
                },
              },
              bearer: { kind: 'boolean' },
            },
          },
        },
      },
    },
    policy: {
      kind: 'object',
      fields: {
        default: { kind: 'enum', values: ['allow', 'deny'] },
        rules: {
          kind: 'array',
          max: 256,
          items: {
            kind: 'object',
            required: ['effect'],
            fields: {
              name: text(64, /^[A-Za-z0-9_.-]+$/, 'a rule name of letters, digits, _ . -'),
              effect: { kind: 'enum', values: ['allow', 'deny'] },
              principals: globList,
              groups: globList,
              tools: globList,
              methods: {
                kind: 'array',
                min: 1,
                max: 32,
                items: text(64, /^[A-Za-z0-9_./-]+(\/\*)?$/, 'a JSON-RPC method or a prefix/* pattern'),
              },
              onDeny: { kind: 'enum', values: ['unknownTool', 'forbidden'] },
              scope: text(256, /^[!#-[\]-~]+( [!#-[\]-~]+)*$/, 'space-separated OAuth scope tokens'),
            },
          },
        },
      },
    },
    rateLimits: {
      kind: 'object',
      fields: {
        perPrincipal: { kind: 'object', required: ['capacity', 'refillPerSecond'], fields: bucketFields },
        perTool: {
          kind: 'array',
          max: 256,
          items: {
            kind: 'object',
            required: ['tool', 'capacity', 'refillPerSecond'],
            fields: { tool: glob, ...bucketFields },
          },
        },
      },
    },
    limits: {
      kind: 'object',
      fields: {
        maxBodyBytes: { kind: 'int', min: 256, max: 16_777_216 },
        maxDepth: { kind: 'int', min: 2, max: 1024 },
      },
    },
    audit: {
      kind: 'object',
      fields: {
        params: { kind: 'enum', values: ['redact', 'hash', 'full'] },
        logLevel: { kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'] },
        onBehalfOfHeader: {
          ...text(64, /^[a-z0-9-]+$/, 'a lower-case header name that is not x-meshmcp-*'),
          not: /^x-meshmcp-/,
        },
      },
    },
    protectedResourceMetadata: text(2048, /^https?:\/\/[!#-~]+$/, 'an http(s) URL of the RFC 9728 metadata'),
    oauth: {
      kind: 'object',
      fields: {
        resource: text(2048, /^https?:\/\/[!#-~]+$/, 'the http(s) URL clients use for the MCP endpoint'),
        authorizationServers: {
          kind: 'array',
          max: 16,
          items: text(2048, /^https:\/\/[!#-~]+$/, 'the https issuer URL of an OAuth authorization server'),
        },
        scopesSupported: { kind: 'array', max: 64, items: text(128, /^[!#-[\]-~]+$/, 'an OAuth scope token') },
        resourceName: text(256, /^[^\u0000-\u001f\u007f]+$/u, 'a human-readable name'),
        resourceDocumentation: text(2048, /^https?:\/\/[!#-~]+$/, 'an http(s) URL of documentation'),
      },
    },
    shard: text(
      63,
      SHARD,
      'a shard name (lower-case letters, digits and -, starting with a letter, e.g. east); ' +
        'leave shard out for one unsharded control service',
    ),
  },
};

/** The defaults of every mesh setting an operator may leave out (README.md lists them). */
export const RENDER_DEFAULTS = {
  trustDomain: 'cluster.local',
  gateway: {
    namespace: 'istio-system',
    selector: { istio: 'meshmcp-ingressgateway' },
    serviceAccount: 'meshmcp-ingressgateway-service-account',
    gatewayName: 'meshmcp-gateway',
    port: 8443,
    tls: true,
  },
  control: { route: 'meshmcp-control', namespace: 'meshmcp-system', port: 8080, serviceAccount: 'meshmcp-control' },
  moduleFile: '/etc/istio/extensions/meshmcp.wasm',
} as const;

// biome-ignore lint/suspicious/noExplicitAny: read only after check() has matched it against RENDER_CONFIG
type Raw = Record<string, any>;

/** Reads one render configuration; every error names the source, the YAML path and the fix. */
export function parseRenderConfig(
  yamlText: string,
  source: string,
): { settings: RenderSettings; policy: GatewayPolicy; oauth: ProtectedResource } {
  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    throw new RenderError(`${source}: not valid YAML: ${yamlError.message.split('\n')[0]}; fix the syntax there`);
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isPlainObject(raw)) {
    throw new RenderError(
      `${source}: must be a YAML mapping with at least gateway.hosts and identity (see control/render/README.md)`,
    );
  }
  try {
    check(raw, RENDER_CONFIG);
    const policy = toPolicy(raw);
    return { settings: toSettings(raw), policy, oauth: toOauth(raw, policy) };
  } catch (e) {
    if (e instanceof ShapeError) throw new RenderError(`${source}: ${e.message}`);
    throw e;
  }
}

function toSettings(raw: Raw): RenderSettings {
  const g: Raw = raw['gateway'];
  const c: Raw = raw['control'] ?? {};
  const m: Raw | undefined = raw['module'];
  const d = RENDER_DEFAULTS;
  const gatewayNamespace = g['namespace'] ?? d.gateway.namespace;
  const route = c['route'] ?? d.control.route;
  const controlNamespace = c['namespace'] ?? d.control.namespace;
  return {
    trustDomain: raw['trustDomain'] ?? d.trustDomain,
    gateway: {
      namespace: gatewayNamespace,
      selector: { ...(g['selector'] ?? d.gateway.selector) },
      serviceAccount: g['serviceAccount'] ?? d.gateway.serviceAccount,
      port: g['port'] ?? d.gateway.port,
      tls: g['tls'] ?? d.gateway.tls,
      gatewayRef: g['gatewayRef'] ?? `${gatewayNamespace}/${d.gateway.gatewayName}`,
      hosts: [...g['hosts']],
    },
    control: {
      route,
      namespace: controlNamespace,
      host: c['host'] ?? `${route}.${controlNamespace}.svc.cluster.local`,
      port: c['port'] ?? d.control.port,
      serviceAccount: c['serviceAccount'] ?? d.control.serviceAccount,
    },
    module: toModule(m),
    ...(raw['shard'] === undefined ? {} : { shard: raw['shard'] }),
  };
}

function toModule(m: Raw | undefined): RenderSettings['module'] {
  if (m === undefined) return { file: RENDER_DEFAULTS.moduleFile };
  if (m['file'] !== undefined) {
    if (m['url'] !== undefined || m['sha256'] !== undefined) {
      throw new ShapeError('module', 'set either file, or url with sha256, not both');
    }
    return { file: m['file'] };
  }
  if (m['url'] === undefined || m['sha256'] === undefined) {
    throw new ShapeError('module', 'a remote module needs both url and sha256 (or set file instead)');
  }
  return { url: m['url'], sha256: m['sha256'] };
}

function toPolicy(raw: Raw): GatewayPolicy {
  const identity = raw['identity'] as IdentitySource[];
  const seen = new Set<string>();
  identity.forEach((source, i) => {
    const kind = Object.keys(source)[0]!;
    if (seen.has(kind))
      throw new ShapeError(`identity[${i}]`, `a second ${kind} source; list each kind of source once`);
    seen.add(kind);
    if ('apiKey' in source) {
      const digests = new Set<string>();
      source.apiKey.keys.forEach((k, j) => {
        if (digests.has(k.sha256)) {
          throw new ShapeError(
            `identity[${i}].apiKey.keys[${j}].sha256`,
            'duplicates an earlier key; list each key once',
          );
        }
        digests.add(k.sha256);
      });
    }
  });
  const policy: Raw = raw['policy'] ?? {};
  const rules = (policy['rules'] ?? []) as GatewayPolicy['policy']['rules'];
  rules.forEach((rule, i) => {
    if (rule.onDeny === 'forbidden' && (rule.effect !== 'deny' || rule.scope === undefined)) {
      throw new ShapeError(
        `policy.rules[${i}]`,
        'onDeny: forbidden needs effect: deny and a scope to name in the challenge',
      );
    }
  });
  const hosts: string[] = raw['gateway']['hosts'];
  const concrete = hosts.find((h) => !h.includes('*'));
  let metadata: string | undefined = raw['protectedResourceMetadata'];
  if (metadata === undefined) {
    if (concrete === undefined) {
      throw new ShapeError(
        'protectedResourceMetadata',
        'is required when gateway.hosts has only wildcards; give the https URL of the RFC 9728 metadata',
      );
    }
    metadata = `https://${concrete}/.well-known/oauth-protected-resource`;
  }
  const out: GatewayPolicy = {
    identity,
    policy: { default: policy['default'] ?? 'deny', rules },
    protectedResourceMetadata: metadata,
  };
  if (raw['rateLimits'] !== undefined) out.rateLimits = raw['rateLimits'];
  if (raw['limits'] !== undefined) out.limits = raw['limits'];
  if (raw['audit'] !== undefined) out.audit = raw['audit'];
  return out;
}

/** The endpoint's RFC 9728 metadata; the resource defaults to /mcp on the origin of protectedResourceMetadata. */
function toOauth(raw: Raw, policy: GatewayPolicy): ProtectedResource {
  const o: Raw = raw['oauth'] ?? {};
  const out: ProtectedResource = {
    resource: o['resource'] ?? `${new URL(policy.protectedResourceMetadata).origin}/mcp`,
    authorizationServers: [...(o['authorizationServers'] ?? [])],
    scopesSupported: [...(o['scopesSupported'] ?? [])],
  };
  if (o['resourceName'] !== undefined) out.resourceName = o['resourceName'];
  if (o['resourceDocumentation'] !== undefined) out.resourceDocumentation = o['resourceDocumentation'];
  return out;
}
