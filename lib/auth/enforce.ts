import { defaultFieldResolver, responsePathAsArray, type GraphQLSchema } from 'graphql';
import { forbiddenField } from '../errors.ts';
import type { AccessPolicy } from './policy.ts';
import { describeRule, isAllowed, type Principal } from './principal.ts';

/** What a subgraph's resolvers need to enforce and audit access. */
export interface AccessContext {
  principal: Principal;
  /** Restricted fields this request has read, for the audit record. */
  touched: { coordinate: string; path: string[]; arguments: Record<string, unknown> }[];
}

/**
 * Defence in depth: a subgraph enforces the same directives as the gateway on every field it resolves,
 * so calling it directly never yields restricted data without the scope. The schema's own subgraph SDL
 * (`_service { sdl }`) names restricted fields, so it is served only to callers holding `hub:schema`.
 */
export function enforceAccess(schema: GraphQLSchema, policy: AccessPolicy): void {
  const rules = new Map(policy);
  rules.set('Query._service', { authenticated: true, scopes: [['hub:schema']] });
  for (const [coordinate, rule] of rules) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const type = schema.getType(typeName);
    if (!type || !('getFields' in type)) continue;
    const field = type.getFields()[fieldName];
    if (!field || !('resolve' in field)) continue;
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: AccessContext, info) => {
      if (!isAllowed(rule, context.principal)) {
        throw forbiddenField(coordinate, rule.scopes, describeRule(rule));
      }
      if (coordinate !== 'Query._service') {
        context.touched.push({ coordinate, path: responsePathAsArray(info.path).map(String), arguments: args });
      }
      return resolve(source, args, context, info);
    };
  }
}
