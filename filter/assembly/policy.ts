// Authorization as one pure function (DESIGN.md conventions): authorize(identity, method, tool) over the ordered
// policy rules, first match wins. The control service applies the same rules to filter tools/list.

import { anyGlob, globMatch, methodMatch } from './glob';
import { Effect, OnDeny, Policy, Rule } from './configTypes';

/** Who is calling, as the identity sources found them. */
export class Identity {
  principal: string = '';
  groups: string[] = [];
  /** OAuth scopes from the JWT scope claim; empty for mTLS and API keys. */
  scopes: string[] = [];
  /** mtls, jwt or apiKey. */
  source: string = '';
  /** Named by an API key marked delegate, which may act for the caller it names in x-caller-principal. */
  delegate: bool = false;
}

/** authorize's answer; `rule` is -1 when no rule matched and the policy default decided. */
export class Decision {
  allowed: bool = false;
  rule: i32 = -1;
  ruleName: string = '';
  onDeny: OnDeny = OnDeny.UnknownTool;
  scope: string = '';
}

function anyGroup(patterns: string[], groups: string[]): bool {
  if (patterns.length === 0) return true;
  for (let i = 0; i < patterns.length; i++) {
    for (let j = 0; j < groups.length; j++) if (globMatch(patterns[i], groups[j])) return true;
  }
  return false;
}

function anyMethod(patterns: string[], method: string): bool {
  if (patterns.length === 0) return true;
  for (let i = 0; i < patterns.length; i++) if (methodMatch(patterns[i], method)) return true;
  return false;
}

/** Whether the caller holds every scope the rule names (space-separated). */
function holdsScope(rule: Rule, scopes: string[]): bool {
  if (rule.scope.length === 0 || scopes.length === 0) return false;
  const wanted = rule.scope.split(' ');
  for (let i = 0; i < wanted.length; i++) {
    if (!scopes.includes(wanted[i])) return false;
  }
  return true;
}

/** Whether the rule applies to this request. tool is the full `<service>__<tool>`, empty for other methods. */
export function ruleMatches(rule: Rule, id: Identity, method: string, tool: string): bool {
  if (rule.tools.length > 0 && (tool.length === 0 || !anyGlob(rule.tools, tool))) return false;
  if (!anyMethod(rule.methods, method)) return false;
  if (!anyGlob(rule.principals, id.principal)) return false;
  if (!anyGroup(rule.groups, id.groups)) return false;
  // A deny that asks for a scope steps aside for a caller whose token already carries it.
  if (rule.effect === Effect.Deny && holdsScope(rule, id.scopes)) return false;
  return true;
}

/** First matching rule wins; no match falls to the policy default (which never asks for a scope). */
export function authorize(policy: Policy, id: Identity, method: string, tool: string, out: Decision): Decision {
  const rules = policy.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!ruleMatches(rule, id, method, tool)) continue;
    out.allowed = rule.effect === Effect.Allow;
    out.rule = i;
    out.ruleName = rule.name;
    out.onDeny = rule.onDeny;
    out.scope = rule.scope;
    return out;
  }
  out.allowed = policy.defaultEffect === Effect.Allow;
  out.rule = -1;
  out.ruleName = '';
  out.onDeny = OnDeny.UnknownTool;
  out.scope = '';
  return out;
}
