import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { buildASTSchema, execute, GraphQLError, parse, print, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { ApolloGateway } from '@apollo/gateway';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewayLoadResult,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import { readAccessPolicy, type AccessPolicy } from '../../lib/auth/policy.ts';
import { describeRule, scopesOf, type Principal } from '../../lib/auth/principal.ts';
import { visibleSchema } from '../../lib/auth/visible-schema.ts';
import type { AuditEntry } from '../../lib/audit.ts';
import { forbiddenField, operationNotSelected } from '../../lib/errors.ts';
import { filterOperation, removePlaceholderAt, setNullAt, type FilteredOperation } from './filterOperation.ts';
import type { AnswerTicket } from '../cache/AnswerCache.ts';

export type AccessMode = 'filter' | 'reject';

export interface AccessControlOptions {
  /** The supergraph SDL: its `@requiresScopes` / `@authenticated` are the rules. */
  supergraphSdl: string;
  /**
   * `filter`: unauthorized fields are removed before planning; the response has `null` there and one
   * FORBIDDEN error per removed field. `reject`: any unauthorized field fails the whole operation.
   * @default filter
   */
  mode?: AccessMode;
  /** Writes the audit record of a restricted read; if it throws, the read does not happen. */
  audit: (entry: AuditEntry) => Promise<void>;
}

/** The context the gateway's Apollo Server builds per request. */
export interface GatewayContext {
  principal: Principal;
  authorization?: string;
  /** The request's id (see lib/http/requestId.ts), forwarded to every subgraph it reaches. */
  requestId: string;
  /** Who is asking, for budgets: `token:<subject>` or `address:<ip>` (the socket's peer, or a trusted proxy's client). */
  client?: string;
  /** The operation's estimated cost, once priced (lib/cost/costLimit.ts). */
  cost?: number;
  /** The key its price is remembered under, computed from the POST body before Apollo (gateway/expensiveGate.ts). */
  priceKey?: string;
  /** What the answer cache needs to keep this anonymous answer (gateway/cache/AnswerCache.ts). */
  answer?: AnswerTicket;
}

/**
 * Rewritten operations kept (per query text, operation name and scope set), bounded by the memory they hold: a
 * parsed document keeps its tokens, about 80 bytes per character of query text (measured with graphql-js 16), so an
 * anonymous caller sending unique large queries cannot grow the gateway past this.
 */
const REWRITES_KEPT = 2000;
const REWRITES_MAX_BYTES = 32 * 1024 * 1024;
const BYTES_PER_QUERY_CHARACTER = 100;

/** An operation rewritten for one scope set, with the text and hash the query planner keys on. */
interface Rewrite {
  filtered: FilteredOperation;
  source: string;
  queryHash: string;
}

/** Callers holding the same scopes see the same schema: one cached view per scope set. */
const viewKey = (principal: Principal) => (principal.kind === 'anonymous' ? '' : `@${scopesOf(principal).join(' ')}`);

/** Every type and field name of a schema (introspection types excluded). */
function namesOf(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    names.add(type.name);
    if ('getFields' in type) for (const field of Object.keys(type.getFields())) names.add(field);
  }
  return names;
}

/** Masks the quoted names a caller may not see in one validation error message. */
export function maskNames(message: string, hidden: Set<string>): string {
  return message.replace(/"([^"]+)"/g, (quoted, inner: string) => {
    const name = inner.replace(/[[\]!]/g, '');
    return hidden.has(name) ? '"(not available)"' : quoted;
  });
}

const forbidden = (removed: FilteredOperation['removed'][number]) =>
  forbiddenField(removed.coordinate, removed.rule.scopes, describeRule(removed.rule), removed.path);

/**
 * Wraps @apollo/gateway (which does not enforce access directives) with our enforcement: each operation
 * is rewritten for its caller before the query planner sees it, restricted reads are audited first
 * (fail closed), and introspection is answered from the schema the caller may see.
 */
export class AccessControlledGateway implements GatewayInterface {
  readonly policy: AccessPolicy;
  private readonly visibleSchemas = new Map<string, GraphQLSchema>();
  private readonly hiddenNameSets = new Map<string, Set<string>>();
  /**
   * Rewrites of operations that read no restricted field, by scope set, query hash and operation name: the same
   * question from callers with the same scopes is rewritten once. (One that reads a restricted field is rewritten
   * each time: its audit record holds that request's arguments.)
   */
  private readonly rewrites = new LRUCache<string, Rewrite>({
    max: REWRITES_KEPT,
    maxSize: REWRITES_MAX_BYTES,
    sizeCalculation: (rewrite) => Math.max(1, rewrite.source.length * BYTES_PER_QUERY_CHARACTER),
  });
  private apiSchema: GraphQLSchema | undefined;

