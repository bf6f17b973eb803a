import rdf from '@zazuko/env-node';
import type { NamedNode, Quad_Object, Quad_Subject } from '@rdfjs/types';
import { fill, type CatalogWords, type Texts } from './catalogWords.ts';
import type { BBox, OpenData, OpenDataset } from './readOpenData.ts';

/** The vocabularies of DCAT-AP 3.0, and the prefixes the serialisations use for them. */
export const PREFIXES: [string, string][] = [
  ['dcat', 'http://www.w3.org/ns/dcat#'],
  ['dct', 'http://purl.org/dc/terms/'],
  ['foaf', 'http://xmlns.com/foaf/0.1/'],
  ['vcard', 'http://www.w3.org/2006/vcard/ns#'],
  ['locn', 'http://www.w3.org/ns/locn#'],
  ['gsp', 'http://www.opengis.net/ont/geosparql#'],
  ['skos', 'http://www.w3.org/2004/02/skos/core#'],
  ['rdfs', 'http://www.w3.org/2000/01/rdf-schema#'],
  ['xsd', 'http://www.w3.org/2001/XMLSchema#'],
];
const ns = Object.fromEntries(PREFIXES.map(([prefix, iri]) => [prefix, (local: string) => rdf.namedNode(iri + local)])) as Record<string, (local: string) => NamedNode>;
const { dcat, dct, foaf, vcard, locn, gsp, skos, rdfs, xsd } = ns as Record<'dcat' | 'dct' | 'foaf' | 'vcard' | 'locn' | 'gsp' | 'skos' | 'rdfs' | 'xsd', (local: string) => NamedNode>;
const a = rdf.namedNode('http://www.w3.org/1999/02/22-rdf-syntax-ns#type');

const EU = 'http://publications.europa.eu/resource/authority/';
/** INSEE's linked-data URIs of the Code officiel géographique, by code (a commune's INSEE code, an EPCI's SIREN). */
const INSEE_COMMUNE = 'http://id.insee.fr/geo/commune/';
const INSEE_EPCI = 'http://id.insee.fr/geo/intercommunalite/';

const slug = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const round = (value: number) => Math.round(value * 1e6) / 1e6;

/** A bounding box as a WKT polygon in CRS84 (lon lat), GeoSPARQL's default; a point grows to ~50 m. */
export function wkt([minLon, minLat, maxLon, maxLat]: BBox): string {
  const pad = (lo: number, hi: number) => (hi - lo < 1e-6 ? [lo - 0.0005, hi + 0.0005] : [lo, hi]);
  const [x0, x1] = pad(minLon, maxLon).map(round) as [number, number];
  const [y0, y1] = pad(minLat, maxLat).map(round) as [number, number];
  return `POLYGON((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0}))`;
}

/** A date (YYYY-MM-DD) as xsd:date, an instant as xsd:dateTime. */
const when = (value: string) => rdf.literal(value, value.length === 10 ? xsd('date') : xsd('dateTime'));

export interface CatalogInput {
  data: OpenData;
  words: CatalogWords;
  /** The producers' public names, by producer (the supergraph's titles). */
  titles: Map<string, string>;
  /** The hub's public base URL, without a trailing slash. */
  base: string;
  /** The bulk exports and OGC API collections of each catalogue dataset (gateway/opendata/collections). @default none */
  downloads?: Download[];
}

/** One open collection as the catalogue distributes it: export files, and an OGC API collection when it has one. */
export interface Download {
  /** The collection's id (`/exports/<id>.<extension>`, `/ogc/collections/<id>`). */
  collection: string;
  /** The catalogue dataset kind it distributes (catalog.yaml `datasets.<kind>`). */
  dataset: string;
  title: { fr: string; en: string };
  /** Export formats: extension, IANA media type, EU file-type code when the EU table has one. */
  formats: { extension: string; label: string; mediaType?: string; fileType?: string }[];
  ogc: boolean;
}

/** OGC API – Features Part 1 Core, what the /ogc service conforms to. */
const OGC_FEATURES_CORE = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core';

