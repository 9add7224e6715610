// The chat command language, pure: `mcp list`, `mcp <server> <tool> [args...]`, `mcp help <server> <tool>`. Words are
// split as a shell would (quotes group, backslash escapes) without running anything; the arguments of a call map onto
// the tool's input schema: positional in property order, `key=value`, or one JSON object, coerced per the schema.

export type ChatCommand =
  | { kind: 'usage'; text: string }
  | { kind: 'list'; server?: string }
  | { kind: 'help'; server: string; tool: string }
  | { kind: 'call'; server: string; tool: string; words: string[] };

/** The usage lines a bad command gets. */
export const USAGE = 'Usage: `mcp <server> <tool> [args...]` or `mcp list`';
export const serverUsage = (server: string) => `Usage: \`mcp ${server} <tool> [args...]\``;

/** Splits a command line into words: spaces separate, '…' and "…" group, \\ escapes the next character. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** What a chat line asks for; the leading `mcp` (and a bot mention before it) are optional. */
export function parseChatCommand(line: string): ChatCommand {
  let words: string[];
  try {
    words = splitWords(line.trim());
  } catch (err) {
    return { kind: 'usage', text: `${(err as Error).message}. ${USAGE}` };
  }
  if (words[0]?.startsWith('@')) words.shift();
  if (words[0] === 'mcp') words.shift();
  const [first, second, third] = words;
  if (first === undefined) return { kind: 'usage', text: USAGE };
  if (first === 'list') return words.length > 1 ? { kind: 'list', server: second! } : { kind: 'list' };
  if (first === 'help') {
    if (second === undefined || third === undefined)
      return { kind: 'usage', text: 'Usage: `mcp help <server> <tool>`' };
    return { kind: 'help', server: second, tool: third };
  }
  if (second === undefined) return { kind: 'usage', text: serverUsage(first) };
  return { kind: 'call', server: first, tool: second, words: words.slice(2) };
}

export interface SchemaProperty {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
}

export interface InputSchema {
  properties?: Record<string, SchemaProperty>;
  required?: string[];
}

/** `mcp <server> <tool> <required> [optional]` from the schema's properties in order. */
export function callUsage(server: string, tool: string, schema: InputSchema): string {
  const required = new Set(schema.required ?? []);
  const params = Object.keys(schema.properties ?? {}).map((p) => (required.has(p) ? `<${p}>` : `[${p}]`));
  return `Usage: \`${['mcp', server, tool, ...params].join(' ')}\``;
}

function typesOf(p: SchemaProperty | undefined): string[] {
  if (!p?.type) return [];
  return Array.isArray(p.type) ? p.type : [p.type];
}

/** One word as the value of a property, by its schema type; throws with what is wrong. */
export function coerce(name: string, word: string, p: SchemaProperty | undefined): unknown {
  const types = typesOf(p);
  const is = (t: string) => types.includes(t);
  let value: unknown = word;
  if (is('integer') || is('number')) {
    const n = Number(word);
    if (word.trim() !== '' && Number.isFinite(n) && (!is('integer') || Number.isInteger(n) || is('number'))) value = n;
    else if (!is('string'))
      throw new Error(`${name} must be ${is('integer') ? 'an integer' : 'a number'}, not ${JSON.stringify(word)}`);
  } else if (is('boolean')) {
    const b = /^(true|yes|on|1)$/i.test(word) ? true : /^(false|no|off|0)$/i.test(word) ? false : undefined;
    if (b === undefined && !is('string')) throw new Error(`${name} must be true or false, not ${JSON.stringify(word)}`);
    value = b ?? word;
  } else if (is('array')) {
    value = word.trim().startsWith('[')
      ? parseJson(name, word)
      : word
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  } else if (is('object')) {
    value = parseJson(name, word);
  }
  if (p?.enum && !p.enum.includes(value)) {
    throw new Error(
      `${name} must be one of ${p.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${JSON.stringify(word)}`,
    );
  }
  return value;
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${name} must be JSON here, and ${JSON.stringify(text)} is not`);
  }
}

/**
 * The arguments of a call from its words: positional in property order, `key=value` for any property, or one JSON
 * object (merged first); values coerced per the schema. Throws with the problem and the usage line.
 */
export function mapArguments(
  server: string,
  tool: string,
  words: string[],
  schema: InputSchema,
): Record<string, unknown> {
  const props = schema.properties ?? {};
  const order = Object.keys(props);
  const args: Record<string, unknown> = {};
  const usage = callUsage(server, tool, schema);
  const fail = (what: string): never => {
    throw new Error(`${what}. ${usage}`);
  };
  let position = 0;
  for (const word of words) {
    if (word.trim().startsWith('{')) {
      const obj = parseJson('the arguments', word);
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) fail('the JSON arguments must be an object');
      Object.assign(args, obj);
      continue;
    }
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : undefined;
    if (key !== undefined && /^[A-Za-z_][\w.-]*$/.test(key) && (key in props || order.length === 0)) {
      args[key] = coerceOrFail(key, word.slice(eq + 1), props[key], fail);
      continue;
    }
    while (position < order.length && order[position]! in args) position++;
    const name = order[position];
    if (name === undefined) fail(`too many arguments: ${JSON.stringify(word)} has no parameter left to fill`);
    args[name!] = coerceOrFail(name!, word, props[name!], fail);
    position++;
  }
  const missing = (schema.required ?? []).filter((r) => !(r in args));
  if (missing.length > 0) fail(`missing ${missing.join(', ')}`);
  return args;
}

function coerceOrFail(name: string, word: string, p: SchemaProperty | undefined, fail: (w: string) => never): unknown {
  try {
    return coerce(name, word, p);
  } catch (err) {
    return fail((err as Error).message);
  }
}
