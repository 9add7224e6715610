// Chat platforms' requests as they send them, for the `meshmcp chatops` tests: Zulip's documented outgoing-webhook
// JSON for a message mentioning the bot, and Slack's slash-command form, signed with HMAC-SHA256 over
// `v0:<timestamp>:<body>`.
import { createHmac } from 'node:crypto';

/** Zulip's outgoing-webhook payload for a stream message `@**Ritsuko** <content>` from `sender`. */
export function zulipPayload(content: string, token: string, sender = 'iago@zulip.example.com') {
  const text = `@**Ritsuko** ${content}`;
  return {
    bot_email: 'ritsuko-bot@zulip.example.com',
    bot_full_name: 'Ritsuko',
    data: text,
    message: {
      avatar_url: 'https://zulip.example.com/avatar/5',
      client: 'website',
      content: text,
      display_recipient: 'ops',
      id: 112,
      is_me_message: false,
      reactions: [],
      recipient_id: 20,
      rendered_content: `<p>${text}</p>`,
      sender_email: sender,
      sender_full_name: 'Iago',
      sender_id: 5,
      sender_realm_str: 'zulip',
      subject: 'payments',
      submessages: [],
      timestamp: 1527876931,
      topic_links: [],
      type: 'stream',
    },
    token,
    trigger: 'mention',
  };
}

/** A Slack slash command `/mcp <text>`: its form body and the headers Slack signs it with. */
export function slackRequest(
  text: string,
  secret: string,
  timestamp: number,
  responseUrl = 'https://hooks.slack.com/commands/1234/5678',
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    team_domain: 'example',
    channel_id: 'C2147483705',
    channel_name: 'ops',
    user_id: 'U2147483697',
    user_name: 'steve',
    command: '/mcp',
    text,
    response_url: responseUrl,
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
  const ts = String(timestamp);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    },
  };
}
