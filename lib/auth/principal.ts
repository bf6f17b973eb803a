/** Who is calling, as established from a verified token (or its absence). */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; subject: string; client: string | null; scopes: ReadonlySet<string>; tokenId: string | null };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/**
 * An access rule read from Federation's directives: `@authenticated` and/or `@requiresScopes(scopes:)`,
 * whose scopes are a disjunction of conjunctions: [["a", "b"], ["c"]] means (a AND b) OR c.
 */
export interface AccessRule {
  authenticated: boolean;
  scopes: string[][] | null;
}

export function isAllowed(rule: AccessRule, principal: Principal): boolean {
  if (principal.kind === 'anonymous') return !rule.authenticated && !rule.scopes;
  if (!rule.scopes) return true;
  return rule.scopes.some((all) => all.every((scope) => principal.scopes.has(scope)));
}

/** A readable statement of what the rule asks for, for FORBIDDEN messages. */
export function describeRule(rule: AccessRule): string {
  if (!rule.scopes) return 'an authenticated caller';
  return rule.scopes.map((all) => all.map((scope) => `"${scope}"`).join(' and ')).join(' or ') + (rule.scopes.length > 1 ? '' : '');
}

export function scopesOf(principal: Principal): string[] {
  return principal.kind === 'user' ? [...principal.scopes].sort() : [];
}
