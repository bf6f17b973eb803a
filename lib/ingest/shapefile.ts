import type { Knex } from 'knex';
import type { Geometry } from 'geojson';
import iconv from 'iconv-lite';
import { parseShp } from 'shpjs';
import { canonicalEncoding, type Source } from './source.ts';
import { IngestFileError } from './errors.ts';
import { reprojected, sridOfPrj, type HasGeometry } from './geometry.ts';
import type { Parsed } from './runner.ts';
import { unzip, zip } from './zip.ts';

/**
 * ESRI shapefiles, zipped as producers send them: one layer's `.shp` (geometries), `.dbf` (attributes),
 * `.prj` (coordinate system, ESRI WKT) and `.cpg` (the `.dbf`'s code page). Geometries are read as
 * stored (shpjs, told no projection) and reprojected by PostGIS from the `.prj` (geometry.ts), never by
 * proj4 in JavaScript; attribute text is decoded with iconv-lite from the `.cpg` (Node 20's own
 * windows-1252 decoder maps 0x80–0x9F wrongly, e.g. the apostrophe ’ of French names).
 */

export type DbfValue = string | number | boolean | null;

export interface ShapefileFeature {
  /** 1-based record number, the line a reject or skip names. */
  index: number;
  /** As stored (the `.prj`'s coordinate system); null for a null shape. */
  geometry: Geometry | null;
  properties: Record<string, DbfValue>;
  /** Marked deleted in the `.dbf` (dBASE keeps deleted records until the file is packed). */
  deleted: boolean;
}

export interface Shapefile {
  layer: string;
  prj: string;
  /** The encoding the `.dbf`'s text was decoded from. */
  encoding: string;
  features: ShapefileFeature[];
}

/** `.cpg` contents seen in the wild (`UTF-8`, `1252`, `ANSI 1252`, `ISO-8859-1`, `65001`) → the hub's names. */
function encodingOfCpg(cpg: string): string {
  const label = cpg.trim();
  if (/^(65001|utf-?8)$/i.test(label)) return 'utf-8';
  return canonicalEncoding(label.replace(/^ansi\s+/i, 'ansi '));
}

/** The text of a `.dbf` field: the `.cpg`'s encoding, or checked UTF-8 (a byte that is not fails the file, naming the record). */
function decoder(encoding: string): (bytes: Buffer, record: number) => string {
  if (encoding !== 'utf-8') return (bytes) => iconv.decode(bytes, encoding);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return (bytes, record) => {
    try {
      return utf8.decode(bytes);
    } catch {
      throw new IngestFileError(record, 'a .dbf text is not valid UTF-8 and the archive has no .cpg naming its code page: add one (e.g. "1252" for Windows-1252) or declare the encoding (--encoding windows-1252)');
    }
  };
}

/**
 * The records of a dBASE III/IV table: C (text), N/F (numbers; blank is null), L (logical), D (dates as
 * YYYY-MM-DD); other types as text. Padding spaces and NULs are trimmed.
 */
export function readDbf(dbf: Buffer, encoding: string): { properties: Record<string, DbfValue>; deleted: boolean }[] {
  if (dbf.length < 32) throw new IngestFileError(1, 'the .dbf is truncated (no header)');
  const records = dbf.readUInt32LE(4);
  const headerLength = dbf.readUInt16LE(8);
  const recordLength = dbf.readUInt16LE(10);
  const decode = decoder(encoding);
  const fields: { name: string; type: string; length: number }[] = [];
  for (let at = 32; at + 32 <= headerLength && dbf[at] !== 0x0d; at += 32) {
    const raw = dbf.subarray(at, at + 11);
    const end = raw.indexOf(0);
    fields.push({ name: decode(raw.subarray(0, end < 0 ? 11 : end), 1).trim(), type: String.fromCharCode(dbf[at + 11]!), length: dbf[at + 16]! });
  }
  if (headerLength + records * recordLength > dbf.length) throw new IngestFileError(records, `the .dbf is truncated: its header announces ${records} records`);
  const out: { properties: Record<string, DbfValue>; deleted: boolean }[] = [];
  for (let r = 0; r < records; r++) {
    let at = headerLength + r * recordLength;
    const deleted = dbf[at] === 0x2a;
    at += 1;
    const properties: Record<string, DbfValue> = {};
    for (const field of fields) {
      const text = decode(dbf.subarray(at, at + field.length), r + 1).replace(/\0/g, '').trim();
      at += field.length;
      properties[field.name] = value(field.type, text, field.name, r + 1);
    }
    out.push({ properties, deleted });
  }
  return out;
}

