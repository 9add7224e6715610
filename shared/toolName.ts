// Contract 1 (docs/DESIGN.md): the pattern every MCP tool name must match, because Claude Desktop rejects the whole
// tools/list otherwise. One rule for the sidecar's own tool names, the catalog's `<service>__<tool>` names, services
// file snapshots, and the server names `meshmcp connect` writes into client configurations. Imports nothing: the
// sidecar bundle uses it.

/** The longest name a client accepts. */
export const MAX_TOOL_NAME = 64;

/** 1-64 of A-Z, a-z, 0-9, `_` and `-`. */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
