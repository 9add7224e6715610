// `meshmcp chatops`: the chat surfaces as an HTTP endpoint a chat platform calls: POST /zulip (Zulip's outgoing
// webhook) and POST /slack (a Slack slash command), answering `mcp list`, `mcp <server> <tool> [args...]` and
// `mcp help <server> <tool>` through the gateway (or named MCP servers) as the bot's own principal.
import { startChatServer } from '../client/chatServer.js';
import type { Protocol } from '../client/meshClient.js';
import { helpText, namedPairs, type OptionSpec, runCommand, UsageError } from '../shared/options.js';

const OPTIONS: OptionSpec[] = [
  { flag: 'url', env: 'MESHMCP_URL', type: 'string', description: "the gateway's MCP endpoint" },
  {
    flag: 'server',
    type: 'string',
    multiple: true,
    description: 'a named MCP server, name=url (repeat for more); MCP_<NAME>_URL variables add more',
  },
  {
    flag: 'header',
    type: 'string',
    multiple: true,
    description: 'a request header for every call, "Name: value" (repeat for more), e.g. "x-api-key: $BOT_KEY"',
  },
  {
    flag: 'zulip-token',
    env: 'MESHMCP_ZULIP_TOKEN',
    type: 'string',
    description: "the Zulip bot's outgoing-webhook token; serves POST /zulip",
  },
  {
    flag: 'slack-signing-secret',
    env: 'MESHMCP_SLACK_SIGNING_SECRET',
    type: 'string',
    description: "the Slack app's signing secret; serves POST /slack",
  },
  {
    flag: 'user-header',
    type: 'string',
    default: 'x-chat-user',
    description: 'the header that names the chat user to the gateway',
  },
  { flag: 'protocol', type: 'string', default: 'auto', description: 'auto, 2025-11-25 or 2026-07-28' },
  { flag: 'timeout', type: 'number', default: 30, description: 'seconds one tool call may take' },
  { flag: 'max-output', type: 'number', default: 3000, description: 'longest tool output in an answer (characters)' },
  { flag: 'host', type: 'string', default: '127.0.0.1', description: 'address to listen on' },
  { flag: 'port', env: 'PORT', type: 'number', default: 8090, description: 'port to listen on (0: any free port)' },
];

const HELP = helpText(
  'meshmcp chatops (--url <gateway> | --server name=url ...) (--zulip-token T | --slack-signing-secret S)',
  'Answers chat commands (mcp list, mcp <server> <tool> [args...], mcp help <server> <tool>) for Zulip (POST /zulip)\n' +
    'and Slack (POST /slack), through the gateway as the bot, naming the chat user in --user-header.',
  OPTIONS,
);

export function main(argv: string[]): Promise<number> {
  return runCommand('chatops', OPTIONS, HELP, argv, async (values) => {
    const { serversFromEnv } = await import('../client/meshClient.js');
    const servers = {
      ...serversFromEnv(),
      ...namedPairs((values['server'] as string[] | undefined) ?? [], '=', '--server'),
    };
    const url = values['url'] as string | undefined;
    if (!url && Object.keys(servers).length === 0) {
      throw new UsageError(
        'say where the tools are: --url <gateway MCP endpoint> (or MESHMCP_URL), or --server name=url',
      );
    }
    const zulipToken = values['zulip-token'] as string | undefined;
    const slackSigningSecret = values['slack-signing-secret'] as string | undefined;
    if (!zulipToken && !slackSigningSecret) {
      throw new UsageError('serve at least one chat: --zulip-token (MESHMCP_ZULIP_TOKEN) or --slack-signing-secret');
    }
    const protocol = String(values['protocol']);
    if (!['auto', '2025-11-25', '2026-07-28'].includes(protocol)) {
      throw new UsageError(`--protocol ${protocol} is not auto, 2025-11-25 or 2026-07-28`);
    }
    const chat = await startChatServer({
      client: {
        ...(url ? { url } : {}),
        servers,
        headers: namedPairs((values['header'] as string[] | undefined) ?? [], ':', '--header'),
        protocol: protocol as Protocol,
        timeoutMs: Number(values['timeout']) * 1000,
      },
      ...(zulipToken ? { zulipToken } : {}),
      ...(slackSigningSecret ? { slackSigningSecret } : {}),
      userHeader: String(values['user-header']),
      host: String(values['host']),
      port: Number(values['port']),
      maxOutputChars: Number(values['max-output']),
      log: (line) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`),
    });
    const served = [zulipToken ? 'POST /zulip' : '', slackSigningSecret ? 'POST /slack' : ''].filter(Boolean);
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'listening', url: chat.url, serves: served })}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await chat.close();
    return 0;
  });
}
