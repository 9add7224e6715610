// `meshmcp/client`: the library a bot or any program uses to list and call the mesh's MCP tools.
export {
  type CallResult,
  connectionError,
  type ListResult,
  MeshClient,
  type MeshClientOptions,
  type Protocol,
  serversFromEnv,
  type ToolInfo,
} from './meshClient.js';
