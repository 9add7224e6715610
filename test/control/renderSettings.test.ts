// parseRenderConfig: the defaults an operator gets, and errors that name the source, the YAML path and the fix.
import { describe, expect, it } from 'vitest';
import { gatewayFilterConfig, parseRenderConfig, RenderError } from '../../control/render/index.js';

const MINIMAL = 'gateway:\n  hosts: [mcp.example.com]\nidentity:\n  - mtls: {}\n';

describe('parseRenderConfig', () => {
  it('fills every mesh setting from the defaults and derives the metadata URL from the first host', () => {
    const { settings, policy } = parseRenderConfig(MINIMAL, 'mesh.yaml');
    expect(settings).toEqual({
      trustDomain: 'cluster.local',
      gateway: {
        namespace: 'istio-system',
        selector: { istio: 'meshmcp-ingressgateway' },
        serviceAccount: 'meshmcp-ingressgateway-service-account',
        port: 8443,
        tls: true,
        gatewayRef: 'istio-system/meshmcp-gateway',
        hosts: ['mcp.example.com'],
      },
      control: {
        route: 'meshmcp-control',
        namespace: 'meshmcp-system',
        host: 'meshmcp-control.meshmcp-system.svc.cluster.local',
        port: 8080,
        serviceAccount: 'meshmcp-control',
      },
      module: { file: '/etc/istio/extensions/meshmcp.wasm' },
    });
    expect(policy).toEqual({
      identity: [{ mtls: {} }],
      policy: { default: 'deny', rules: [] },
      protectedResourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource',
    });
  });

  it('derives the gateway reference and control host from the namespaces given', () => {
    const { settings, policy } = parseRenderConfig(
      "gateway: { namespace: edge, hosts: ['*.example.com', mcp.example.com] }\ncontrol: { route: cat, namespace: ops }\nidentity: [{ mtls: {} }]\n",
      'mesh.yaml',
    );
    expect(policy.protectedResourceMetadata).toBe('https://mcp.example.com/.well-known/oauth-protected-resource');
    expect(settings.gateway.gatewayRef).toBe('edge/meshmcp-gateway');
    expect(settings.control.host).toBe('cat.ops.svc.cluster.local');
  });

  it('takes a shard name, and leaves shard out of the settings when the file has none', () => {
    expect(parseRenderConfig(`${MINIMAL}shard: east-2\n`, 'mesh.yaml').settings.shard).toBe('east-2');
    expect('shard' in parseRenderConfig(MINIMAL, 'mesh.yaml').settings).toBe(false);
  });

  it.each([
    ['upper case', 'East', /^mesh\.yaml: shard: "East" is not a shard name \(lower-case letters, digits and -/],
    ['a leading digit', "'1east'", /shard: "1east" is not a shard name .*starting with a letter/],
    ['a dot', 'east.west', /shard: "east\.west" is not a shard name/],
    ['a trailing dash', 'east-', /shard: "east-" is not a shard name/],
    ['64 characters', 'a'.repeat(64), /shard: must be 1-63 characters long \(a shard name/],
    ['empty', "''", /shard: must be 1-63 characters long/],
    ['a number', '7', /shard: must be a string \(a shard name/],
  ])('refuses a shard name with %s, naming the form and how to go unsharded', (_what, value, message) => {
    let error: unknown;
    try {
      parseRenderConfig(`${MINIMAL}shard: ${value}\n`, 'mesh.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RenderError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('leave shard out for one unsharded control service');
  });

  it('takes a remote module with its sha256', () => {
    const { settings } = parseRenderConfig(
      `${MINIMAL}module: { url: 'https://example.com/m.wasm', sha256: '${'a'.repeat(64)}' }\n`,
      'mesh.yaml',
    );
    expect(settings.module).toEqual({ url: 'https://example.com/m.wasm', sha256: 'a'.repeat(64) });
  });

  it("passes an API key source's bearer flag into the gateway filter configuration, and omits it when unset", () => {
    const key = `{ sha256: '${'a'.repeat(64)}', principal: ci-bot }`;
    const configFor = (bearer: string) => {
      const text = `gateway: { hosts: [a.b] }\nidentity: [{ apiKey: { header: x-api-key, keys: [${key}]${bearer} } }]\n`;
      const { settings, policy } = parseRenderConfig(text, 'mesh.yaml');
      return gatewayFilterConfig({ services: [] }, policy, settings);
    };
    expect(configFor(', bearer: true').identity).toEqual([
      { apiKey: { header: 'x-api-key', keys: [{ sha256: 'a'.repeat(64), principal: 'ci-bot' }], bearer: true } },
    ]);
    expect(configFor('').identity).toEqual([
      { apiKey: { header: 'x-api-key', keys: [{ sha256: 'a'.repeat(64), principal: 'ci-bot' }] } },
    ]);
  });

  it('passes a delegate key into the gateway filter configuration as the filter schema spells it', () => {
    const text =
      `gateway: { hosts: [a.b] }\nidentity: [{ apiKey: { header: x-api-key, keys: [` +
      `{ sha256: '${'a'.repeat(64)}', principal: logs-pack, groups: [log-readers], delegate: true }] } }]\n`;
    const { settings, policy } = parseRenderConfig(text, 'mesh.yaml');
    expect(gatewayFilterConfig({ services: [] }, policy, settings).identity).toEqual([
      {
        apiKey: {
          header: 'x-api-key',
          keys: [{ sha256: 'a'.repeat(64), principal: 'logs-pack', groups: ['log-readers'], delegate: true }],
        },
      },
    ]);
  });

  it.each([
    ['not YAML', 'gateway: [', /^mesh\.yaml: not valid YAML/],
    ['a duplicated key', `${MINIMAL}identity: []\n`, /^mesh\.yaml: not valid YAML: .*[Uu]nique/],
    ['a list at the top', '- a\n', /^mesh\.yaml: must be a YAML mapping/],
    ['an empty document', '', /^mesh\.yaml: must be a YAML mapping/],
    [
      'an unknown top-level key',
      `${MINIMAL}gatway: {}\n`,
      /^mesh\.yaml: gatway: unknown key; the keys allowed here are trustDomain, /,
    ],
    ['no identity', 'gateway:\n  hosts: [a.example.com]\n', /^mesh\.yaml: document: identity is required/],
    ['no hosts', 'gateway: {}\nidentity: [{ mtls: {} }]\n', /^mesh\.yaml: gateway: hosts is required/],
    [
      'an identity source with two kinds',
      'gateway: { hosts: [a.b] }\nidentity: [{ mtls: {}, jwt: { metadataKey: p } }]\n',
      /identity\[0\]: must set exactly one of mtls, jwt, apiKey, got mtls and jwt/,
    ],
    [
      'a second source of one kind',
      'gateway: { hosts: [a.b] }\nidentity: [{ mtls: {} }, { mtls: {} }]\n',
      /identity\[1\]: a second mtls source/,
    ],
    [
      'an x-meshmcp- API key header',
      `gateway: { hosts: [a.b] }\nidentity: [{ apiKey: { header: x-meshmcp-key, keys: [{ sha256: '${'a'.repeat(64)}', principal: p }] } }]\n`,
      /identity\[0\]\.apiKey\.header: "x-meshmcp-key" is not a lower-case header name that is not x-meshmcp-\*/,
    ],
    [
      'a duplicated API key digest',
      `gateway: { hosts: [a.b] }\nidentity: [{ apiKey: { header: x-key, keys: [{ sha256: '${'a'.repeat(64)}', principal: p }, { sha256: '${'a'.repeat(64)}', principal: q }] } }]\n`,
      /identity\[0\]\.apiKey\.keys\[1\]\.sha256: duplicates an earlier key/,
    ],
    [
      'a bearer flag that is not a boolean',
      `gateway: { hosts: [a.b] }\nidentity: [{ apiKey: { header: x-key, bearer: 'yes', keys: [{ sha256: '${'a'.repeat(64)}', principal: p }] } }]\n`,
      /identity\[0\]\.apiKey\.bearer: must be true or false, got "yes"/,
    ],
    [
      'a delegate flag that is not a boolean',
      `gateway: { hosts: [a.b] }\nidentity: [{ apiKey: { header: x-key, keys: [{ sha256: '${'a'.repeat(64)}', principal: p, delegate: 1 }] } }]\n`,
      /identity\[0\]\.apiKey\.keys\[0\]\.delegate: must be true or false, got 1/,
    ],
    [
      'forbidden without a scope',
      `${MINIMAL}policy: { rules: [{ effect: deny, onDeny: forbidden }] }\n`,
      /policy\.rules\[0\]: onDeny: forbidden needs effect: deny and a scope/,
    ],
    [
      'a bad glob',
      `${MINIMAL}policy: { rules: [{ effect: allow, tools: ['a b'] }] }\n`,
      /policy\.rules\[0\]\.tools\[0\]: "a b" is not a glob/,
    ],
    [
      'a zero refill',
      `${MINIMAL}rateLimits: { perPrincipal: { capacity: 1, refillPerSecond: 0 } }\n`,
      /rateLimits\.perPrincipal\.refillPerSecond: must be a number above 0/,
    ],
    [
      'a tiny body limit',
      `${MINIMAL}limits: { maxBodyBytes: 10 }\n`,
      /limits\.maxBodyBytes: must be a whole number from 256 to 16777216, got 10/,
    ],
    [
      'file and url',
      `${MINIMAL}module: { file: /m.wasm, url: 'https://e.com/m' }\n`,
      /module: set either file, or url with sha256, not both/,
    ],
    [
      'a url without sha256',
      `${MINIMAL}module: { url: 'https://e.com/m' }\n`,
      /module: a remote module needs both url and sha256/,
    ],
    [
      'an http module url',
      `${MINIMAL}module: { url: 'http://e.com/m', sha256: '${'a'.repeat(64)}' }\n`,
      /module\.url: "http:\/\/e\.com\/m" is not an https:\/\/ URL/,
    ],
    [
      'a relative module file',
      `${MINIMAL}module: { file: m.wasm }\n`,
      /module\.file: "m\.wasm" is not an absolute path/,
    ],
    [
      'only wildcard hosts and no metadata URL',
      "gateway: { hosts: ['*'] }\nidentity: [{ mtls: {} }]\n",
      /protectedResourceMetadata: is required when gateway\.hosts has only wildcards/,
    ],
    [
      'an empty gateway selector',
      'gateway: { hosts: [a.b], selector: {} }\nidentity: [{ mtls: {} }]\n',
      /gateway\.selector: must have 1 to 16 entries, got 0/,
    ],
    [
      'a gatewayRef without namespace',
      'gateway: { hosts: [a.b], gatewayRef: gw }\nidentity: [{ mtls: {} }]\n',
      /gateway\.gatewayRef: "gw" is not namespace\/name of an Istio Gateway/,
    ],
    [
      'a control port out of range',
      `${MINIMAL}control: { port: 70000 }\n`,
      /control\.port: must be a whole number from 1 to 65535, got 70000/,
    ],
  ])('refuses %s', (_what, text, message) => {
    let error: unknown;
    try {
      parseRenderConfig(text, 'mesh.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RenderError);
    expect((error as Error).message).toMatch(message);
  });
});