  constructor(
    private readonly inner: ApolloGateway,
    private readonly options: AccessControlOptions,
  ) {
    this.policy = readAccessPolicy(buildASTSchema(parse(options.supergraphSdl), { assumeValidSDL: true }));
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
    return this.inner.onSchemaLoadOrUpdate((context) => {
      this.apiSchema = context.apiSchema;
      this.visibleSchemas.clear();
      this.hiddenNameSets.clear();
      this.rewrites.clear();
      callback(context);
    });
  }

  async load(options: Parameters<GatewayInterface['load']>[0]): Promise<GatewayLoadResult> {
    const { executor, schema } = await this.inner.load(options);
    this.apiSchema = schema;
    return { executor: (requestContext) => this.execute(requestContext, executor) };
  }

  stop() {
    return this.inner.stop();
  }

  /**
   * Type and field names the caller may not see: a validation error that quotes one (e.g. "Cannot query
   * field "x" on type "HealthRecord"") has them masked, so error messages tell no more than introspection.
   */
  hiddenNames(principal: Principal): Set<string> {
    const key = viewKey(principal);
    let hidden = this.hiddenNameSets.get(key);
    if (!hidden) {
      const visible = namesOf(this.schemaFor(principal));
      hidden = new Set([...namesOf(this.apiSchema!)].filter((name) => !visible.has(name)));
      this.hiddenNameSets.set(key, hidden);
    }
    return hidden;
  }

  private schemaFor(principal: Principal): GraphQLSchema {
    const key = viewKey(principal);
    let schema = this.visibleSchemas.get(key);
    if (!schema) {
      schema = visibleSchema(this.apiSchema!, this.policy, principal);
      this.visibleSchemas.set(key, schema);
    }
    return schema;
  }

  private async execute(requestContext: GatewayGraphQLRequestContext, executor: GatewayExecutor): Promise<GatewayExecutionResult> {
    const { principal } = requestContext.context as GatewayContext;
    // Apollo resolved the operation from the request's operationName (and applied its GET and CSRF rules
    // to it); when that selects nothing, nothing runs: choosing one here would bypass those rules.
    const { operation } = requestContext;
    if (!operation) return { errors: [operationNotSelected(requestContext.document, requestContext.request.operationName)] };
    const { filtered, source, queryHash } = this.rewrite(requestContext, principal, operation);
    // Fragments are expanded by the filter, so introspection hidden in one (`{ ... on Query { __schema {…} } }`) is caught too.
    if (filtered.introspects) return this.introspect(requestContext, principal, filtered.readsData);
    const errors = filtered.removed.map(forbidden);
    if (errors.length && this.options.mode === 'reject') return { errors };

    if (filtered.touched.length) {
      try {
        await this.options.audit({
          route: 'gateway',
          principal,
          operationName: requestContext.operationName,
          operationHash: requestContext.queryHash,
          fields: filtered.touched,
        });
      } catch (error) {
        requestContext.logger.error(`audit write failed, restricted read refused: ${(error as Error).message}`);
        return { errors: [new GraphQLError('the restricted read could not be audited, so it was not performed', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
      }
    }

    // The gateway caches query plans by queryHash: each filtered shape has its own entry, or one caller's plan
    // (with restricted fields) could serve another caller.
    const rewritten = { ...requestContext, document: filtered.document, operation: filtered.operation, source, queryHash } as GatewayGraphQLRequestContext;
    const result = await executor(rewritten);
    for (const path of filtered.placeholders) removePlaceholderAt(result.data, path);
    if (!errors.length) return result;
    for (const removed of filtered.removed) setNullAt(result.data, removed.path);
    return { ...result, errors: [...(result.errors ?? []), ...errors] };
  }

  /** The operation without the fields the caller may not read, as text and hash for the planner (see `rewrites`). */
  private rewrite(requestContext: GatewayGraphQLRequestContext, principal: Principal, operation: OperationDefinitionNode): Rewrite {
    const key = `${viewKey(principal)}\n${requestContext.queryHash}\n${operation.name?.value ?? ''}`;
    const kept = this.rewrites.get(key);
    if (kept) return kept;
    const filtered = filterOperation(requestContext.schema, this.policy, principal, requestContext.document, operation, requestContext.request.variables ?? {});
    const source = print(filtered.document);
    const rewrite = { filtered, source, queryHash: createHash('sha256').update(source).digest('hex') };
    if (!filtered.touched.length) this.rewrites.set(key, rewrite);
    return rewrite;
  }

  /** Introspection answers from the caller's visible schema, so restricted names never appear. */
  private async introspect(requestContext: GatewayGraphQLRequestContext, principal: Principal, readsData: boolean): Promise<GatewayExecutionResult> {
    if (readsData) {
      return { errors: [new GraphQLError('send introspection (__schema, __type) in its own operation', { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    return (await execute({
      schema: this.schemaFor(principal),
      document: requestContext.document,
      operationName: requestContext.operationName,
      variableValues: requestContext.request.variables,
    })) as GatewayExecutionResult;
  }
}
