// Public API of tools.yaml support: parse, build, load and watch.
export { buildTool, buildTools } from './build.js';
export { loadToolsConfig, type WatchOptions, watchToolsConfig } from './load.js';
export { parseToolsConfig, type ToolsConfigOptions } from './parse.js';
export type { ParamSpec, ToolKind, ToolSpec } from './spec.js';
export { splitCommand } from './template.js';
