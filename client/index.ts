// `meshmcp/client`: the library a bot or any program uses to list and call the mesh's MCP tools.

export { type ChatOptions, runChatCommand } from './chat.js';
export { type ChatCommand, callUsage, coerce, mapArguments, parseChatCommand, splitWords, USAGE } from './chatParse.js';
export {
  type ChatServer,
  type ChatServerOptions,
  slackSignatureValid,
  startChatServer,
  zulipLine,
} from './chatServer.js';
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
