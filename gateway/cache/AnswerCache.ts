import type { RequestHandler, Response } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import type { EntityCache } from './EntityCache.ts';
import { stableJson } from './cachedFetch.ts';
import { requestIdOf } from '../../lib/http/requestId.ts';
import { sha256 } from '../../lib/sha256.ts';

/**
 * What one anonymous request's answer is made of, filled while it runs: the gateway's data sources note every
 * subgraph it read (and that subgraph's generation before the read), the plugins whether the answer may be kept.
 */
export class AnswerTicket {
  /** Subgraph → its generation before this request first read it. */
  readonly read = new Map<string, number>();
  /** The shortest lifetime of the fetches it made (their `@cacheControl` hints). */
  ttlMs = Infinity;
  /** False once any fetch was not cacheable (a restricted field, no hint). */
  cacheable = true;
  /** A query answered with data and no error. */
  complete = false;
  /** Its estimated and its actual cost (lib/cost/): a kept expensive answer is charged what it holds. */
  cost?: number;
  actualCost?: number;
  /** The operation's name and hash as Apollo resolved them (the name may come from the document): the replay's log line. */
  operationName?: string | null;
  operationHash?: string;
  constructor(readonly key: string) {}

  /** A data source is about to read `subgraph`: its lifetime, or 0 when the fetch may not be kept. */
  reads(subgraph: string, generation: number, ttlMs: number): void {
    if (!this.read.has(subgraph)) this.read.set(subgraph, generation);
    if (ttlMs <= 0) this.cacheable = false;
    else this.ttlMs = Math.min(this.ttlMs, ttlMs);
  }
}

/** A kept answer. */
export interface KeptAnswer {
  body: string;
  /** Headers Apollo set on the answer (content type…), replayed as they were. */
  headers: [string, string][];
  /** Each subgraph read, at the generation the answer reflects. */
  read: [string, number][];
  /** The entity cache's reset count when it was kept. */
  resets: number;
  operationName: string | null;
  /** SHA-256 of the query text, as Apollo's `queryHash`: the access log's operation hash. */
  operationHash: string;
  cost: number;
  actualCost: number;
}

export interface AnswerCacheOptions {
  /** Answers kept at most, and their total size in bytes (least recently used dropped first). @default 20,000 and 64 MiB */
  maxEntries?: number;
  maxBytes?: number;
  onLookup?: (hit: boolean) => void;
  /**
   * Charges a kept answer's cost to its client before it is replayed, as the expensive gate charges an answer it
   * runs (gateway/expensiveGate.ts); false: not now, the request goes the usual way (and is refused there).
   */
  charge?: (client: string, answer: { cost: number; actualCost: number }) => Promise<boolean>;
  clientOf: (req: Parameters<RequestHandler>[0]) => string;
  /** Counts and logs a replayed answer as the GraphQL pipeline counts and logs the answers it computes. */
  onReplay?: (replay: { requestId: string; operationName: string | null; operationHash: string; durationMs: number }) => void;
}

const TICKET = 'tigaAnswerTicket';

/**
 * The gateway's cache of whole anonymous answers, in front of Apollo: the same query with the same variables,
 * asked again by anyone without a token, is answered with the bytes of the last answer — no parse, validation,
 * plan or fetch — as long as none of the subgraphs it read has changed since (the entity cache's generations,
 * bumped by every committed write: gateway/cache/EntityCache.ts) and its shortest `@cacheControl` lifetime has
 * not run out. It keeps only what the entity cache would: answers of queries that read open fields only, with
 * no error, asked without a token; it is off whenever the entity cache is (its change notices unheard).
 * Budgets still hold: a request reaches it past the rate limits, and an expensive answer is charged what it holds.
 */
export class AnswerCache {
  private readonly answers: LRUCache<string, KeptAnswer>;

  constructor(
    private readonly entities: EntityCache,
    private readonly options: AnswerCacheOptions,
  ) {
    this.answers = new LRUCache<string, KeptAnswer>({
      max: options.maxEntries ?? 20_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (answer) => Math.max(1, answer.body.length + 64 * answer.headers.length),
      ttlAutopurge: false,
    });
  }

  /** The ticket of a request the cache may keep the answer of (set by {@link middleware}). */
  static ticketOf(res: Response): AnswerTicket | undefined {
    return res.locals[TICKET] as AnswerTicket | undefined;
  }

  private valid(answer: KeptAnswer): boolean {
    return answer.resets === this.entities.resets && answer.read.every(([subgraph, generation]) => this.entities.generation(subgraph) === generation);
  }

