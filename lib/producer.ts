import fs from 'node:fs';
import { concatAST, parse, type DocumentNode } from 'graphql';
import { INGEST_REPORT_SDL } from './ingest/report.ts';
import type { Database } from './db.ts';
import type { Migration } from './migrate.ts';
import type { Ingester } from './ingest/types.ts';
import type { AccessContext } from './auth/enforce.ts';
import type { Config, IntSetting } from './config.ts';

/** What every resolver receives. Loaders are built per request so batches never mix callers. */
export interface ProducerContext<Loaders> extends AccessContext {
  /** The producer's database, for its write modules (reads go through `loaders`). */
  db: Database;
  loaders: Loaders;
  /** The request's id (the gateway's, forwarded): on the log lines and errors of this request (lib/http/requestId.ts). */
  requestId?: string;
}

/** The typed values of a producer's declared settings. */
export type SettingValues<Specs extends Record<string, IntSetting>> = { [K in keyof Specs]: number };

/** What a job receives when it runs. */
export interface JobContext<Settings> {
  db: Database;
  settings: Settings;
  /** The hub's public GraphQL API (`TIGA_API_URL`): a job reads other producers' data there, never in their tables. */
  apiUrl: string;
  log(line: string): void;
}

/**
 * Recurring work a producer needs (e.g. citizen-sensor quality control). The process that serves the
 * producer runs it once after start-up, then every `intervalMinutes`; `npm run job` runs it once.
 */
export interface JobDefinition<Settings = any> {
  name: string;
  description: string;
  /** Minutes between runs, from the settings; 0 turns the schedule off. */
  intervalMinutes(settings: Settings): number;
  /** Runs once; returns one line for the log. */
  run(context: JobContext<Settings>): Promise<string>;
}

/**
 * Everything the hub knows about one producer, exported by `subgraphs/<name>/index.ts` and listed once in
 * `subgraphs/registry.ts`. Config, the CLI, the hub, the bench, the compose file and composition all read it.
 */
export interface ProducerDefinition<Loaders = any, Settings = any> {
  /** Subgraph name, PostgreSQL schema and environment prefix (`ATMO_PORT`, `ATMO_DATABASE_URL`). */
  name: string;
  /** The producer's public name, shown to users (e.g. in errors and in the data catalogue). */
  title: string;
  /** One sentence: what it publishes. */
  description: string;
  /** Port of its subgraph when `<NAME>_PORT` is unset. */
  defaultPort: number;
  typeDefs: DocumentNode;
  resolvers: object;
  migrations: Migration[];
  createLoaders(db: Database, settings: Settings): Loaders;
  /** The native file formats it ingests (CLI, mutation). */
  ingest: Ingester[];
  jobs: JobDefinition<Settings>[];
  /** Its settings, with their variables and defaults. */
  settings: Record<string, IntSetting>;
  /**
   * Recomputes what derives from the settings, on every start after migrations and seeds
   * (e.g. ORSAL's statistical-secrecy decisions under TIGA_SECRECY_THRESHOLD).
   */
  refresh?(db: Database, settings: Settings): Promise<void>;
  /** The folder of its named source mappings (`mappings/<name>.yaml`), e.g. a portal export's columns. */
  mappings?: URL;
  /** For GraphQL Code Generator: GraphQL type → the TypeScript row type its resolvers receive (`./datasource.ts#Row`). */
  typeMappers?: Record<string, string>;
}

/** Reads a producer's hand-written SDL that sits next to its resolvers. */
export function readSchema(url: URL): DocumentNode {
  return parse(fs.readFileSync(url, 'utf8'));
}

/** A producer's settings as values, read from the configuration. */
export function settingsOf<S>(producer: ProducerDefinition<unknown, S>, config: Config): S {
  return Object.fromEntries(Object.entries(producer.settings).map(([key, spec]) => [key, config.setting(spec)])) as S;
}

/**
 * Declares a producer with its types inferred: the settings' names type `settings` in loaders, jobs and
 * `refresh`, so a typo fails the build.
 */
export function defineProducer<Loaders, Specs extends Record<string, IntSetting> = {}>(
  definition: Omit<ProducerDefinition<Loaders, SettingValues<Specs>>, 'settings' | 'jobs' | 'ingest'> & {
    settings?: Specs;
    jobs?: JobDefinition<SettingValues<Specs>>[];
    ingest?: Ingester[];
  },
): ProducerDefinition<Loaders, SettingValues<Specs>> {
  const ingest = definition.ingest ?? [];
  // A producer that ingests files serves the shared report types with its `ingest<Name>` mutation.
  const typeDefs = ingest.length ? concatAST([definition.typeDefs, INGEST_REPORT_SDL]) : definition.typeDefs;
  return { ...definition, typeDefs, settings: definition.settings ?? ({} as Specs), jobs: definition.jobs ?? [], ingest };
}
