// The data the control pipeline's stages share (discovery → catalog → render → apply): what discovery finds, the
// catalog built from it, the gateway policy and render settings, and the resources render produces.

/** One MCP-enabled Service, as discovery (Kubernetes or a static file) found it. */
export interface DiscoveredService {
  /**
   * The service's name in tool names (`<name>__<tool>`) and resource names: the Service's `app` label, else its name
   * without a trailing `-mcp` (control/discovery/README.md). A static file gives it directly.
   */
  name: string;
  namespace: string;
  /** In-cluster DNS name, e.g. payment-service-mcp.production.svc.cluster.local (a static file may give any host). */
  host: string;
  /** The Service port named `mcp` (default 3000). */
  port: number;
  /** Where the catalog collects tools/list, e.g. http://host:port/mcp. */
  url: string;
  /** An EndpointSlice lists at least one ready endpoint for the MCP port (static services are always ready). */
  ready: boolean;
  /** The Service's selector: the workload labels EnvoyFilter/AuthorizationPolicy select the sidecars by. */
  selector: Record<string, string>;
  /**
   * A fingerprint of the ready pods behind the MCP port (their uids, else addresses), from the EndpointSlices: when it
   * changes (a rollout, a restarted pod) the catalog collects the service again at once rather than at its CACHE_TTL.
   * Absent for static services.
   */
  pods?: string;
  /** Set when the pods serve MCP themselves (no meshmcp sidecar); absent for the meshmcp sidecar. */
  upstream?: McpUpstream;
}

/**
 * An MCP server of the service's own, fronted as the sidecar is (control/discovery/README.md, "Bring your own MCP
 * server"): the gateway sends it tool names without the `<service>__` prefix, on its own path.
 */
export interface McpUpstream {
  /** The Streamable HTTP path of the server, e.g. /mcp. */
  path: string;
  /**
   * The protocol revisions it speaks, e.g. ['2025-11-25', '2026-07-28']. A revision before 2026-07-28 may hold
   * sessions (Mcp-Session-Id), so the gateway pins a session to the pod that opened it.
   */
  protocols: string[];
  /**
   * Its pods' MCP port is a meshmcp sidecar in bridge mode in front of it, which relays its requests for input
   * between the revisions: the gateway gives each exchange a pod affinity (`x-meshmcp-affinity`), which the rendered
   * DestinationRule hashes on.
   */
  bridge?: true;
}

/** A tool as a sidecar lists it (or a static snapshot gives it): its own name, before the route prefix. */
export interface ToolDescriptor {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  /** 2025-11-25: whether tools/call may or must run as a task. */
  execution?: Record<string, unknown>;
  /**
   * Listed by a server that keeps sessions only to a client that can answer its requests (sampling, elicitation,
   * roots): the collector's second listing, as a client offering none, did not show it (collector.ts).
   */
  sessionOnly?: true;
}

/** One tool in the aggregated catalog, named per DESIGN.md contract 1. */
export interface CatalogTool {
  /** `<route>__<tool>`, ^[a-zA-Z0-9_-]{1,64}$. */
  name: string;
  /** The tool's name on its sidecar. */
  tool: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  /**
   * `{ taskSupport }` as its server listed it (2025-11-25), kept only for a server whose tasks the aggregated /mcp
   * carries (CatalogService.sessionTasks); 2026-07-28 lists have no such member.
   */
  execution?: { taskSupport: 'optional' | 'required' };
  /**
   * Its server (one that keeps sessions) lists it only to a client that can answer the server's requests. The
   * aggregated /mcp reaches such a server through a session its pod opens per call, offering none, so the tool is
   * listed only on the server's own endpoint, `/mcp/<service>`.
   */
  sessionOnly?: true;
}

/** A prompt as a server lists it (prompts/list). */
export interface PromptDescriptor {
  name: string;
  title?: string;
  description?: string;
  arguments?: unknown[];
  icons?: unknown[];
}

/** A resource as a server lists it (resources/list). */
export interface ResourceDescriptor {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Record<string, unknown>;
  icons?: unknown[];
}

/** A resource template as a server lists it (resources/templates/list). */
export interface ResourceTemplateDescriptor {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Record<string, unknown>;
  icons?: unknown[];
}

/** What a server offers besides tools, each only when its capabilities say it has them. */
export interface ServerOfferings {
  prompts?: PromptDescriptor[];
  resources?: ResourceDescriptor[];
  resourceTemplates?: ResourceTemplateDescriptor[];
  /**
   * The protocol extensions the server advertised (`capabilities.extensions`) that the gateway carries to it: the
   * tasks extension (`io.modelcontextprotocol/tasks`), whose task ids the gateway routes.
   */
  extensions?: string[];
  /**
   * The server runs tools/call as 2025-11-25 tasks (`capabilities.tasks.requests.tools.call`); the aggregated /mcp
   * carries them for a server that keeps sessions (its pod's proxy keeps the session a task lives in).
   */
  sessionTasks?: true;
}

/** A prompt in the aggregated catalog: `<route>__<prompt>`, as tools are named (contract 1). */
export interface CatalogPrompt extends PromptDescriptor {
  /** The prompt's name on its server. */
  prompt: string;
}

/** A resource in the aggregated catalog: its URI as `meshmcp://<route>/<the server's URI>` (contract 1). */
export interface CatalogResource extends ResourceDescriptor {
  /** The resource's URI on its server. */
  resource: string;
}

export interface CatalogResourceTemplate extends ResourceTemplateDescriptor {
  /** The template as its server gives it. */
  template: string;
}

/** The lists a server offers and the aggregated endpoint answers, by their catalog member. */
export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

