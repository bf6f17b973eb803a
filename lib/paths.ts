import path from 'node:path';
import { PROJECT_ROOT } from './config.ts';

/** The composed supergraph the gateway serves (`npm run compose` writes it). */
export const SUPERGRAPH_PATH = path.join(PROJECT_ROOT, 'schema', 'supergraph.graphql');
/** The open contract: the public API as an anonymous caller sees it. */
export const OPEN_CONTRACT_PATH = path.join(PROJECT_ROOT, 'schema', 'open.graphql');
