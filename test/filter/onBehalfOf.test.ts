// audit.onBehalfOfHeader: a chat bot names the user it acts for; the gateway's audit line records it as
// on_behalf_of beside the bot's own principal, and it grants nothing. Not text or too long: not recorded.
import { describe, expect, it } from 'vitest';
import { auditLines, example, gateway, header, post, rpc, toolsCall, withKey } from './harness.js';

function withHeader() {
  const config = example('gateway');
  config.audit = { ...config.audit, onBehalfOfHeader: 'x-chat-user' };
  return config;
}

describe('on behalf of', () => {
  it('records the named user beside the caller, and the caller’s own rights still decide', async () => {
    const p = await gateway(withHeader());
    post(p, rpc('tools/list', {}), { headers: { ...withKey().headers, 'x-chat-user': 'iago@zulip.example.com' } });
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'ci-bot', on_behalf_of: 'iago@zulip.example.com' });
    // ci-bot (sre-readonly) may not refund, whoever it says it acts for.
    const refused = post(p, toolsCall('payment-service__refund_payment'), {
      headers: { ...withKey().headers, 'x-chat-user': 'admin' },
    });
    expect(refused.forwarded).toBeUndefined();
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'ci-bot', on_behalf_of: 'admin', decision: 'deny' });
  });

  it('records nothing for a value that is not text or is over 256 bytes, or without the setting', async () => {
    const p = await gateway(withHeader());
    post(p, rpc('ping'), { headers: { ...withKey().headers, 'x-chat-user': 'x'.repeat(257) } });
    expect(auditLines(p).at(-1).on_behalf_of).toBeUndefined();
    const plain = await gateway();
    const r = post(plain, rpc('ping'), { headers: { ...withKey().headers, 'x-chat-user': 'iago' } });
    expect(auditLines(plain).at(-1).on_behalf_of).toBeUndefined();
    expect(header(r, 'x-chat-user')).toBe('iago');
  });

  it('refuses a configuration naming one of the filter’s own headers', async () => {
    const config = example('gateway');
    config.audit = { onBehalfOfHeader: 'x-meshmcp-principal' };
    const lines: string[] = [];
    await expect(gateway(config, { onLog: (l) => lines.push(l.message) })).rejects.toThrow(
      /Plugin configuration rejected/,
    );
    expect(lines).toContain(
      'meshmcp: configuration rejected: audit.onBehalfOfHeader: must be a lower-case header name, not x-meshmcp-*',
    );
  });
});
