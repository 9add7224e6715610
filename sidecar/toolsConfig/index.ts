// Public API of tools.yaml support: parse, build, load and watch, and closing the database pools on shutdown.
export { buildTool, buildTools } from './build.js';
export { splitCommand } from './common/template.js';
export { closeDatabasePools } from './database/execute.js';
export { loadToolsConfig, type WatchOptions, watchToolsConfig } from './load.js';
export { parseToolsConfig, type ToolsConfigOptions } from './parse.js';
export type { ParamSpec, ToolKind, ToolSpec } from './spec.js';
