import type { Knex } from 'knex';
import type { Ingester } from '../../../lib/ingest/types.ts';
import { readCsv } from '../../../lib/ingest/csv.ts';
import { hasColumns } from '../../../lib/ingest/detect.ts';
import { IngestFileError, reject } from '../../../lib/ingest/errors.ts';
import { syntheticFlag } from '../../../lib/ingest/synthetic.ts';
import { outside } from '../../../lib/ingest/geometry.ts';
import { check, parseNumber, runIngestion, type Parsed } from '../../../lib/ingest/runner.ts';
import { columnsOf, sourceOf, textOf, upsertWhere } from './common.ts';
import { communeNamed } from './communes.ts';
import { parisDay } from './moments.ts';

/*
 * The LCSQA list of measurement sites ("D" metadata of the national dataset, sheet AirQualityStations), saved
 * as CSV: NatlStationCode, Name, Municipality, Latitude, Longitude (WGS84), AreaClassification (an Eionet
 * URI), ActivityBegin, ActivityEnd… The list is national: stations outside the hub's territory are left out
 * and counted. A station the hub already holds keeps the commune it was placed in (point in polygon);
 * a new one gets the commune its Municipality names.
 */

const REQUIRED = ['NatlStationCode', 'Name', 'Latitude', 'Longitude'] as const;
const OPTIONAL = ['Municipality', 'AreaClassification', 'ActivityBegin', 'ActivityEnd', 'synthetic'] as const;
const CODE = /^FR\d{5}$/;
const FRENCH_DATE = /^(\d{2})\/(\d{2})\/(\d{4})(?:\s.*)?$/;

interface StationRow {
  code: string;
  name: string;
  commune_code: string;
  epci_code: string | null;
  lon: number;
  lat: number;
  area_classification: string | null;
  activity_begin: string | null;
  activity_end: string | null;
  source: string;
  synthetic: boolean;
}

/** An activity date as the spreadsheet wrote it: ISO 8601 (a day, or an instant: its day in Europe/Paris) or DD/MM/YYYY. */
function activityDay(value: string | undefined, column: string): string | null {
  if (value === undefined) return null;
  const french = FRENCH_DATE.exec(value);
  return parisDay(french ? `${french[3]}-${french[2]}-${french[1]}` : value, column) ?? null;
}

/** `http://dd.eionet.europa.eu/vocabulary/aq/areaclassification/urban` is `urban`. */
const areaClassification = (value: string | undefined) => (value === undefined ? null : value.replace(/\/+$/, '').split('/').pop()!);

function write(trx: Knex.Transaction, batch: StationRow[]) {
  const rows = batch.map(({ lon, lat, ...row }) => ({ ...row, geom: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [lon, lat]) }));
  // The commune and EPCI of a station already held stay as placed (point in polygon on the real outlines).
  return upsertWhere(trx, 'atmo.station', ['code'], ['name', 'geom', 'area_classification', 'activity_begin', 'activity_end', 'source', 'synthetic'], rows, 'true');
}

export const lcsqaStationsCsv: Ingester = {
  producer: 'atmo',
  format: 'lcsqa-stations-csv',
  description: 'LCSQA list of measurement sites (sheet AirQualityStations saved as CSV: NatlStationCode, Name, Municipality, Latitude, Longitude…)',
  nameHint: /(station|site|points?[-_ ]de[-_ ]mesure|-d-)/i,
  detect: (s) => (hasColumns(s, 'NatlStationCode', 'Latitude', 'Longitude') ? 3 : 0),
  ingest: (knex, source, options) =>
    runIngestion<StationRow>(knex, {
      producer: 'atmo',
      format: 'lcsqa-stations-csv',
      encoding: source.encoding,
      options,
      key: (r) => r.code,
      write,
      rows: async function* (db): AsyncGenerator<Parsed<StationRow>> {
        const held = new Map(((await db('atmo.station').select('code', 'commune_code', 'epci_code')) as { code: string; commune_code: string; epci_code: string | null }[]).map((s) => [s.code, s]));
        const label = `LCSQA list of measurement sites (AirQualityStations): ${sourceOf(options)}`;
        let columns: Map<string, number> | undefined;
        for await (const { line, fields } of readCsv(source.text())) {
          if (!columns) {
            columns = columnsOf(fields, REQUIRED, OPTIONAL, 'the LCSQA AirQualityStations sheet');
            continue;
          }
          const map = columns;
          const get = (c: string) => { const i = map.get(c); return i === undefined ? undefined : textOf(fields[i]); };
          let away = false;
          const parsed = check(line, () => {
            if (fields.length < Math.max(...map.values()) + 1) reject(`expected ${map.size} fields, found ${fields.length} (truncated line?)`);
            const lat = parseNumber(get('Latitude'), 'Latitude')!;
            const lon = parseNumber(get('Longitude'), 'Longitude')!;
            if (Math.abs(lat) > 90 || Math.abs(lon) > 180) reject(`Latitude ${lat}, Longitude ${lon} are not WGS84 degrees`);
            if (outside({ type: 'Point', coordinates: [lon, lat] })) {
              away = true;
              return null;
            }
            const code = get('NatlStationCode') ?? '';
            if (!CODE.test(code)) reject(`NatlStationCode "${code}" is not a station code (FR and 5 digits)`);
            const name = get('Name') ?? reject('Name is empty');
            let place: { commune_code: string; epci_code: string | null } | undefined = held.get(code);
            if (!place) {
              const municipality = get('Municipality') ?? reject(`Municipality is empty: the commune of the new station ${code} is unknown`);
              const match = communeNamed(municipality);
              if (!match) reject(`Municipality "${municipality}" is not a commune of Bas-Rhin, Moselle or Vosges`);
              if (match && 'ambiguous' in match) reject(`Municipality "${municipality}" names several communes (${match.ambiguous.join(', ')})`);
              if (match && 'code' in match) place = { commune_code: match.code, epci_code: match.epci };
            }
            return {
              code,
              name,
              ...place!,
              lon,
              lat,
              area_classification: areaClassification(get('AreaClassification')),
              activity_begin: activityDay(get('ActivityBegin'), 'ActivityBegin'),
              activity_end: activityDay(get('ActivityEnd'), 'ActivityEnd'),
              source: label,
              synthetic: syntheticFlag(get('synthetic')),
            };
          });
          if (away) yield { line, skip: "outside the hub's territory" };
          else yield parsed as Parsed<StationRow>;
        }
        if (!columns) throw new IngestFileError(1, 'bad header: the file is empty');
      },
    }),
};
