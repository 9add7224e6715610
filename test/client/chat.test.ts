// Chat lines answered through the gateway rig (the release filter, the control app, a real sidecar) by the library
// function any bot framework calls: tables for lists, usage and parameters for help, code blocks for results, long
// output truncated with a note, isError read as an error, a down server named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshClient, runChatCommand } from '../../client/index.js';
import { type GatewayRig, RIG_KEY, startGatewayRig } from '../support/gatewayRig.js';
import { closedUrl } from '../support/ports.js';

let rig: GatewayRig;
let client: MeshClient;

beforeAll(async () => {
  rig = await startGatewayRig(1000);
  client = new MeshClient({ url: rig.url, headers: { 'x-api-key': RIG_KEY }, timeoutMs: 5000 });
});

afterAll(async () => {
  await client?.close();
  await rig?.close();
});

describe('chat answers', () => {
  it('mcp list: a table per service', async () => {
    const answer = await runChatCommand(client, 'mcp list');
    expect(answer).toContain('**payment-service** (2 tools)');
    expect(answer).toContain('| tool | what |');
    expect(answer).toMatch(/\| `get_health` \| Checks this service's app/);
    expect(answer).toContain('**hanging-service** (1 tools)');
  });

  it('mcp help: the usage line and a parameter table', async () => {
    const answer = await runChatCommand(client, 'mcp help payment-service get_metrics');
    expect(answer).toContain('Usage: `mcp payment-service get_metrics [name] [match] [limit]`');
    expect(answer).toContain('| `limit` | integer | no | most rows to return (default 50) |');
  });

  it('a call: the output in a code block; positional and key=value arguments per the schema', async () => {
    const health = await runChatCommand(client, 'mcp payment-service get_health');
    expect(health).toMatch(/^\*\*payment-service get_health\*\*\n```\nHEALTHY/);
    const metrics = await runChatCommand(client, 'mcp payment-service get_metrics http_ limit=3');
    expect(metrics).toMatch(/^\*\*payment-service get_metrics\*\*\n```\n/);
  });

  it('long output is truncated with a note; a failing tool reads as an error; bad input gets usage', async () => {
    rig.appAnswerBytes = 200_000;
    const long = await runChatCommand(client, 'mcp payment-service get_health', { maxOutputChars: 500 });
    rig.appAnswerBytes = 0;
    expect(long).toMatch(/_\(truncated: \d+ more characters not shown\)_$/);
    const failed = await runChatCommand(client, 'mcp hanging-service get_health');
    expect(failed).toMatch(/^\*\*hanging-service get_health failed:\*\*\n```\nhanging-service is unavailable/);
    expect(await runChatCommand(client, 'mcp payment-service get_metrics limit=lots')).toBe(
      'limit must be an integer, not "lots". Usage: `mcp payment-service get_metrics [name] [match] [limit]`',
    );
    expect(await runChatCommand(client, 'mcp payment-service')).toBe('Usage: `mcp payment-service <tool> [args...]`');
    expect(await runChatCommand(client, 'mcp payment-service nope')).toBe(
      'payment-service has no tool nope; it has `get_health`, `get_metrics`. Try `mcp list`.',
    );
  });

  it('names a server that is down', async () => {
    const named = new MeshClient({ servers: { logs: `${await closedUrl()}/mcp` }, timeoutMs: 2000 });
    expect(await runChatCommand(named, 'mcp logs search error')).toMatch(/^\*\*logs\*\* is unavailable: /);
    await named.close();
  });
});
