// What the gateway policy decides beyond one caller and one name, for the caching hints of the lists: whether a
// caller could be shown any name a server could list (every name under its prefix, `<route>__` or
// `meshmcp://<route>/`, today's and tomorrow's), and whether every caller is shown a name, or may make a list
// request, alike. Both read only the rules' literal prefixes, so each errs on its safe side: mayList towards yes
// (a server's hints then count), alike towards no (the list is then private). Pure.
import type { GatewayPolicy, PolicyRule } from '../types.js';
import { type Identity, ruleAppliesTo, ruleNames } from './authorize.js';

type Policy = GatewayPolicy['policy'];

const onlyStars = (s: string) => /^\*+$/.test(s);

/** Whether glob matches every name that starts with prefix: a literal start of the prefix, then only stars. */
function covers(glob: string, prefix: string): boolean {
  const star = glob.indexOf('*');
  return star >= 0 && onlyStars(glob.slice(star)) && prefix.startsWith(glob.slice(0, star));
}

/** Whether glob matches some name that starts with prefix: its literal start and the prefix agree. */
function reaches(glob: string, prefix: string): boolean {
  const star = glob.indexOf('*');
  if (star < 0) return glob.startsWith(prefix);
  const literal = glob.slice(0, star);
  return literal.startsWith(prefix) || prefix.startsWith(literal);
}

/**
 * Whether some name under prefix could pass for this identity, a rule passing by `passes` and the default by
 * allowing: rules are read in order, and one that covers every name under the prefix decides the rest.
 */
function mayPass(policy: Policy, id: Identity, method: string, prefix: string, passes: (r: PolicyRule) => boolean) {
  for (const rule of policy.rules) {
    if (!ruleAppliesTo(rule, id, method)) continue;
    const tools = rule.tools ?? [];
    if (tools.length === 0 || tools.some((g) => covers(g, prefix))) return passes(rule);
    if (passes(rule) && tools.some((g) => reaches(g, prefix))) return true;
  }
  return (policy.default ?? 'deny') === 'allow';
}

const shown = (r: PolicyRule) => r.effect === 'allow' || r.onDeny === 'forbidden';
const allowed = (r: PolicyRule) => r.effect === 'allow';

/**
 * Whether this identity could be listed some name under prefix for a call method (authorize.ts `listable`: shown,
 * and through a delegate key also allowed to the key). False only when no such name can ever be listed to it.
 */
export function mayList(policy: Policy, id: Identity, method: string, prefix: string): boolean {
  if (!mayPass(policy, id, method, prefix, shown)) return false;
  return id.via === undefined || mayPass(policy, id.via, method, prefix, allowed);
}

/** Whether a rule applies alike to every caller: any principal, no group condition, no scope a caller could hold. */
const everyCaller = (r: PolicyRule) =>
  (r.principals === undefined || r.principals.length === 0 || r.principals.some(onlyStars)) &&
  (r.groups === undefined || r.groups.length === 0) &&
  !(r.effect === 'deny' && r.scope);

/** The rule deciding this method and name for every caller alike, 'default', or undefined when callers may differ. */
function decidedAlike(policy: Policy, method: string, name: string): PolicyRule | 'default' | undefined {
  for (const rule of policy.rules) {
    if (!ruleNames(rule, method, name)) continue;
    return everyCaller(rule) ? rule : undefined;
  }
  return 'default';
}

/**
 * Whether every caller is shown this name alike. A `forbidden` deny shows it to a caller but not through a delegate
 * key (the key must be allowed), so it differs.
 */
export function listedAlike(policy: Policy, call: string, name: string): boolean {
  const d = decidedAlike(policy, call, name);
  return d === 'default' || (d !== undefined && !(d.effect === 'deny' && d.onDeny === 'forbidden'));
}

/** Whether the gateway decides a list request (`tools/list`, …) alike for every caller. */
export function askedAlike(policy: Policy, list: string): boolean {
  return decidedAlike(policy, list, '') !== undefined;
}
