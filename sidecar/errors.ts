// The sidecar's errors and the one function that maps them to JSON-RPC codes.

/** JSON-RPC and MCP error codes the sidecar answers with. */
export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** MCP 2026-07-28: a header disagrees with the body (HTTP 400) */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the requested protocol revision is not served (HTTP 400) */
  UnsupportedProtocolVersion: -32022,
} as const;

/** A protocol-level failure: becomes a JSON-RPC error object, with the HTTP status it travels with. */
export class RpcError extends Error {
  override name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus = 200,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/**
 * A tool ran but could not do its job (app down, timeout, bad upstream answer). It becomes an isError result the
 * model can read and act on, not a protocol error.
 */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A tools.yaml problem: names the file, the path inside it and the fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${file}: ${path ? path + ': ' : ''}${problem}${fix ? ` (fix: ${fix})` : ''}`);
  }
}

/** Maps anything thrown while serving a request to a JSON-RPC error object; unknown errors never leak internals. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof SyntaxError) return new RpcError(RpcCode.ParseError, 'Parse error: body is not valid JSON', 400);
  return new RpcError(RpcCode.InternalError, 'Internal error', 500);
}

/** Every problem found in one tools.yaml, so a user fixes them in one pass. */
export class ConfigErrors extends Error {
  override name = 'ConfigErrors';
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}