  /**
   * What the cache does with a request: nothing (`undefined`: not an anonymous query it may keep), answer it with a
   * kept answer (`hit`, already charged to `clientOf()`'s budget), or let it through with a `ticket` that keeps its
   * answer ({@link keep}). Shared by the Express middleware below and the gateway's direct route.
   */
  async lookup(request: { method: string; authorization: string | undefined; accept: string | undefined; body: unknown }, clientOf: () => string): Promise<{ hit: KeptAnswer } | { ticket: AnswerTicket } | undefined> {
    const body = request.body as { query?: unknown; operationName?: unknown; variables?: unknown; extensions?: unknown } | undefined;
    // Anonymous POSTs of a query text only: a token's answer is never shared, and persisted-query extensions
    // have their own protocol.
    if (!this.entities.enabled || request.method !== 'POST' || request.authorization !== undefined || !body || typeof body !== 'object' || typeof body.query !== 'string' || body.extensions !== undefined) return undefined;
    if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') return undefined;
    if (body.variables !== undefined && body.variables !== null && (typeof body.variables !== 'object' || Array.isArray(body.variables))) return undefined;
    // Apollo answers `application/graphql-response+json` or `application/json` by the Accept header.
    const key = sha256(`${body.query}\0${String(body.operationName ?? '')}\0${stableJson(body.variables ?? {})}\0${String(request.accept ?? '')}`);
    const ticket = new AnswerTicket(key);
    // Nothing kept: nothing to catch up with either. The fetches read the producers as they are now, and an
    // answer kept from them is checked against the generations they saw.
    if (!this.answers.has(key)) {
      this.options.onLookup?.(false);
      return { ticket };
    }
    // A write committed before this request arrived is heard before the kept answer is judged (the entity
    // cache's round trip, which the request's own fetches then share).
    await this.entities.caughtUp(ticket);
    const answer = this.answers.get(key);
    const hit = answer !== undefined && this.entities.enabled && this.valid(answer);
    this.options.onLookup?.(hit);
    if (hit && (!this.options.charge || (await this.options.charge(clientOf(), answer)))) return { hit: answer };
    if (answer !== undefined && !hit) this.answers.delete(key);
    return { ticket };
  }

  /** Counts and logs a kept answer replayed to the request `requestId`, which arrived at `started` (performance.now()). */
  replayed(answer: KeptAnswer, requestId: string, started: number): void {
    this.options.onReplay?.({ requestId, operationName: answer.operationName, operationHash: answer.operationHash, durationMs: performance.now() - started });
  }

  /** Answers from the cache, or lets the request through with a ticket that keeps its answer. Mount after `express.json()`. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      this.lookup({ method: req.method, authorization: req.headers.authorization, accept: req.headers.accept, body: req.body }, () => this.options.clientOf(req)).then((found) => {
        if (!found) return next();
        if ('hit' in found) {
          for (const [name, value] of found.hit.headers) res.setHeader(name, value);
          res.status(200).send(found.hit.body);
          this.replayed(found.hit, requestIdOf(res), started);
          return;
        }
        // Through to Apollo, with the ticket that keeps this answer once sent.
        const { ticket } = found;
        const before = new Set(res.getHeaderNames());
        const send = res.send.bind(res);
        res.send = (sent: unknown) => {
          res.send = send;
          if (typeof sent === 'string') {
            const headers = res
              .getHeaderNames()
              .filter((name) => !before.has(name) && name !== 'content-length' && name !== 'etag')
              .map((name): [string, string] => [name, String(res.getHeader(name))]);
            this.keep(ticket, res.statusCode, sent, headers);
          }
          return send(sent);
        };
        res.locals[TICKET] = ticket;
        next();
      }).catch(next);
    };
  }

  /** Keeps the answer a ticket's request got (its status, body and the headers Apollo set), when it may be kept. */
  keep(ticket: AnswerTicket, status: number, body: string, headers: [string, string][]): void {
    if (!ticket.complete || ticket.operationHash === undefined || !ticket.cacheable || !ticket.read.size || ticket.ttlMs === Infinity || status !== 200) return;
    const read = [...ticket.read];
    // A write heard while it ran: the answer may predate it.
    if (!this.entities.enabled || read.some(([subgraph, generation]) => this.entities.generation(subgraph) !== generation)) return;
    this.answers.set(
      ticket.key,
      { body, headers, read, resets: this.entities.resets, operationName: ticket.operationName ?? null, operationHash: ticket.operationHash, cost: ticket.cost ?? 0, actualCost: ticket.actualCost ?? ticket.cost ?? 0 },
      { ttl: ticket.ttlMs },
    );
  }

  /** Marks a ticket's answer complete (a query, data, no error) once Apollo has it. */
  plugin<TContext extends { answer?: AnswerTicket; cost?: number }>(): ApolloServerPlugin<TContext> {
    return {
      async requestDidStart() {
        return {
          async willSendResponse({ response, contextValue, operation, operationName, queryHash }) {
            const ticket = contextValue.answer;
            if (!ticket) return;
            const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
            ticket.complete = operation?.operation === 'query' && !!result?.data && !result.errors?.length && !result.extensions;
            ticket.cost = contextValue.cost;
            ticket.operationName = operationName ?? null;
            ticket.operationHash = queryHash;
          },
        };
      },
    };
  }

  /** Forgets every kept answer. */
  clear(): void {
    this.answers.clear();
  }

  get size(): number {
    return this.answers.size;
  }
}
