// The session id a 2025-era client is handed at initialize by the aggregated /mcp (control/mcp/clientSession.ts)
// and by a bridge whose server speaks 2026-07-28 only (sidecar/bridge): `c1.<capabilities>.<32 hex>`. 2025-11-25
// declares a client's capabilities once, at initialize, and a 2026-07-28 server must be told them with every request
// (the `_meta` envelope); the id is where they travel from the one to the other, so nothing is stored and any replica
// reads them back.
//
// <capabilities> names the ones a server may ask for by a letter each, in this order: `e` elicitation, `s` sampling,
// `r` roots; or is `-` for none. Each letter is followed by the letters of what the client declared inside it, in
// order: elicitation's modes `f` (form) and `u` (url), sampling's `c` (context) and `t` (tools), and `l` for roots'
// listChanged. So `c1.eus.…` is a client that takes URL-mode elicitations and plain sampling. Anything else inside a
// capability is not carried. The id is the client's own claim about itself: a forged one changes only what it says
// it can answer. Pure: the random part comes from the caller.

import { isObject, type Json } from './json.js';

/** The client capabilities a server may ask for (the bridge relays them), in the letters' order. */
export const CAPABILITY_NAMES = ['elicitation', 'sampling', 'roots'] as const;

type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** Each capability's letter, and the members inside it that are carried, with theirs (in order). */
const SPELLING: Record<CapabilityName, { letter: string; members: readonly (readonly [string, string])[] }> = {
  elicitation: {
    letter: 'e',
    members: [
      ['form', 'f'],
      ['url', 'u'],
    ],
  },
  sampling: {
    letter: 's',
    members: [
      ['context', 'c'],
      ['tools', 't'],
    ],
  },
  roots: { letter: 'r', members: [['listChanged', 'l']] },
};

/** c1.<capabilities or ->.<32 hex>: version, at least one capability (each at most once, in order), 128 bits. */
const SESSION = /^c1\.(-|(?=[esr])(?:ef?u?)?(?:sc?t?)?(?:rl?)?)\.[0-9a-f]{32}$/;
/** None of the capabilities. */
const NONE = '-';

/** True for a session id that claims to be one of the bridge's (its `c1.` prefix), well formed or not. */
export function claimsClientSession(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('c1.');
}

/** Whether a member inside a declared capability is declared: roots' listChanged is a boolean, the rest objects. */
function declares(capability: Json, member: string): boolean {
  return member === 'listChanged' ? capability[member] === true : isObject(capability[member]);
}

/**
 * A new session id for a client that declared `declared` at initialize (an initialize request's
 * `params.capabilities`); random is 16 bytes from a CSPRNG. A capability counts when it is declared as an object,
 * and so do the members inside it listed above.
 */
export function mintClientSession(declared: unknown, random: Uint8Array): string {
  if (random.length !== 16) throw new RangeError('a session id takes 16 random bytes');
  const caps = isObject(declared) ? declared : {};
  let spelled = '';
  for (const name of CAPABILITY_NAMES) {
    const cap = caps[name];
    if (!isObject(cap)) continue;
    spelled += SPELLING[name].letter;
    for (const [member, letter] of SPELLING[name].members) if (declares(cap, member)) spelled += letter;
  }
  return `c1.${spelled || NONE}.${Buffer.from(random).toString('hex')}`;
}

/**
 * The client capabilities a well-formed session id carries, as a 2026-07-28 envelope declares them
 * (`{ elicitation: { url: {} }, sampling: {} }`); undefined when v is not such an id.
 */
export function parseClientSession(v: unknown): Json | undefined {
  if (typeof v !== 'string') return undefined;
  const m = SESSION.exec(v);
  if (!m) return undefined;
  const spelled = m[1]!;
  const out: Json = {};
  for (const name of CAPABILITY_NAMES) {
    const { letter, members } = SPELLING[name];
    const at = spelled.indexOf(letter);
    if (at < 0) continue;
    const cap: Json = {};
    // The letters after this capability's own, up to the next capability's: the grammar keeps them in order.
    let i = at + 1;
    for (const [member, sub] of members) {
      if (spelled[i] === sub) {
        cap[member] = member === 'listChanged' ? true : {};
        i++;
      }
    }
    out[name] = cap;
  }
  return out;
}
