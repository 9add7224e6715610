// The parsed filter configuration (DESIGN.md contract 2, filter/config.schema.json) as plain classes: config.ts fills
// a fresh tree once in on_configure and each stream only reads it.

/** Why a configuration was refused. Ok is the only success. */
export enum ConfigError {
  Ok = 0,
  /** No bytes, or only whitespace. */
  Empty = 1,
  /** Longer than MAX_CONFIG_BYTES. */
  TooLarge = 2,
  /** Not JSON. */
  Syntax = 3,
  /** A string holds bytes that are not UTF-8, or an escape with no UTF-8 form (a lone surrogate). */
  BadUtf8 = 4,
  /** Containers nested deeper than MAX_CONFIG_DEPTH. */
  TooDeep = 5,
  /** A key the schema does not define. */
  UnknownKey = 6,
  /** The same key twice in one object. */
  DuplicateKey = 7,
  /** A required key is absent. */
  Missing = 8,
  /** A value of the wrong JSON type. */
  WrongType = 9,
  /** A number, length or count outside the schema's bounds. */
  OutOfRange = 10,
  /** A string outside its enum or pattern, or a version other than 1. */
  BadValue = 11,
  /** A value that clashes with another one (duplicate name, key not allowed in this mode). */
  Conflict = 12,
}

export enum Mode {
  Gateway = 0,
  Sidecar = 1,
}

export enum IdentityKind {
  Mtls = 0,
  Jwt = 1,
  ApiKey = 2,
}

export enum Effect {
  Allow = 0,
  Deny = 1,
}

export enum OnDeny {
  /** JSON-RPC -32602, as for a tool that does not exist. */
  UnknownTool = 0,
  /** HTTP 403 with an insufficient_scope challenge naming Rule.scope. */
  Forbidden = 1,
}

export enum AuditParams {
  Redact = 0,
  Hash = 1,
  Full = 2,
}

/** proxy_log levels (ABI 0.2.1 numbering), plus Off. */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
  Off = 6,
}

export class Service {
  name: string = '';
  namespace: string = '';
  host: string = '';
  port: i32 = 0;
  tools: string[] = [];
  /** The pods serve MCP themselves: tool names go to them without the `<name>__` prefix. */
  upstream: bool = false;
  /** Where the service's MCP endpoint is; the gateway sets :path to it. */
  path: string = '/mcp';
  /** An upstream that speaks 2026-07-28: older requests from the aggregated endpoint are sent to it in that revision. */
  stateless: bool = false;
  /**
   * Its pods' MCP port is a meshmcp sidecar in bridge mode: every request gets a pod affinity (x-meshmcp-affinity),
   * and a 2026-07-28 one goes as sent, for the bridge to relay the server's requests for input.
   */
  bridged: bool = false;
}

export class ApiKey {
  /** Lower-case hex. */
  sha256: string = '';
  principal: string = '';
  groups: string[] = [];
  /** May act for the caller it names in x-caller-principal / -groups (a tool pack fanning out for its caller). */
  delegate: bool = false;
}

/** One identity source; only the fields of its kind are meaningful. */
export class IdentitySource {
  kind: IdentityKind = IdentityKind.Mtls;
  /** mtls: required prefix of the URI SAN; empty accepts any. */
  sanPrefix: string = '';
  /** jwt: payload_in_metadata name under envoy.filters.http.jwt_authn. */
  metadataKey: string = '';
  principalClaim: string = 'sub';
  groupsClaims: string[] = ['groups'];
  scopeClaim: string = 'scope';
  /** apiKey: lower-case header name. */
  header: string = '';
  /** apiKey: also take the key from `Authorization: Bearer <key>` when the header is absent. */
  bearer: bool = false;
  keys: ApiKey[] = [];
}

export class Rule {
  /** Empty when the rule has no name. */
  name: string = '';
  effect: Effect = Effect.Allow;
  /** Empty list: the matcher is absent and matches anything. */
  principals: string[] = [];
  groups: string[] = [];
  tools: string[] = [];
  methods: string[] = [];
  onDeny: OnDeny = OnDeny.UnknownTool;
  scope: string = '';
}

export class Policy {
  defaultEffect: Effect = Effect.Deny;
  rules: Rule[] = [];
}

export class Bucket {
  /** Empty for perPrincipal; the tool glob for perTool entries. */
  tool: string = '';
  capacity: i32 = 0;
  refillPerSecond: f64 = 0;
}

export class RateLimits {
  /** null: no per-principal bucket. */
  perPrincipal: Bucket | null = null;
  perTool: Bucket[] = [];
}

export class Limits {
  maxBodyBytes: i32 = 1048576;
  maxDepth: i32 = 64;
}

export class Audit {
  params: AuditParams = AuditParams.Redact;
  logLevel: LogLevel = LogLevel.Info;
  /** Lower-case header naming who the caller acts for (audit on_behalf_of); empty: none. */
  onBehalfOfHeader: string = '';
}

export class Config {
  version: i32 = 1;
  mode: Mode = Mode.Gateway;
  /** Empty in sidecar mode. */
  control: string = '';
  services: Service[] = [];
  identity: IdentitySource[] = [];
  /** null in sidecar mode. */
  policy: Policy | null = null;
  /** null: no rate limits. */
  rateLimits: RateLimits | null = null;
  limits: Limits = new Limits();
  audit: Audit = new Audit();
  acceptedPeers: string[] = [];
  protectedResourceMetadata: string = '';
  /** Gateway mode: the MCP hosts (`mcp.example.com`, `*.example.com`, `*`), lower case; empty: absent, every host. */
  hosts: string[] = [];
}

/** parseConfig's answer: a fresh config, or null with the first problem. */
export class ConfigResult {
  config: Config | null = null;
  error: ConfigError = ConfigError.Ok;
  /** `<json path>: <what is wrong>`, e.g. `policy.rules[2].tools[0]: not a string`; empty on success. */
  message: string = '';
}
