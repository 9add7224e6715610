// How the bridge tests' SDK v2 clients answer a server's requests for input, as a user and a model would: a name
// (or a colour, when the form asks for one) for an elicitation, "Paris" for a sampling, one root for roots/list.
import type { Client } from '@modelcontextprotocol/client';

export type Asked = 'elicitation' | 'sampling' | 'roots';

/** The first text of a tool result. */
export const textOf = (r: { content?: unknown }): string => (r.content as Array<{ text: string }>)[0]!.text;

/**
 * Sets the client's handlers for the kinds given (each must be a capability the client declared); each elicitation's
 * message is pushed to asked.
 */
export function answerAsAUser(
  client: Client,
  kinds: readonly Asked[] = ['elicitation', 'sampling', 'roots'],
  asked: string[] = [],
): Client {
  if (kinds.includes('elicitation')) {
    client.setRequestHandler('elicitation/create', async (r) => {
      asked.push((r.params as { message: string }).message);
      const schema = (r.params as { requestedSchema?: { properties?: object } }).requestedSchema;
      const content: Record<string, string> =
        'colour' in (schema?.properties ?? {}) ? { colour: 'teal' } : { name: 'Ada' };
      return { action: 'accept', content };
    });
  }
  if (kinds.includes('sampling')) {
    client.setRequestHandler('sampling/createMessage', async () => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: 'Paris' },
    }));
  }
  if (kinds.includes('roots')) {
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
  }
  return client;
}
