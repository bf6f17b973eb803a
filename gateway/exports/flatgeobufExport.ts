import * as flatbuffers from 'flatbuffers';
import type { Geometry as GeoJsonGeometry, MultiPolygon, Point, Polygon } from 'geojson';
import { magicbytes } from 'flatgeobuf/lib/mjs/constants.js';
import { Column } from 'flatgeobuf/lib/mjs/flat-geobuf/column.js';
import { ColumnType } from 'flatgeobuf/lib/mjs/flat-geobuf/column-type.js';
import { Crs } from 'flatgeobuf/lib/mjs/flat-geobuf/crs.js';
import { Feature } from 'flatgeobuf/lib/mjs/flat-geobuf/feature.js';
import { GeometryType } from 'flatgeobuf/lib/mjs/flat-geobuf/geometry-type.js';
import { Header } from 'flatgeobuf/lib/mjs/flat-geobuf/header.js';
import { buildGeometry } from 'flatgeobuf/lib/mjs/generic/geometry.js';
import { parseGeometry } from 'flatgeobuf/lib/mjs/geojson/geometry.js';
import type { OpenFeature, PropertySpec, PropertyValue } from '../opendata/openCollection.ts';
import { exportColumns, type ExportColumn } from './exportColumns.ts';
import type { ExportFormat, ExportSettings } from './exportFormat.ts';

/*
 * The columnar format: FlatGeobuf, not GeoParquet.
 * - It streams: a header, then each feature as a size-prefixed FlatBuffer, nothing after the last one. A
 *   Parquet file ends with a footer describing every row group, so a writer holds a row group's columns in
 *   memory and cannot finish before the last row; FlatGeobuf costs one feature of memory at any size.
 * - Its writer is the format's reference implementation (`flatgeobuf` on npm, maintained in the format's own
 *   repository, released monthly); the JavaScript GeoParquet writers are young (hyparquet-writer 0.x) and
 *   leave the `geo` metadata to the caller.
 * - GDAL/OGR, QGIS, DuckDB spatial, geopandas (pyogrio) and OpenLayers/Leaflet (through `flatgeobuf`) read it,
 *   geometries and typed attributes included.
 * The package's `serialize()` takes a whole FeatureCollection in memory, so the export writes the header and
 * each feature itself with the package's FlatBuffers tables (Header, Column, Crs, Feature) and its geometry
 * encoder. Streaming has one cost: no spatial index (it needs every feature before the first), which the
 * format makes optional (`index_node_size` 0, `features_count` 0: unknown); `ogr2ogr` adds one if wanted.
 */

const COLUMN_TYPES: Record<PropertySpec['type'], ColumnType> = {
  string: ColumnType.String,
  integer: ColumnType.Int,
  number: ColumnType.Double,
  boolean: ColumnType.Bool,
  date: ColumnType.DateTime,
  'date-time': ColumnType.DateTime,
};

const EPSG = { 'EPSG:4326': 4326, 'EPSG:2154': 2154, 'EPSG:3948': 3948 } as const;

/**
 * A builder whose finished buffer is a multiple of 8 bytes. Coordinates are float64 vectors, aligned within
 * their buffer; a reader that maps the whole file (flatgeobuf's own `deserialize` of a Uint8Array views them
 * as Float64Array in place) needs every header and feature to start on an 8-byte boundary of the file.
 */
function aligned(size: number): flatbuffers.Builder {
  const builder = new flatbuffers.Builder(size);
  builder.prep(8, 0);
  return builder;
}