/**
 * The caching hints of a 2026-07-28 list result (SEP-2549 `CacheableResult`): how long, in ms, the result may be
 * considered fresh, and who may reuse it (`private`: only within the authorization context that asked).
 */
export interface CacheHint {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

export interface ServiceHealth {
  healthy: boolean;
  /** ISO time of the last successful tools/list. */
  lastSuccess?: string;
  consecutiveFailures: number;
  /** The last error, when unhealthy. */
  error?: string;
}

export interface CatalogService {
  /**
   * The `<service>` of tool names and the x-meshmcp-service value: the Service name, or a stable disambiguated
   * form when two namespaces have a Service of the same name (contract 1).
   */
  route: string;
  name: string;
  namespace: string;
  host: string;
  port: number;
  selector: Record<string, string>;
  /** Set when the pods serve MCP themselves (DiscoveredService.upstream). */
  upstream?: McpUpstream;
  health: ServiceHealth;
  /** Sorted by name. */
  tools: CatalogTool[];
  /** Present only when the server lists any: sorted by name, URI and template. */
  prompts?: CatalogPrompt[];
  resources?: CatalogResource[];
  resourceTemplates?: CatalogResourceTemplate[];
  /** ServerOfferings.extensions, when the server advertised any the gateway carries. */
  extensions?: string[];
  /** ServerOfferings.sessionTasks, for a server of its own that keeps sessions (then its tools keep `execution`). */
  sessionTasks?: true;
  /**
   * The caching hints each list carried when it was collected (`health.lastSuccess`), merged over its pages;
   * present only for a server that answered in 2026-07-28 (older revisions give none).
   */
  cacheHints?: Partial<Record<ListKind, CacheHint>>;
}

/** The one structure every stage shares: canonical (services sorted by route, tools by name), so equal = no-op. */
export interface Catalog {
  services: CatalogService[];
}

/** Contract 2's identity sources, as filter/config.schema.json defines them. */
export type IdentitySource =
  | { mtls: { sanPrefix?: string } }
  | {
      jwt: {
        metadataKey: string;
        principalClaim?: string;
        groupsClaims?: string[];
        scopeClaim?: string;
      };
    }
  | {
      apiKey: {
        header: string;
        /** delegate: the key may act for the caller it names in x-caller-principal / -groups (filter/README.md). */
        keys: Array<{ sha256: string; principal: string; groups?: string[]; delegate?: boolean }>;
        /** Also read the key from `Authorization: Bearer <key>` when the header is absent. */
        bearer?: boolean;
      };
    };

export interface PolicyRule {
  name?: string;
  effect: 'allow' | 'deny';
  principals?: string[];
  groups?: string[];
  tools?: string[];
  methods?: string[];
  onDeny?: 'unknownTool' | 'forbidden';
  scope?: string;
}

export interface Bucket {
  capacity: number;
  refillPerSecond: number;
}

/** What an operator decides for the gateway (a YAML file), rendered into the gateway-mode filter configuration. */
export interface GatewayPolicy {
  identity: IdentitySource[];
  policy: { default?: 'allow' | 'deny'; rules: PolicyRule[] };
  rateLimits?: { perPrincipal?: Bucket; perTool?: Array<Bucket & { tool: string }> };
  limits?: { maxBodyBytes?: number; maxDepth?: number };
  audit?: {
    params?: 'redact' | 'hash' | 'full';
    logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'off';
    /** Gateway mode: a request header naming who a caller acts for (a chat bot's user), recorded as on_behalf_of. */
    onBehalfOfHeader?: string;
  };
  /** RFC 9728 metadata URL named in 401 challenges. */
  protectedResourceMetadata: string;
}

/** RFC 9728 metadata of the MCP endpoint (the configuration's `oauth`), which the control service serves. */
export interface ProtectedResource {
  /** The URL clients use for the MCP endpoint. */
  resource: string;
  authorizationServers: string[];
  scopesSupported: string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/** Where things are in the mesh, for render. */
export interface RenderSettings {
  /** Istio root of trust, e.g. cluster.local. */
  trustDomain: string;
  gateway: {
    /** Namespace of the ingress gateway workload (EnvoyFilter GATEWAY lives here). */
    namespace: string;
    /** Its workload labels, e.g. { istio: 'meshmcp-ingressgateway' } (the dedicated MCP gateway). */
    selector: Record<string, string>;
    /**
     * The port the gateway's Envoy listens on for the MCP hosts: the targetPort behind the Gateway server's port
     * (istioctl's gateways listen on 8443 for 443). The gateway filter is patched into that listener only.
     */
    port: number;
    /**
     * Whether the Gateway server of the MCP hosts terminates TLS: then the filter goes only into the filter chain
     * whose SNI names are the MCP hosts (Istio gives each HTTPS server its own chain).
     */
    tls: boolean;
    /** Its service account, for the SPIFFE id sidecars accept. */
    serviceAccount: string;
    /** The Istio Gateway resource the VirtualService binds to, `<namespace>/<name>`. */
    gatewayRef: string;
    /** Hostnames clients use for the MCP endpoint. */
    hosts: string[];
  };
  control: {
    /** Route name of the control service (the filter's `control`), e.g. meshmcp-control. */
    route: string;
    namespace: string;
    host: string;
    port: number;
    serviceAccount: string;
  };
  /** The filter module: a file inside the proxy image, or an https URL with its sha256. */
  module: { file: string } | { url: string; sha256: string };
  /**
   * This control service's shard (README.md, Scale): its gateway and its namespaces' slice of the mesh. Every object
   * then carries the shard label, and those in the gateway's namespace the shard in their name. Absent: unsharded.
   */
  shard?: string;
}

/** A Kubernetes object render produced; plain data, serialisable as YAML. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
