import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { IngestFileError } from './errors.ts';

/**
 * The members of a zip archive (PKWARE APPNOTE 6.3: end of central directory, central directory, local
 * headers), read from its bytes with node:zlib alone: stored and deflated members, no encryption, no
 * Zip64. Sizes are checked against the directory and a total cap, so a crafted archive cannot inflate
 * beyond what the hub reads whole anyway (a shapefile's parts).
 */

/** The uncompressed members of one archive may total this much; beyond, it is refused. */
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
const MAX_MEMBERS = 10_000;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Member name (as in the archive, `/`-separated) → its uncompressed bytes; only those `wanted` when given. Folders are left out. */
export function unzip(archive: Buffer, wanted: (name: string) => boolean = () => true): Map<string, Buffer> {
  const eocd = findEndOfDirectory(archive);
  const count = archive.readUInt16LE(eocd + 10);
  const directorySize = archive.readUInt32LE(eocd + 12);
  const directoryOffset = archive.readUInt32LE(eocd + 16);
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new IngestFileError(1, 'the zip archive is a Zip64 archive, which the hub does not read: zip it again without Zip64');
  if (count > MAX_MEMBERS) throw new IngestFileError(1, `the zip archive holds more than ${MAX_MEMBERS} members`);
  if (directoryOffset + directorySize > archive.length) throw new IngestFileError(1, 'the zip archive is truncated (its directory points beyond its end)');
  const members = new Map<string, Buffer>();
  let total = 0;
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > archive.length || archive.readUInt32LE(at) !== CENTRAL) throw new IngestFileError(1, 'the zip archive\'s directory is corrupt');
    const crc = archive.readUInt32LE(at + 16);
    const flags = archive.readUInt16LE(at + 8);
    const method = archive.readUInt16LE(at + 10);
    const compressedSize = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localOffset = archive.readUInt32LE(at + 42);
    // Bit 11: the name is UTF-8; otherwise CP437, which is ASCII for every name a shapefile's parts have.
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/') || !wanted(name)) continue;
    if (flags & 0x1) throw new IngestFileError(1, `the zip member ${name} is encrypted`);
    total += size;
    if (total > MAX_TOTAL_BYTES) throw new IngestFileError(1, `the zip archive unpacks to more than ${MAX_TOTAL_BYTES / 1024 / 1024} MB`);
    if (localOffset + 30 > archive.length || archive.readUInt32LE(localOffset) !== LOCAL) throw new IngestFileError(1, `the zip member ${name} is corrupt (no local header)`);
    const start = localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
    if (start + compressedSize > archive.length) throw new IngestFileError(1, `the zip member ${name} is truncated`);
    const raw = archive.subarray(start, start + compressedSize);
    let bytes: Buffer;
    if (method === 0) bytes = Buffer.from(raw);
    else if (method === 8) {
      try {
        bytes = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch {
        throw new IngestFileError(1, `the zip member ${name} is corrupt (it does not inflate to its declared ${size} bytes)`);
      }
    } else throw new IngestFileError(1, `the zip member ${name} uses compression method ${method}; the hub reads stored and deflated members`);
    if (bytes.length !== size || (crc32(bytes) >>> 0) !== crc) {
      throw new IngestFileError(1, `the zip member ${name} is corrupt (size or CRC differs from the directory)`);
    }
    members.set(name, bytes);
  }
  return members;
}

function findEndOfDirectory(archive: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  for (let at = archive.length - 22; at >= Math.max(0, archive.length - 22 - 0xffff); at--) {
    if (archive.readUInt32LE(at) === EOCD) return at;
  }
  throw new IngestFileError(1, 'the zip archive is truncated or corrupt (no end of central directory)');
}

/**
 * A zip archive of `files`, deflated, every member dated `date` (DOS time, local fields read as given):
 * the same files give the same bytes, so fixtures built by a script are reproducible.
 */
export function zip(files: { name: string; data: Buffer }[], date = new Date(Date.UTC(2025, 0, 1))): Buffer {
  const dosTime = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1);
  const dosDate = ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const packed = deflateRawSync(file.data, { level: 9 });
    const crc = crc32(file.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
