import fs from 'node:fs';
import path from 'node:path';
import { composeServices, type CompositionSuccess } from '@apollo/composition';

type CompositionHint = CompositionSuccess['hints'][number];
import { PROJECT_ROOT, SUBGRAPH_NAMES, loadConfig } from '../lib/config.ts';
import { SUBGRAPHS } from '../subgraphs/registry.ts';

export const SUPERGRAPH_PATH = path.join(PROJECT_ROOT, 'schema', 'supergraph.graphql');

/**
 * Composition hints we have read and accept, by code and message start. A new hint fails the
 * supergraph test until someone reads it and either fixes the subgraphs or adds it here with a reason.
 */
export const ACCEPTED_HINTS: { code: string; reason: string }[] = [];

export interface Composition {
  supergraphSdl: string;
  hints: CompositionHint[];
}

/** Composes the four subgraph SDLs (with their default URLs) into the supergraph the gateway serves. */
export function composeSupergraph(): Composition {
  const config = loadConfig({});
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({
      name,
      url: config.subgraphs[name].url,
      typeDefs: SUBGRAPHS[name].definition.typeDefs,
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return { supergraphSdl: result.supergraphSdl, hints: result.hints };
}

export function unacceptedHints(hints: CompositionHint[]): CompositionHint[] {
  return hints.filter((hint) => !ACCEPTED_HINTS.some((accepted) => accepted.code === hint.definition.code));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PROJECT_ROOT, 'schema', 'compose.ts')) {
  const { supergraphSdl, hints } = composeSupergraph();
  fs.writeFileSync(SUPERGRAPH_PATH, supergraphSdl.endsWith('\n') ? supergraphSdl : `${supergraphSdl}\n`);
  for (const hint of unacceptedHints(hints)) console.warn(`hint ${hint.definition.code}: ${hint.message}`);
  console.log(`wrote ${path.relative(process.cwd(), SUPERGRAPH_PATH)}`);
}
