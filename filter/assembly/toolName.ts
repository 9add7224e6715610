// Splits an MCP tool name `<service>__<tool>` (DESIGN.md contract 1) on its UTF-8 bytes, and accepts the
// dotted alias `<service>.<tool>` only in the one shape that cannot be read two ways.

/** Why a tool name was refused. */
export enum ToolNameError {
  Ok = 0,
  Empty = 1,
  /** Longer than 64 bytes (clients reject such names); for the dotted alias, its `__` form would be. */
  TooLong = 2,
  /** A byte outside [a-zA-Z0-9_-] (and '.' for the alias). */
  BadChar = 3,
  /** Neither `__` nor a dot. */
  NoSeparator = 4,
  /** The service part is not a Kubernetes name: 1-63 of [a-z0-9-], starting and ending alphanumeric. */
  BadService = 5,
  /** The tool part is empty. */
  BadTool = 6,
  /** More than one dot: the alias cannot be split with certainty. */
  Ambiguous = 7,
}

/** Where the parts lie, as byte offsets from the name's start. Reused across calls. */
export class ToolSplit {
  serviceStart: i32 = 0;
  serviceLen: i32 = 0;
  toolStart: i32 = 0;
  toolLen: i32 = 0;
  /** The name used the dotted alias; callers may want to report the canonical spelling. */
  dotted: bool = false;
  /** The parts as strings, filled by splitName only. */
  service: string = '';
  tool: string = '';

  reset(): void {
    this.serviceStart = 0;
    this.serviceLen = 0;
    this.toolStart = 0;
    this.toolLen = 0;
    this.dotted = false;
  }
}

export const MAX_TOOL_NAME: i32 = 64;
export const MAX_SERVICE_NAME: i32 = 63;

const UNDERSCORE: u32 = 0x5f;
const DOT: u32 = 0x2e;
const DASH: u32 = 0x2d;

// @ts-ignore: decorator
@inline
function isLowerAlnum(b: u32): bool {
  return b - 0x61 < 26 || b - 0x30 < 10;
}

// @ts-ignore: decorator
@inline
function isToolChar(b: u32): bool {
  return isLowerAlnum(b) || b - 0x41 < 26 || b == UNDERSCORE || b == DASH;
}

function validService(p: usize, n: i32): bool {
  if (n < 1 || n > MAX_SERVICE_NAME) return false;
  if (!isLowerAlnum(<u32>load<u8>(p)) || !isLowerAlnum(<u32>load<u8>(p + <usize>(n - 1)))) return false;
  for (let i = 1; i < n - 1; i++) {
    const b = <u32>load<u8>(p + <usize>i);
    if (!isLowerAlnum(b) && b != DASH) return false;
  }
  return true;
}

/**
 * Splits the len bytes at ptr. Kubernetes names never contain '_', so the first '_' must begin the `__` separator
 * and everything after it is the tool (which may itself contain `__`). A name with a dot is the dotted alias: one
 * dot, a service before it and a tool after it; neither part can contain a dot, so that reading is the only one.
 */
export function splitToolName(ptr: usize, len: i32, out: ToolSplit): ToolNameError {
  out.reset();
  if (len <= 0) return ToolNameError.Empty;
  if (len > MAX_TOOL_NAME) return ToolNameError.TooLong;
  let underscore: i32 = -1;
  let dot: i32 = -1;
  let dots: i32 = 0;
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(ptr + <usize>i);
    if (b == DOT) {
      if (dots++ == 0) dot = i;
      continue;
    }
    if (!isToolChar(b)) return ToolNameError.BadChar;
    if (b == UNDERSCORE && underscore < 0) underscore = i;
  }
  let serviceLen: i32;
  let toolStart: i32;
  if (dots > 0) {
    if (dots > 1) return ToolNameError.Ambiguous;
    if (len + 1 > MAX_TOOL_NAME) return ToolNameError.TooLong;
    serviceLen = dot;
    toolStart = dot + 1;
    out.dotted = true;
  } else {
    if (underscore < 0) return ToolNameError.NoSeparator;
    if (underscore + 1 >= len || <u32>load<u8>(ptr + <usize>(underscore + 1)) != UNDERSCORE) {
      return ToolNameError.BadService; // a single '_' can only belong to the service part
    }
    serviceLen = underscore;
    toolStart = underscore + 2;
  }
  if (!validService(ptr, serviceLen)) {
    out.dotted = false;
    return ToolNameError.BadService;
  }
  if (toolStart >= len) {
    out.dotted = false;
    return ToolNameError.BadTool;
  }
  out.serviceStart = 0;
  out.serviceLen = serviceLen;
  out.toolStart = toolStart;
  out.toolLen = len - toolStart;
  return ToolNameError.Ok;
}

/**
 * Splits a decoded name: true, with out.service and out.tool set, when it is `<service>__<tool>` (or the dotted
 * alias). The parts are cut from the string at the byte offsets: a name that splits is ASCII.
 */
export function splitName(raw: string, out: ToolSplit): bool {
  const name = String.UTF8.encode(raw);
  if (splitToolName(changetype<usize>(name), name.byteLength, out) !== ToolNameError.Ok) return false;
  out.service = raw.substring(out.serviceStart, out.serviceStart + out.serviceLen);
  out.tool = raw.substring(out.toolStart, out.toolStart + out.toolLen);
  return true;
}