function header(settings: ExportSettings, columns: ExportColumn[]): Uint8Array {
  const { collection } = settings;
  const builder = aligned(4096);
  const columnOffsets = columns.map((c) => {
    const name = builder.createString(c.name);
    const description = builder.createString(c.description);
    Column.startColumn(builder);
    Column.addName(builder, name);
    Column.addType(builder, COLUMN_TYPES[c.type]);
    Column.addDescription(builder, description);
    Column.addNullable(builder, true);
    return Column.endColumn(builder);
  });
  const columnsVector = Header.createColumnsVector(builder, columnOffsets);
  const name = builder.createString(collection.id);
  const title = builder.createString(collection.title.en);
  const description = builder.createString(collection.description.en);
  const metadata = builder.createString(JSON.stringify({ title: collection.title, licence: settings.licences, attribution: settings.licence.attribution }));
  const org = builder.createString('EPSG');
  Crs.startCrs(builder);
  Crs.addOrg(builder, org);
  Crs.addCode(builder, EPSG[settings.crs]);
  const crs = Crs.endCrs(builder);
  Header.startHeader(builder);
  Header.addName(builder, name);
  Header.addGeometryType(builder, collection.geometryType === 'Point' ? GeometryType.Point : GeometryType.MultiPolygon);
  Header.addColumns(builder, columnsVector);
  Header.addFeaturesCount(builder, 0n);
  Header.addIndexNodeSize(builder, 0);
  Header.addCrs(builder, crs);
  Header.addTitle(builder, title);
  Header.addDescription(builder, description);
  Header.addMetadata(builder, metadata);
  builder.finishSizePrefixed(Header.endHeader(builder));
  return Buffer.concat([magicbytes, builder.asUint8Array()]);
}

/** One attribute value in FlatGeobuf's encoding (little-endian; strings and date-times UTF-8 with a 32-bit length). */
function encodeValue(column: ExportColumn, value: Exclude<PropertyValue, null>): Buffer {
  const mismatch = () => new Error(`${column.name}: ${JSON.stringify(value)} is not a ${column.type}`);
  switch (column.type) {
    case 'boolean': {
      if (typeof value !== 'boolean') throw mismatch();
      return Buffer.from([value ? 1 : 0]);
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) throw mismatch();
      const bytes = Buffer.alloc(4);
      bytes.writeInt32LE(value);
      return bytes;
    }
    case 'number': {
      if (typeof value !== 'number') throw mismatch();
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(value);
      return bytes;
    }
    default: {
      if (typeof value !== 'string') throw mismatch();
      const text = Buffer.from(value, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(text.length);
      return Buffer.concat([length, text]);
    }
  }
}

/** A polygon collection's header says MultiPolygon: a lone Polygon is written as a MultiPolygon of one. */
function asDeclared(geometry: GeoJsonGeometry, declared: 'Point' | 'MultiPolygon'): Point | MultiPolygon {
  if (declared === 'MultiPolygon' && geometry.type === 'Polygon') return { type: 'MultiPolygon', coordinates: [(geometry as Polygon).coordinates] };
  if (geometry.type !== declared) throw new Error(`a ${geometry.type} in a ${declared} collection`);
  return geometry as Point | MultiPolygon;
}

function feature(settings: ExportSettings, columns: ExportColumn[], f: OpenFeature): Uint8Array {
  const parts: Buffer[] = [];
  columns.forEach((column, i) => {
    const value = column.value(f);
    if (value === null) return;
    const index = Buffer.alloc(2);
    index.writeUInt16LE(i);
    parts.push(index, encodeValue(column, value));
  });
  const builder = aligned(1024);
  const properties = parts.length ? Feature.createPropertiesVector(builder, Buffer.concat(parts)) : 0;
  // A feature without geometry has none (the format allows it; GDAL reads it, flatgeobuf's own reader does not):
  // the open contract's geometries are non-null today but for a territory without an outline.
  const geometry = f.geometry ? buildGeometry(builder, parseGeometry(asDeclared(f.geometry as GeoJsonGeometry, settings.collection.geometryType))) : 0;
  Feature.startFeature(builder);
  if (geometry) Feature.addGeometry(builder, geometry);
  if (properties) Feature.addProperties(builder, properties);
  builder.finishSizePrefixed(Feature.endFeature(builder));
  return builder.asUint8Array();
}

/** FlatGeobuf (https://flatgeobuf.org), streamed without a spatial index; attributes as the CSV's columns. */
export const flatgeobufExport: ExportFormat = {
  extension: 'fgb',
  mediaType: 'application/flatgeobuf',
  title: 'FlatGeobuf',
  writer(settings: ExportSettings) {
    const columns = exportColumns(settings.collection, settings.licence);
    return {
      head: () => header(settings, columns),
      features: (batch) => Buffer.concat(batch.map((f) => feature(settings, columns, f))),
      tail: () => new Uint8Array(0),
    };
  },
};
