// Connects the real MCP SDK client to an endpoint for `meshmcp list` and `meshmcp call`.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { namedPairs, type OptionSpec, UsageError } from '../shared/options.js';
import { VERSION } from '../shared/version.js';
import { isHandshakeVersion } from '../sidecar/mcp/versions.js';

export const CLIENT_OPTIONS: OptionSpec[] = [
  {
    flag: 'url',
    env: 'MESHMCP_URL',
    type: 'string',
    default: 'http://127.0.0.1:3000/mcp',
    description: 'MCP endpoint (a sidecar, the control service or the gateway)',
  },
  {
    flag: 'protocol',
    type: 'string',
    default: 'auto',
    description:
      'auto (probe server/discover, fall back to initialize), 2025-11-25 (initialize handshake) or 2026-07-28',
  },
  {
    flag: 'header',
    type: 'string',
    description: 'extra request header "Name: value" (e.g. "Authorization: Bearer $TOKEN")',
  },
  { flag: 'json', type: 'boolean', default: false, description: 'print the raw JSON result' },
];

export async function connect(values: Record<string, unknown>): Promise<Client> {
  let url: URL;
  try {
    url = new URL(String(values['url']));
  } catch {
    throw new UsageError(`--url ${JSON.stringify(values['url'])} is not a URL`);
  }
  const protocol = String(values['protocol']);
  // The SDK calls the initialize-handshake revisions (2025-11-25 and before) its 'legacy' mode.
  const mode =
    protocol === 'auto'
      ? protocol
      : isHandshakeVersion(protocol)
        ? 'legacy'
        : /^\d{4}-\d{2}-\d{2}$/.test(protocol)
          ? { pin: protocol }
          : undefined;
  if (mode === undefined)
    throw new UsageError(`--protocol ${protocol} is not auto or a revision date (2025-11-25, 2026-07-28)`);
  const h = values['header'];
  const headers = namedPairs(typeof h === 'string' ? [h] : [], ':', '--header');
  const client = new Client({ name: 'meshmcp-cli', version: VERSION }, { versionNegotiation: { mode } });
  try {
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  } catch (err) {
    throw new Error(`cannot connect to ${url.href}: ${(err as Error).message}`);
  }
  return client;
}