/** The DCAT-AP 3.0 description of the open data: one dcat:Catalog, its datasets and the GraphQL data service. */
export function catalogGraph({ data, words, titles, base, downloads = [] }: CatalogInput) {
  const graph = rdf.dataset();
  const add = (s: Quad_Subject, p: NamedNode, o: Quad_Object) => graph.add(rdf.quad(s, p, o));
  const texts = (s: Quad_Subject, p: NamedNode, values: Texts) => {
    for (const [lang, text] of Object.entries(values)) if (text) add(s, p, rdf.literal(text.trim(), lang));
  };
  const here = (fragment: string) => rdf.namedNode(`${base}/catalog#${fragment}`);
  const catalog = rdf.namedNode(`${base}/catalog`);
  const service = here('graphql-api');
  const licence = (code: keyof CatalogWords['licences']) => {
    const node = rdf.namedNode(words.licences[code]);
    add(node, a, dct('LicenseDocument'));
    return node;
  };
  const themeScheme = rdf.namedNode(`${EU}data-theme`);
  const theme = (code: string) => {
    const node = rdf.namedNode(`${EU}data-theme/${code}`);
    add(node, a, skos('Concept'));
    add(node, skos('inScheme'), themeScheme);
    texts(node, skos('prefLabel'), words.themeLabels[code] ?? { en: code });
    return node;
  };
  const language = (code: string) => {
    const node = rdf.namedNode(`${EU}language/${code}`);
    add(node, a, dct('LinguisticSystem'));
    return node;
  };
  // SHACL reads no RDFS: a web resource DCAT-AP expects to be an rdfs:Resource or a foaf:Document is said to be one.
  const resource = (iri: string, type = rdfs('Resource')) => {
    const node = rdf.namedNode(iri);
    add(node, a, type);
    return node;
  };
  const endpoint = resource(`${base}/graphql`);
  const agents = new Map<string, NamedNode>();
  const agent = (name: Texts, homepage?: string): NamedNode => {
    const key = slug(name.fr ?? name.en ?? '');
    let node = agents.get(key);
    if (node) return node;
    node = here(`agent-${key}`);
    agents.set(key, node);
    add(node, a, foaf('Agent'));
    add(node, a, foaf('Organization'));
    texts(node, foaf('name'), name);
    if (homepage) add(node, foaf('homepage'), rdf.namedNode(homepage));
    return node;
  };
  const contacts = new Map<string, NamedNode>();
  const contact = (name: string, homepage: string): NamedNode => {
    const key = slug(name);
    let node = contacts.get(key);
    if (node) return node;
    node = here(`vcard-${key}`);
    contacts.set(key, node);
    add(node, a, vcard('Kind'));
    add(node, a, vcard('Organization'));
    add(node, vcard('fn'), rdf.literal(name));
    add(node, vcard('hasURL'), rdf.namedNode(homepage));
    return node;
  };
  const place = (code: string): NamedNode => {
    const epci = data.kinds.get(code) === 'EPCI' || (!data.kinds.has(code) && /^\d{9}$/.test(code));
    const node = rdf.namedNode(`${epci ? INSEE_EPCI : INSEE_COMMUNE}${code}`);
    add(node, a, dct('Location'));
    const name = data.names.get(code);
    if (name) add(node, rdfs('label'), rdf.literal(name, 'fr'));
    return node;
  };
  // Blank nodes are named after their dataset, so the same data gives the same text (and ETag) at every build.
  const spatial = (subject: NamedNode, name: string, codes: string[], bbox: BBox | undefined) => {
    for (const code of codes) add(subject, dct('spatial'), place(code));
    if (!bbox) return;
    const location = rdf.blankNode(`${name}-bbox`);
    add(subject, dct('spatial'), location);
    add(location, a, dct('Location'));
    const polygon = rdf.literal(wkt(bbox), gsp('wktLiteral'));
    add(location, dcat('bbox'), polygon);
    const geometry = rdf.blankNode(`${name}-geometry`);
    add(location, locn('geometry'), geometry);
    add(geometry, a, locn('Geometry'));
    add(geometry, gsp('asWKT'), polygon);
  };

  // The catalogue.
  const hub = agent(words.catalogue.publisher.name, words.catalogue.publisher.homepage);
  const hubContact = contact(words.catalogue.publisher.name.fr ?? '', words.catalogue.publisher.homepage);
  add(catalog, a, dcat('Catalog'));
  texts(catalog, dct('title'), words.catalogue.title);
  texts(catalog, dct('description'), words.catalogue.description);
  add(catalog, dct('publisher'), hub);
  // GraphiQL, for a browser, at the endpoint itself.
  add(endpoint, a, foaf('Document'));
  add(catalog, foaf('homepage'), endpoint);
  add(catalog, dct('license'), licence(words.catalogue.licence));
  for (const code of words.catalogue.languages) add(catalog, dct('language'), language(code));
  add(themeScheme, a, skos('ConceptScheme'));
  add(themeScheme, dct('title'), rdf.literal('Data theme', 'en'));
  add(catalog, dcat('themeTaxonomy'), themeScheme);
  spatial(catalog, 'catalog', data.epcis, data.bbox);
  add(catalog, dcat('service'), service);

  // The GraphQL endpoint: the one way in today.
  add(service, a, dcat('DataService'));
  texts(service, dct('title'), words.service.title);
  texts(service, dct('description'), words.service.description);
  add(service, dcat('endpointURL'), endpoint);
  add(service, dct('publisher'), hub);
  add(service, dcat('contactPoint'), hubContact);
  add(service, dct('license'), licence(words.catalogue.licence));
  const graphqlSpec = rdf.namedNode(words.service.conformsTo);
  add(graphqlSpec, a, dct('Standard'));
  add(service, dct('conformsTo'), graphqlSpec);

  // The OGC API – Features endpoint, for GIS tools: declared when a dataset has a collection there.
  const ogcService = here('ogc-api');
  if (downloads.some((d) => d.ogc)) {
    add(catalog, dcat('service'), ogcService);
    add(ogcService, a, dcat('DataService'));
    texts(ogcService, dct('title'), { fr: 'API OGC – Features du hub TIGA', en: 'OGC API – Features of the TIGA hub' });
    texts(ogcService, dct('description'), {
      fr: 'Les collections ouvertes pour les outils SIG (QGIS, GDAL/OGR, ArcGIS) : GeoJSON et HTML, pagination, filtres bbox et datetime, sorties en EPSG:2154 et EPSG:3948 (Partie 2).',
      en: 'The open collections for GIS tools (QGIS, GDAL/OGR, ArcGIS): GeoJSON and HTML, paging, bbox and datetime filters, output in EPSG:2154 and EPSG:3948 (Part 2).',
    });
    add(ogcService, dcat('endpointURL'), resource(`${base}/ogc`));
    add(ogcService, dcat('endpointDescription'), resource(`${base}/ogc/api`));
    add(ogcService, dct('publisher'), hub);
    add(ogcService, dcat('contactPoint'), hubContact);
    add(ogcService, dct('license'), licence(words.catalogue.licence));
    const ogcSpec = rdf.namedNode(OGC_FEATURES_CORE);
    add(ogcSpec, a, dct('Standard'));
    add(ogcService, dct('conformsTo'), ogcSpec);
  }

  const modified: string[] = [];
  for (const dataset of data.datasets) {
    const w = words.datasets[dataset.kind];
    if (!w) throw new Error(`catalog.yaml has no words for the dataset kind "${dataset.kind}"`);
    const node = here(dataset.id);
    add(catalog, dcat('dataset'), node);
    add(node, a, dcat('Dataset'));
    add(node, dct('identifier'), rdf.literal(`${base}/catalog#${dataset.id}`));
    const title: Texts = { fr: dataset.own?.title ?? (w.title.fr && fill(w.title.fr, dataset.vars)), en: w.title.en && fill(w.title.en, dataset.vars) };
    const description: Texts = { fr: dataset.own?.description ?? (w.description.fr && fill(w.description.fr, dataset.vars)), en: w.description.en && fill(w.description.en, dataset.vars) };
    texts(node, dct('title'), title);
    texts(node, dct('description'), description);
    const producerHome = words.producers[w.producer]!.homepage;
    const publisher = dataset.publisherName ? agent({ fr: dataset.publisherName }) : agent({ fr: titles.get(w.producer) ?? w.producer }, producerHome);
    add(node, dct('publisher'), publisher);
    add(node, dcat('contactPoint'), contact(titles.get(w.producer) ?? w.producer, producerHome));
    const themes = dataset.portalTheme ? [words.portalThemes[dataset.portalTheme] ?? 'GOVE'] : w.themes;
    for (const code of themes) add(node, dcat('theme'), theme(code));
    for (const [lang, keywords] of Object.entries(w.keywords)) for (const keyword of keywords ?? []) add(node, dcat('keyword'), rdf.literal(keyword, lang));
    const frequency = (dataset.periodicity && words.periodicities[dataset.periodicity]) || w.frequency;
    if (frequency) {
      const node2 = rdf.namedNode(`${EU}frequency/${frequency}`);
      add(node2, a, dct('Frequency'));
      add(node, dct('accrualPeriodicity'), node2);
    }
    add(node, dct('language'), language('FRA'));
    spatial(node, dataset.id, dataset.places, dataset.bbox);
    if (dataset.temporal) {
      const period = rdf.blankNode(`${dataset.id}-temporal`);
      add(node, dct('temporal'), period);
      add(period, a, dct('PeriodOfTime'));
      add(period, dcat('startDate'), when(dataset.temporal.start));
      add(period, dcat('endDate'), when(dataset.temporal.end));
    }
    if (dataset.modified) {
      add(node, dct('modified'), when(dataset.modified));
      modified.push(dataset.modified.slice(0, 10));
    }
    if (dataset.issued) add(node, dct('issued'), when(dataset.issued));
    if (w.conformsTo) {
      const standard = rdf.namedNode(w.conformsTo.uri);
      add(standard, a, dct('Standard'));
      texts(standard, dct('title'), w.conformsTo.title);
      add(node, dct('conformsTo'), standard);
    }
    const statement = rdf.blankNode(`${dataset.id}-provenance`);
    add(node, dct('provenance'), statement);
    add(statement, a, dct('ProvenanceStatement'));
    texts(statement, rdfs('label'), provenanceText(dataset));
    if (dataset.landingPage) {
      const page = rdf.namedNode(dataset.landingPage);
      add(page, a, foaf('Document'));
      add(node, dcat('landingPage'), page);
    }

    const licences = dataset.licences.length ? dataset.licences : w.licence ? [w.licence] : [];
    if (dataset.graphql) {
      add(service, dcat('servesDataset'), node);
      for (const code of licences) {
        const distribution = here(`${dataset.id}-graphql${licences.length > 1 ? `-${slug(code)}` : ''}`);
        add(node, dcat('distribution'), distribution);
        add(distribution, a, dcat('Distribution'));
        texts(distribution, dct('title'), { fr: 'Accès par l\'API GraphQL publique', en: 'Access through the public GraphQL API' });
        texts(distribution, dct('description'), licences.length > 1
          ? { fr: `Les enregistrements publiés sous ${code}, lus par l'API GraphQL (réponses JSON).`, en: `The records published under ${code}, read through the GraphQL API (JSON answers).` }
          : { fr: 'Lecture par l\'API GraphQL du hub, sans jeton (réponses JSON).', en: 'Read through the hub\'s GraphQL API, without a token (JSON answers).' });
        add(distribution, dcat('accessURL'), endpoint);
        add(distribution, dcat('accessService'), service);
        add(distribution, dct('license'), licence(code));
        add(distribution, dct('format'), fileType('JSON'));
      }
    }
    // Bulk exports: one distribution per collection and format, under the dataset's licence(s).
    for (const download of downloads.filter((d) => d.dataset === dataset.kind && dataset.graphql)) {
      if (download.ogc) add(ogcService, dcat('servesDataset'), node);
      for (const format of download.formats) {
        const distribution = here(`${dataset.id}-export-${download.collection}-${format.extension}`);
        const url = resource(`${base}/exports/${download.collection}.${format.extension}`);
        add(node, dcat('distribution'), distribution);
        add(distribution, a, dcat('Distribution'));
        texts(distribution, dct('title'), { fr: `${download.title.fr} (${format.label})`, en: `${download.title.en} (${format.label})` });
        texts(distribution, dct('description'), {
          fr: `Export complet en ${format.label}, généré à la demande depuis le contrat ouvert ; filtres territory, bbox, from, to et crs en paramètres.`,
          en: `Full export as ${format.label}, generated on request from the open contract; territory, bbox, from, to and crs filters as query parameters.`,
        });
        add(distribution, dcat('accessURL'), url);
        add(distribution, dcat('downloadURL'), url);
        for (const code of licences) add(distribution, dct('license'), licence(code));
        if (format.fileType) add(distribution, dct('format'), fileType(format.fileType));
        if (format.mediaType) {
          const media = rdf.namedNode(`http://www.iana.org/assignments/media-types/${format.mediaType}`);
          add(media, a, dct('MediaType'));
          add(distribution, dcat('mediaType'), media);
        }
      }
      if (download.ogc) {
        const distribution = here(`${dataset.id}-ogc-${download.collection}`);
        add(node, dcat('distribution'), distribution);
        add(distribution, a, dcat('Distribution'));
        texts(distribution, dct('title'), { fr: `${download.title.fr} (API OGC – Features)`, en: `${download.title.en} (OGC API – Features)` });
        add(distribution, dcat('accessURL'), resource(`${base}/ogc/collections/${download.collection}`));
        add(distribution, dcat('accessService'), ogcService);
        for (const code of licences) add(distribution, dct('license'), licence(code));
        add(distribution, dct('format'), fileType('GEOJSON'));
      }
    }
    if (!dataset.graphql && dataset.landingPage) {
      // The entry's own download page, one distribution per format it names (a distribution has one format).
      const formats = [...new Set((dataset.formats ?? []).map((format) => words.fileTypes[format.toUpperCase()]))];
      for (const code of formats) {
        const distribution = here(`${dataset.id}-portal${code ? `-${slug(code)}` : ''}`);
        add(node, dcat('distribution'), distribution);
        add(distribution, a, dcat('Distribution'));
        texts(distribution, dct('title'), { fr: 'Téléchargement sur le portail de la collectivité', en: 'Download from the collectivity\'s portal' });
        add(distribution, dcat('accessURL'), resource(dataset.landingPage));
        for (const licenceCode of licences) add(distribution, dct('license'), licence(licenceCode));
        if (code) add(distribution, dct('format'), fileType(code));
      }
    }
  }
  if (modified.length) add(catalog, dct('modified'), when(modified.sort().at(-1)!));
  return graph;

  function fileType(code: string): NamedNode {
    const node = rdf.namedNode(`${EU}file-type/${code}`);
    add(node, a, dct('MediaTypeOrExtent'));
    return node;
  }
}

/** What the catalogue says of where a dataset comes from: synthetic data says so, first. */
function provenanceText(dataset: OpenDataset): Texts {
  const sources = dataset.provenance.sources.join(' ; ');
  const fr: string[] = [];
  const en: string[] = [];
  if (dataset.provenance.synthetic) {
    fr.push('Données synthétiques : générées par le jeu d\'essai du hub TIGA (champ synthetic: true), ce ne sont pas des données réelles.');
    en.push('Synthetic data: generated by the TIGA hub\'s seed (field synthetic: true); these are not real data.');
  }
  if (dataset.provenance.approximate) {
    fr.push('Contours approximatifs générés par le projet, faute de fichier officiel.');
    en.push('Approximate outlines generated by the project, for want of an official file.');
  }
  if (sources) {
    fr.push(`Sources : ${sources}.`);
    en.push(`Sources: ${sources}.`);
  }
  return { fr: fr.join(' '), en: en.join(' ') };
}

