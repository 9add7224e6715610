// The chat command language, pure: word splitting with quotes, the commands and their usage lines, and arguments
// mapped onto a tool's input schema (positional in property order, key=value, a JSON object), coerced per type.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callUsage, mapArguments, parseChatCommand, splitWords, USAGE } from '../../client/chatParse.js';

const KUBE_GET = {
  properties: {
    kind: { type: 'string', enum: ['pods', 'nodes', 'events'] },
    namespace: { type: 'string' },
    selector: { type: 'string' },
    limit: { type: 'integer' },
    previous: { type: 'boolean' },
  },
  required: ['kind'],
};

describe('splitting words', () => {
  it('groups quotes and honours backslashes, as a shell would, without running anything', () => {
    expect(splitWords(`get pods 'app=web, tier=front' "a \\"b\\"" c\\ d $(rm)`)).toEqual([
      'get',
      'pods',
      'app=web, tier=front',
      'a "b"',
      'c d',
      '$(rm)',
    ]);
    expect(splitWords(`x=''`)).toEqual(['x=']);
    expect(() => splitWords(`'open`)).toThrow(/unclosed ' quote/);
  });

  it('gives back any word list it is handed, quoted', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 6 }), (words) => {
        const line = words.map((w) => `'${w.replace(/'/g, `'"'"'`)}'`).join(' ');
        expect(splitWords(line)).toEqual(words);
      }),
    );
  });
});

describe('commands', () => {
  it('answers bad input with the usage lines', () => {
    expect(parseChatCommand('')).toEqual({ kind: 'usage', text: USAGE });
    expect(parseChatCommand('mcp')).toEqual({
      kind: 'usage',
      text: 'Usage: `mcp <server> <tool> [args...]` or `mcp list`',
    });
    expect(parseChatCommand('mcp kubernetes')).toEqual({
      kind: 'usage',
      text: 'Usage: `mcp kubernetes <tool> [args...]`',
    });
    expect(parseChatCommand('mcp help kubernetes').kind).toBe('usage');
  });

  it('reads list, help and calls, with or without a bot mention and the mcp word', () => {
    expect(parseChatCommand('@Ritsuko mcp list')).toEqual({ kind: 'list' });
    expect(parseChatCommand('mcp list prometheus')).toEqual({ kind: 'list', server: 'prometheus' });
    expect(parseChatCommand('mcp help kubernetes get')).toEqual({ kind: 'help', server: 'kubernetes', tool: 'get' });
    expect(parseChatCommand('mcp kubernetes get pods')).toEqual({
      kind: 'call',
      server: 'kubernetes',
      tool: 'get',
      words: ['pods'],
    });
    expect(parseChatCommand('prometheus query cpu_usage')).toMatchObject({ kind: 'call', words: ['cpu_usage'] });
  });
});

describe('arguments onto the schema', () => {
  it('maps positional words in property order: `mcp kubernetes get pods`', () => {
    expect(mapArguments('kubernetes', 'get', ['pods'], KUBE_GET)).toEqual({ kind: 'pods' });
    expect(mapArguments('kubernetes', 'get', ['pods', 'production', 'app=web'], KUBE_GET)).toEqual({
      kind: 'pods',
      namespace: 'production',
      selector: 'app=web',
    });
  });

  it('takes key=value and a JSON object, coercing per type, and fills positions around named ones', () => {
    expect(mapArguments('k', 'get', ['namespace=prod', 'pods', 'limit=5', 'previous=yes'], KUBE_GET)).toEqual({
      kind: 'pods',
      namespace: 'prod',
      limit: 5,
      previous: true,
    });
    expect(mapArguments('k', 'get', ['{"kind":"nodes","limit":2}'], KUBE_GET)).toEqual({ kind: 'nodes', limit: 2 });
  });

  it('refuses what the schema cannot take, naming the problem and the usage', () => {
    const usage = 'Usage: `mcp k get <kind> [namespace] [selector] [limit] [previous]`';
    expect(callUsage('k', 'get', KUBE_GET)).toBe(usage);
    expect(() => mapArguments('k', 'get', [], KUBE_GET)).toThrow(`missing kind. ${usage}`);
    expect(() => mapArguments('k', 'get', ['pods', 'limit=many'], KUBE_GET)).toThrow(
      `limit must be an integer, not "many". ${usage}`,
    );
    expect(() => mapArguments('k', 'get', ['secrets'], KUBE_GET)).toThrow(
      /kind must be one of "pods", "nodes", "events"/,
    );
    expect(() => mapArguments('k', 'get', ['pods', 'a', 'b', '1', 'true', 'extra'], KUBE_GET)).toThrow(
      /too many arguments: "extra" has no parameter left to fill/,
    );
    expect(() => mapArguments('k', 'get', ['{nope'], KUBE_GET)).toThrow(/must be JSON here/);
  });
});
