import type { CatalogWords } from '../../catalog/catalogWords.ts';
import type { LicenceCode } from '../../catalog/readOpenData.ts';
import { OPEN_COLLECTIONS } from '../../opendata/collections/index.ts';
import type { OpenRouteOptions } from '../../opendata/openRoute.ts';
import type { PageLang } from '../pageLang.ts';
import { ATMO_CLASSES, MAP_WORDS } from './mapWords.ts';
import { URBAN_FIELDS, type MapLayer } from './mapValues.ts';

/** The open collection each layer draws (its producer, licence and exports); `base` is the referential. */
const COLLECTION_OF: Record<MapLayer | 'base', string> = {
  base: 'territories',
  atmo: 'air-quality-index',
  health: 'health-indicators',
  urban: 'urban-indicators',
  stations: 'air-stations',
  sensors: 'citizen-sensors',
  groundwater: 'groundwater-points',
};

const LICENCE_NAMES: Record<LicenceCode, string> = { LICENCE_OUVERTE_2: 'Licence Ouverte 2.0', ODBL: 'ODbL 1.0', CC_BY_4: 'CC BY 4.0' };

/** What the page's script needs besides the data: words, extents, choices, attributions. Passed as a data attribute. */
export interface MapConfig {
  lang: PageLang;
  words: (typeof MAP_WORDS)[PageLang];
  atmoClasses: { index: number; color: string; label: string }[];
  /** [minLon, minLat, maxLon, maxLat] of the referential. */
  bbox: number[] | null;
  /** Days with an indice ATMO: the date control's bounds and default (the latest). */
  dates: { min: string | null; max: string | null };
  health: { indicators: { code: string; label: string; unit: string }[]; periods: string[] };
  urban: { fields: { code: string; label: string }[] };
  /** Per layer: who produced it and under which licence(s), and the export of its collection. */
  layers: Record<string, { producer: string; licences: { name: string; uri: string }[]; exports: string }>;
}

/**
 * Builds the page's configuration from the open data the catalogue reads (extents, sensors' licences) and one
 * cheap anonymous operation (the health catalogue); a failed read leaves the choices empty, the page still works.
 */
export async function mapConfig(options: OpenRouteOptions, words: CatalogWords, lang: PageLang, client: { client: string; requestId: string }): Promise<MapConfig> {
  const open = await options.openData().catch(() => undefined);
  const temporal = (kind: string) => open?.datasets.find((d) => d.kind === kind)?.temporal;
  const indicators = await options
    .query(`{ healthIndicators { code label unit } }`, {}, client)
    .then((d) => d.healthIndicators as { code: string; label: string; unit: string }[])
    .catch(() => []);
  const healthYears = temporal('health-indicators');
  const periods: string[] = [];
  if (healthYears) for (let y = Number(healthYears.end.slice(0, 4)); y >= Number(healthYears.start.slice(0, 4)); y--) periods.push(String(y));
  const layers: MapConfig['layers'] = {};
  for (const [layer, id] of Object.entries(COLLECTION_OF)) {
    const collection = OPEN_COLLECTIONS.find((c) => c.id === id)!;
    const dataset = open?.datasets.find((d) => d.kind === collection.dataset);
    const codes = [...new Set([...(words.datasets[collection.dataset]?.licence ? [words.datasets[collection.dataset]!.licence!] : []), ...(dataset?.licences ?? [])])];
    layers[layer] = {
      producer: options.titles.get(collection.producer) ?? collection.producer,
      licences: codes.map((code) => ({ name: LICENCE_NAMES[code] ?? code, uri: words.licences[code] ?? '' })),
      exports: `/exports/${collection.id}`,
    };
  }
  const atmo = temporal('air-quality-index');
  return {
    lang,
    words: MAP_WORDS[lang],
    atmoClasses: ATMO_CLASSES.map((c) => ({ index: c.index, color: c.color, label: c[lang] })),
    bbox: open?.bbox ?? null,
    dates: { min: atmo?.start.slice(0, 10) ?? null, max: atmo?.end.slice(0, 10) ?? null },
    health: { indicators, periods },
    urban: { fields: URBAN_FIELDS.map((code) => ({ code, label: MAP_WORDS[lang].urbanField[code] ?? code })) },
    layers,
  };
}
