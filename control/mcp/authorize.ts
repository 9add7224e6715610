// authorize(identity, method, tool) over the gateway policy: a line-for-line port of filter/assembly/policy.ts and
// glob.ts, so the control service filters tools/list with exactly the rules the filter applies to tools/call.

import type { GatewayPolicy, PolicyRule } from '../types.js';

/** Who is calling, as the gateway filter identified them. */
export interface Identity {
  principal: string;
  groups: readonly string[];
  /** OAuth scopes from the token; the gateway does not forward them, so the control service passes []. */
  scopes: readonly string[];
  /** A delegate key acting for this caller: the key's own identity, which bounds what the caller sees through it. */
  via?: Identity;
}

/** authorize's answer; `rule` is -1 when no rule matched and the policy default decided. */
export interface Decision {
  allowed: boolean;
  rule: number;
  ruleName: string;
  onDeny: 'unknownTool' | 'forbidden';
  scope: string;
}

/** Whether value matches pattern; `*` matches any run (including none) and is the only special character. */
export function globMatch(pattern: string, value: string): boolean {
  const pn = pattern.length;
  const vn = value.length;
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  // One backtrack point (the last star) keeps this linear in practice, as in the filter.
  while (v < vn) {
    if (p < pn) {
      const c = pattern.charCodeAt(p);
      if (c === 0x2a) {
        star = p++;
        mark = v;
        continue;
      }
      if (c === value.charCodeAt(v)) {
        p++;
        v++;
        continue;
      }
    }
    if (star < 0) return false;
    p = star + 1;
    v = ++mark;
  }
  while (p < pn && pattern.charCodeAt(p) === 0x2a) p++;
  return p === pn;
}

/** An absent or empty matcher matches anything (the filter stores an absent list as empty). */
function anyGlob(patterns: readonly string[] | undefined, value: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  for (const p of patterns) if (globMatch(p, value)) return true;
  return false;
}

/** A method pattern: `tools/call` matches only itself; `resources/*` matches every method under `resources/`. */
export function methodMatch(pattern: string, method: string): boolean {
  const n = pattern.length;
  if (n >= 2 && pattern.endsWith('/*')) {
    return method.length >= n && method.startsWith(pattern.substring(0, n - 1));
  }
  return pattern === method;
}

function anyGroup(patterns: readonly string[] | undefined, groups: readonly string[]): boolean {
  if (!patterns || patterns.length === 0) return true;
  for (const p of patterns) for (const g of groups) if (globMatch(p, g)) return true;
  return false;
}

function anyMethod(patterns: readonly string[] | undefined, method: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  for (const p of patterns) if (methodMatch(p, method)) return true;
  return false;
}

/** Whether the caller holds every scope the rule names (space-separated). */
function holdsScope(rule: PolicyRule, scopes: readonly string[]): boolean {
  if (!rule.scope || scopes.length === 0) return false;
  for (const wanted of rule.scope.split(' ')) if (!scopes.includes(wanted)) return false;
  return true;
}

/** Whether the rule names this tool (the full `<service>__<tool>`; '' for other methods) and method. */
export function ruleNames(rule: PolicyRule, method: string, tool: string): boolean {
  if (rule.tools && rule.tools.length > 0 && (tool.length === 0 || !anyGlob(rule.tools, tool))) return false;
  return anyMethod(rule.methods, method);
}

/** Whether the rule applies to this caller and method, whatever the tool. */
export function ruleAppliesTo(rule: PolicyRule, id: Identity, method: string): boolean {
  if (!anyMethod(rule.methods, method)) return false;
  if (!anyGlob(rule.principals, id.principal)) return false;
  if (!anyGroup(rule.groups, id.groups)) return false;
  // A deny that asks for a scope steps aside for a caller whose token already carries it.
  if (rule.effect === 'deny' && holdsScope(rule, id.scopes)) return false;
  return true;
}

/** Whether the rule applies to this request; tool is the full `<service>__<tool>`, '' for other methods. */
export function ruleMatches(rule: PolicyRule, id: Identity, method: string, tool: string): boolean {
  return ruleNames(rule, method, tool) && ruleAppliesTo(rule, id, method);
}

/** First matching rule wins; no match falls to the policy default (deny when absent, as render writes it). */
export function authorize(policy: GatewayPolicy['policy'], id: Identity, method: string, tool: string): Decision {
  const rules = policy.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!ruleMatches(rule, id, method, tool)) continue;
    return {
      allowed: rule.effect === 'allow',
      rule: i,
      ruleName: rule.name ?? '',
      onDeny: rule.onDeny ?? 'unknownTool',
      scope: rule.scope ?? '',
    };
  }
  return { allowed: (policy.default ?? 'deny') === 'allow', rule: -1, ruleName: '', onDeny: 'unknownTool', scope: '' };
}

/**
 * Whether a list shows an item to this identity: the call it names would be allowed, or refused by a `forbidden` rule
 * (which exists to tell the caller what unlocks it). Through a delegate key, the key itself must be allowed too, as
 * the filter holds its calls to both.
 */
export function listable(policy: GatewayPolicy['policy'], id: Identity, method: string, name: string): boolean {
  if (id.via !== undefined && !authorize(policy, id.via, method, name).allowed) return false;
  const d = authorize(policy, id, method, name);
  return d.allowed || d.onDeny === 'forbidden';
}
