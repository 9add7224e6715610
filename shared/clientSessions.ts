// The session id a 2025-era client is handed at initialize by the aggregated /mcp (control/mcp/clientSession.ts)
// and by a bridge whose server speaks 2026-07-28 only (sidecar/bridge): `c1.<capabilities>.<32 hex>`. 2025-11-25
// declares a client's capabilities once, at initialize, and a 2026-07-28 server must be told them with every request
// (the `_meta` envelope); the id is where they travel from the one to the other, so nothing is stored and any replica
// reads them back. <capabilities> names the ones a server may ask for (elicitation, sampling, roots) by a letter
// each, in that order (`e`, `s`, `r`), or is `-` for none. The id is the client's own claim about itself: a forged
// one changes only what it says it can answer. Pure: the random part comes from the caller.

import { isObject, type Json } from './json.js';

/** The client capabilities a server may ask for (the bridge relays them), in the letters' order. */
export const CAPABILITY_NAMES = ['elicitation', 'sampling', 'roots'] as const;

/** The first letter of each name in CAPABILITY_NAMES (e, s, r), in that order. */
const LETTERS = CAPABILITY_NAMES.map((name) => name[0]!);
/** c1.<letters or ->.<32 hex>: version, capabilities (at least one letter, each at most once, in order), 128 bits. */
const SESSION = /^c1\.(-|(?=[esr])e?s?r?)\.[0-9a-f]{32}$/;
/** None of the capabilities. */
const NONE = '-';

/** True for a session id that claims to be one of the bridge's (its `c1.` prefix), well formed or not. */
export function claimsClientSession(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('c1.');
}

/**
 * A new session id for a client that declared `declared` at initialize (an initialize request's
 * `params.capabilities`); random is 16 bytes from a CSPRNG. A capability counts when it is declared as an object;
 * what is inside it (elicitation's modes, sampling's tools) is not carried.
 */
export function mintClientSession(declared: unknown, random: Uint8Array): string {
  if (random.length !== 16) throw new RangeError('a session id takes 16 random bytes');
  const caps = isObject(declared) ? declared : {};
  const letters = CAPABILITY_NAMES.map((name, i) => (isObject(caps[name]) ? LETTERS[i] : '')).join('');
  return `c1.${letters || NONE}.${Buffer.from(random).toString('hex')}`;
}

/**
 * The client capabilities a well-formed session id carries, as a 2026-07-28 envelope declares them
 * (`{ elicitation: {}, sampling: {} }`); undefined when v is not such an id.
 */
export function parseClientSession(v: unknown): Json | undefined {
  if (typeof v !== 'string') return undefined;
  const m = SESSION.exec(v);
  if (!m) return undefined;
  const out: Json = {};
  CAPABILITY_NAMES.forEach((name, i) => {
    if (m[1]!.includes(LETTERS[i]!)) out[name] = {};
  });
  return out;
}
