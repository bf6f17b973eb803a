import type { CrsCode, OpenCollection, OpenFeature } from '../opendata/openCollection.ts';
import type { ExportLicence } from './exportLicence.ts';

/** What one export is written with, whatever its format. */
export interface ExportSettings {
  collection: OpenCollection;
  licence: ExportLicence;
  /** Every licence URI the export holds, as known before its first byte (ExportLicence.uris). */
  licences: string[];
  /** The CRS of the geometries (the filter's). */
  crs: CrsCode;
  /** CSV only: `;`, decimal commas and a byte order mark, for spreadsheets set to French (`?sep=semicolon`, `?locale=fr`). */
  french: boolean;
  /** CSV only: add each geometry as WKT (`?geometry=wkt`). */
  wkt: boolean;
}

/**
 * One export being written: its head, its features batch by batch, its tail. Each call gives the bytes to
 * send next; nothing is kept between calls but what the format needs (GeoJSON's separating commas).
 */
export interface ExportWriter {
  head(): string | Uint8Array;
  features(batch: OpenFeature[]): string | Uint8Array;
  tail(): string | Uint8Array;
}

export interface ExportFormat {
  /** The URL's extension: `/exports/<id>.<extension>`. */
  extension: string;
  /** Content-Type. */
  mediaType: string;
  title: string;
  /** A new writer: one per generation of a body (a validator's pre-pass writes the body once more). */
  writer(settings: ExportSettings): ExportWriter;
}