function value(type: string, text: string, field: string, record: number): DbfValue {
  switch (type) {
    case 'N':
    case 'F': {
      if (text === '' || /^\*+$/.test(text)) return null;
      const n = Number(text);
      if (!Number.isFinite(n)) throw new IngestFileError(record, `.dbf field ${field} is not a number: "${text}"`);
      return n;
    }
    case 'L':
      return /^[YyTt]$/.test(text) ? true : /^[NnFf]$/.test(text) ? false : null;
    case 'D':
      return /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` : null;
    default:
      return text;
  }
}

/**
 * The one layer of a zipped shapefile. Refused whole: an archive without a `.shp`, with several layers,
 * without `.dbf` or `.prj` (coordinates in an unknown system are never guessed), or whose `.shp` and `.dbf`
 * disagree on the number of records (a truncated part).
 */
export function readShapefile(archive: Buffer, declaredEncoding = 'utf-8'): Shapefile {
  const members = unzip(archive);
  const byExtension = (base: string, extension: string) => [...members].find(([name]) => name.toLowerCase() === `${base}.${extension}`)?.[1];
  const layers = [...members.keys()].filter((name) => /\.shp$/i.test(name) && !name.startsWith('__MACOSX/')).map((name) => name.slice(0, -4));
  if (layers.length === 0) throw new IngestFileError(1, `the zip archive holds no .shp (it holds ${[...members.keys()].join(', ') || 'nothing'})`);
  if (layers.length > 1) throw new IngestFileError(1, `the zip archive holds ${layers.length} layers (${layers.join(', ')}): send one shapefile per archive`);
  const layer = layers[0]!;
  const base = layer.toLowerCase();
  const shp = byExtension(base, 'shp')!;
  const dbf = byExtension(base, 'dbf');
  const prj = byExtension(base, 'prj');
  const cpg = byExtension(base, 'cpg');
  if (!dbf) throw new IngestFileError(1, `the shapefile ${layer} has no .dbf (its attributes)`);
  if (!prj) throw new IngestFileError(1, `the shapefile ${layer} has no .prj: its coordinate system is unknown, and the hub does not guess it`);
  const encoding = cpg ? encodingOfCpg(cpg.toString('latin1')) : declaredEncoding;
  let geometries: ReturnType<typeof parseShp>;
  try {
    geometries = parseShp(shp);
  } catch (error) {
    throw new IngestFileError(1, `the .shp of ${layer} cannot be read: ${(error as Error).message}`);
  }
  const records = readDbf(dbf, encoding);
  if (geometries.length !== records.length) {
    throw new IngestFileError(Math.min(geometries.length, records.length) + 1, `the .shp holds ${geometries.length} shapes and the .dbf ${records.length} records: one of them is truncated`);
  }
  return {
    layer: layer.split('/').pop()!,
    prj: prj.toString('latin1').trim(),
    encoding,
    features: records.map((record, i) => ({ index: i + 1, geometry: withoutBbox(geometries[i] ?? null), ...record })),
  };
}

/**
 * The encoding a zipped shapefile's `.dbf` is read in (its `.cpg`, or the declared one), for the ingest
 * report, which is opened before the rows are read. Reads the `.cpg` alone; an unreadable archive gives
 * the declared encoding here and is refused, with its reason, when its rows are read.
 */
export async function shapefileEncoding(source: Source): Promise<string> {
  if (source.kind !== 'zip') return source.encoding;
  try {
    const cpg = [...unzip(await source.bytes(), (name) => /\.cpg$/i.test(name) && !name.startsWith('__MACOSX/')).values()];
    return cpg.length === 1 ? encodingOfCpg(cpg[0]!.toString('latin1')) : source.encoding;
  } catch {
    return source.encoding;
  }
}

function withoutBbox(geometry: (Geometry & { bbox?: number[] }) | null): Geometry | null {
  if (!geometry) return null;
  const { bbox: _bbox, ...rest } = geometry;
  return rest as Geometry;
}

/**
 * The EPSG code of a `.prj`. ArcGIS and GDAL ≥ 3 name the RGF93 systems with ESRI's datum spelling
 * ("RGF_1993_CC48", "RGF_1993_Lambert_93"), GDAL 2 and older QGIS as PostGIS does ("RGF93_CC48"): both
 * are read.
 */
export async function sridOfShapefilePrj(db: Knex, wkt: string): Promise<number> {
  try {
    return await sridOfPrj(db, wkt);
  } catch (error) {
    const esri = wkt.replace(/^(\s*PROJCS\[")RGF_1993_/i, '$1RGF93_');
    if (esri === wkt) throw error;
    return sridOfPrj(db, esri);
  }
}

export interface ShapefileRowsOptions {
  /** What a feature outside the territory does (geometry.ts). @default refuse */
  outsideTerritory?: 'refuse' | 'skip';
}

/**
 * The rows of a zipped shapefile, parsed by `parse` (which validates a feature and gives its geometry as
 * GeoJSON text, as stored) and reprojected to WGS84 from the `.prj`. Deleted records are skipped,
 * counted. Re-runnable: it reads the source again on each call and writes nothing.
 */
export async function* shapefileRows<T extends HasGeometry>(
  db: Knex,
  source: Source,
  parse: (feature: ShapefileFeature, layer: Shapefile) => Parsed<T>,
  options: ShapefileRowsOptions = {},
): AsyncGenerator<Parsed<T>> {
  if (source.kind !== 'zip') throw new IngestFileError(1, 'a shapefile comes as a zip archive (.shp, .dbf, .prj, .cpg)');
  const layer = readShapefile(await source.bytes(), source.encoding);
  const srid = await sridOfShapefilePrj(db, layer.prj);
  async function* rows(): AsyncGenerator<Parsed<T>> {
    for (const feature of layer.features) {
      if (feature.deleted) yield { line: feature.index, skip: 'record marked deleted in the .dbf' };
      else yield parse(feature, layer);
    }
  }
  yield* reprojected(db, rows(), { srid, outsideTerritory: options.outsideTerritory ?? 'refuse' });
}

// ---- Writing, for fixtures: a script builds the samples so that they can be rebuilt byte for byte.

export interface DbfField {
  name: string;
  type: 'C' | 'N' | 'L';
  length: number;
  decimals?: number;
}

export interface ShapefileToWrite {
  layer: string;
  prj: string;
  /** Written as the `.cpg`, and used to encode the `.dbf`'s text (e.g. `1252`). */
  cpg: string;
  fields: DbfField[];
  features: { geometry: Geometry; properties: Record<string, string | number | boolean | null> }[];
}

const SHAPE_TYPES: Record<string, number> = { Point: 1, LineString: 3, MultiLineString: 3, Polygon: 5, MultiPolygon: 5 };

/** A zipped shapefile (.shp, .shx, .dbf, .prj, .cpg) of Points, (Multi)LineStrings or (Multi)Polygons of one kind. */
export function writeShapefileZip(layer: ShapefileToWrite, date?: Date): Buffer {
  const type = SHAPE_TYPES[layer.features[0]?.geometry.type ?? 'Point']!;
  const records = layer.features.map(({ geometry }) => {
    if (SHAPE_TYPES[geometry.type] !== type) throw new Error('one shape type per shapefile');
    return shapeRecord(geometry);
  });
  const all = layer.features.flatMap(({ geometry }) => parts(geometry).flat());
  const box = [Math.min(...all.map((p) => p[0]!)), Math.min(...all.map((p) => p[1]!)), Math.max(...all.map((p) => p[0]!)), Math.max(...all.map((p) => p[1]!))];
  const header = (length: number) => {
    const h = Buffer.alloc(100);
    h.writeInt32BE(9994, 0);
    h.writeInt32BE(length / 2, 24);
    h.writeInt32LE(1000, 28);
    h.writeInt32LE(type, 32);
    box.forEach((v, i) => h.writeDoubleLE(v, 36 + i * 8));
    return h;
  };
  let offset = 100;
  const shpBody: Buffer[] = [];
  const shxBody: Buffer[] = [];
  records.forEach((content, i) => {
    const head = Buffer.alloc(8);
    head.writeInt32BE(i + 1, 0);
    head.writeInt32BE(content.length / 2, 4);
    shpBody.push(head, content);
    const index = Buffer.alloc(8);
    index.writeInt32BE(offset / 2, 0);
    index.writeInt32BE(content.length / 2, 4);
    shxBody.push(index);
    offset += 8 + content.length;
  });
  const shp = Buffer.concat([header(offset), ...shpBody]);
  const shx = Buffer.concat([header(100 + 8 * records.length), ...shxBody]);
  const encoding = encodingOfCpg(layer.cpg);
  return zip(
    [
      { name: `${layer.layer}.shp`, data: shp },
      { name: `${layer.layer}.shx`, data: shx },
      { name: `${layer.layer}.dbf`, data: dbfBytes(layer, encoding) },
      { name: `${layer.layer}.prj`, data: Buffer.from(layer.prj, 'latin1') },
      { name: `${layer.layer}.cpg`, data: Buffer.from(layer.cpg, 'latin1') },
    ],
    date,
  );
}

function parts(geometry: Geometry): number[][][] {
  switch (geometry.type) {
    case 'Point':
      return [[geometry.coordinates]];
    case 'LineString':
      return [geometry.coordinates];
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates;
    case 'MultiPolygon':
      return geometry.coordinates.flat();
    default:
      throw new Error(`${geometry.type} is not written`);
  }
}

function shapeRecord(geometry: Geometry): Buffer {
  if (geometry.type === 'Point') {
    const b = Buffer.alloc(20);
    b.writeInt32LE(1, 0);
    b.writeDoubleLE(geometry.coordinates[0]!, 4);
    b.writeDoubleLE(geometry.coordinates[1]!, 12);
    return b;
  }
  // Polygons: outer rings clockwise, holes counter-clockwise, as the shapefile specification wants.
  const rings = parts(geometry).map((ring, i) => (geometry.type === 'Polygon' || geometry.type === 'MultiPolygon' ? oriented(ring, isOuter(geometry, i)) : ring));
  const points = rings.flat();
  const b = Buffer.alloc(44 + 4 * rings.length + 16 * points.length);
  b.writeInt32LE(SHAPE_TYPES[geometry.type]!, 0);
  const xs = points.map((p) => p[0]!);
  const ys = points.map((p) => p[1]!);
  [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)].forEach((v, i) => b.writeDoubleLE(v, 4 + i * 8));
  b.writeInt32LE(rings.length, 36);
  b.writeInt32LE(points.length, 40);
  let start = 0;
  rings.forEach((ring, i) => {
    b.writeInt32LE(start, 44 + 4 * i);
    start += ring.length;
  });
  points.forEach((p, i) => {
    b.writeDoubleLE(p[0]!, 44 + 4 * rings.length + 16 * i);
    b.writeDoubleLE(p[1]!, 44 + 4 * rings.length + 16 * i + 8);
  });
  return b;
}

function isOuter(geometry: Geometry, ringIndex: number): boolean {
  if (geometry.type === 'Polygon') return ringIndex === 0;
  if (geometry.type !== 'MultiPolygon') return true;
  let i = 0;
  for (const polygon of geometry.coordinates) {
    for (let r = 0; r < polygon.length; r++, i++) if (i === ringIndex) return r === 0;
  }
  return true;
}

function oriented(ring: number[][], clockwise: boolean): number[][] {
  let sum = 0;
  for (let i = 1; i < ring.length; i++) sum += (ring[i]![0]! - ring[i - 1]![0]!) * (ring[i]![1]! + ring[i - 1]![1]!);
  return sum > 0 === clockwise ? ring : [...ring].reverse();
}

function dbfBytes(layer: ShapefileToWrite, encoding: string): Buffer {
  const recordLength = 1 + layer.fields.reduce((n, f) => n + f.length, 0);
  const headerLength = 32 + 32 * layer.fields.length + 1;
  const out = Buffer.alloc(headerLength + recordLength * layer.features.length + 1, 0x20);
  out.fill(0, 0, headerLength);
  out.writeUInt8(0x03, 0);
  out.writeUInt8(125, 1);
  out.writeUInt8(1, 2);
  out.writeUInt8(1, 3);
  out.writeUInt32LE(layer.features.length, 4);
  out.writeUInt16LE(headerLength, 8);
  out.writeUInt16LE(recordLength, 10);
  layer.fields.forEach((field, i) => {
    const at = 32 + 32 * i;
    out.write(field.name.slice(0, 10), at, 'latin1');
    out.write(field.type, at + 11, 'latin1');
    out.writeUInt8(field.length, at + 16);
    out.writeUInt8(field.decimals ?? 0, at + 17);
  });
  out.writeUInt8(0x0d, headerLength - 1);
  layer.features.forEach((feature, r) => {
    let at = headerLength + r * recordLength + 1;
    for (const field of layer.fields) {
      const raw = feature.properties[field.name];
      const text =
        raw === null || raw === undefined ? (field.type === 'L' ? '?' : '')
        : field.type === 'L' ? (raw ? 'T' : 'F')
        : field.type === 'N' && typeof raw === 'number' ? raw.toFixed(field.decimals ?? 0)
        : String(raw);
      const bytes = iconv.encode(text, encoding);
      if (bytes.length > field.length) throw new Error(`${field.name} "${text}" is longer than ${field.length} bytes`);
      (field.type === 'N' ? Buffer.concat([Buffer.alloc(field.length - bytes.length, 0x20), bytes]) : Buffer.concat([bytes, Buffer.alloc(field.length - bytes.length, 0x20)])).copy(out, at);
      at += field.length;
    }
  });
  out.writeUInt8(0x1a, out.length - 1);
  return out;
}
