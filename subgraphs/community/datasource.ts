/** The community producer's SQL, one file per concern under `datasource/`; the rest of the producer imports it from here. */
export type { Licence, PageWindow, ProducerKind, Provenance, ValidationStatus } from './datasource/shared.ts';
export * from './datasource/sensors.ts';
export * from './datasource/readings.ts';
export * from './datasource/datasets.ts';
export * from './datasource/contributions.ts';
export * from './datasource/quality.ts';
export * from './datasource/transparency.ts';
export * from './datasource/requests.ts';
