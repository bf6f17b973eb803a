import fs from 'node:fs';
import { parse } from 'graphql';

/**
 * The ingest report's types, shared by every producer that ingests files: Federation wants a @shareable
 * type identical in every subgraph, so it is written once here and added to each such producer's SDL.
 */
export const INGEST_REPORT_SDL = parse(fs.readFileSync(new URL('./report.graphql', import.meta.url), 'utf8'));
