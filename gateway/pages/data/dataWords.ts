import type { TypeKind } from './inventory.ts';

/** The page's own words. The data's words (descriptions in the SDL, the catalogue's titles) are their authors'. */
export interface DataWords {
  locale: string;
  colon: string;
  title: string;
  intro: string;
  /** SDL descriptions are written in English: on the French page they are marked so. */
  schemaLanguage: string;
  readAt: (when: string) => string;
  summary: (datasets: number, types: number, fields: number, restricted: number) => string;
  matching: (datasets: number | string, types: number | string, fields: number | string) => string;
  filters: string;
  search: string;
  searchHint: string;
  producer: string;
  theme: string;
  access: string;
  territory: string;
  all: string;
  epcis: string;
  communes: string;
  apply: string;
  reset: string;
  onThisPage: string;
  datasets: string;
  datasetsIntro: string;
  types: string;
  typesIntro: string;
  territoryNote: string;
  restrictedTitle: string;
  restrictedIntro: string;
  open: string;
  restricted: string;
  partly: string;
  levels: { open: string; restricted: string };
  scope: string;
  anyToken: string;
  legalBasis: string;
  reference: string;
  reachedThrough: string;
  write: string;
  licence: string;
  provenance: string;
  synthetic: string;
  real: string;
  approximate: string;
  sources: string;
  spatial: string;
  places: (n: number) => string;
  bbox: string;
  temporal: string;
  frequency: string;
  modified: string;
  rows: string;
  records: (n: string) => string;
  notCounted: string;
  metadataOnly: string;
  quality: string;
  sensorQuality: (q: { sensors: string; scored: string; min: string; median: string; max: string }) => string;
  flags: string;
  qcComputed: string;
  secrecy: (values: string, suppressed: string) => string;
  validatedOnly: string;
  moderation: string;
  readThrough: string;
  howToGet: string;
  openInGraphiql: string;
  openInGraphiqlOf: (name: string) => string;
  showQuery: string;
  noQuery: string;
  exports: string;
  ogc: string;
  catalogueEntry: string;
  landingPage: string;
  producers: string;
  kind: Record<TypeKind, string>;
  field: string;
  type: string;
  unit: string;
  perRecord: string;
  unitValues: string;
  noUnit: string;
  arguments: string;
  defaultValue: string;
  description: string;
  values: string;
  deprecated: string;
  noMatch: string;
  frequencies: Record<string, string>;
  errorTitle: string;
  errorText: string;
  requestId: string;
}

const FREQUENCIES_FR: Record<string, string> = { HOURLY: 'Horaire', DAILY: 'Quotidienne', WEEKLY: 'Hebdomadaire', MONTHLY: 'Mensuelle', QUARTERLY: 'Trimestrielle', ANNUAL: 'Annuelle', IRREG: 'Irrégulière' };
const FREQUENCIES_EN: Record<string, string> = { HOURLY: 'Hourly', DAILY: 'Daily', WEEKLY: 'Weekly', MONTHLY: 'Monthly', QUARTERLY: 'Quarterly', ANNUAL: 'Annual', IRREG: 'Irregular' };

export const WORDS: Record<'fr' | 'en', DataWords> = {
  fr: {
    locale: 'fr-FR',
    colon: '\u00a0:',
    title: 'Cartographie des données',
    intro: 'L\'inventaire de tout ce que le hub publie, généré au démarrage depuis le supergraphe (types, champs, producteurs, accès, bases légales) et, à chaque lecture, depuis les données ouvertes elles-mêmes (couvertures, volumes, qualité), lues par l\'API anonyme. Rien n\'y est écrit à la main.',
    schemaLanguage: 'Les descriptions du schéma sont en anglais, telles que les producteurs les ont écrites.',
    readAt: (when) => `Données lues le ${when}.`,
    summary: (d, t, f, r) => `${d} jeux de données, ${t} types, ${f} champs dont ${r} restreints.`,
    matching: (d, t, f) => `Correspondent aux filtres${'\u00a0'}: ${d} jeux de données, ${t} types, ${f} champs.`,
    filters: 'Filtrer l\'inventaire',
    search: 'Rechercher',
    searchHint: 'Un mot d\'un titre, d\'une description ou d\'un nom de champ (ex. asthme, PM2.5, nitrates).',
    producer: 'Producteur',
    theme: 'Thème',
    access: 'Accès',
    territory: 'Territoire',
    all: 'Tous',
    epcis: 'Intercommunalités (EPCI)',
    communes: 'Communes',
    apply: 'Filtrer',
    reset: 'Tout afficher',
    onThisPage: 'Sur cette page',
    datasets: 'Jeux de données',
    datasetsIntro: 'Chaque jeu du catalogue DCAT-AP du hub (/catalog), avec ce que les données ouvertes disent d\'elles-mêmes.',
    types: 'Types et champs',
    typesIntro: 'Chaque type du supergraphe, ses champs et leurs arguments, avec le producteur qui les sert, leur niveau d\'accès et l\'unité que leur description indique.',
    territoryNote: 'Le filtre de territoire ne s\'applique qu\'aux jeux de données : le schéma est le même pour tout le territoire.',
    restrictedTitle: 'Données restreintes et bases légales',
    restrictedIntro: 'Les champs qu\'un appel anonyme ne peut pas lire : leur existence, le droit (scope) qui les ouvre et la raison légale, jamais leurs valeurs.',
    open: 'Ouvert',
    restricted: 'Restreint',
    partly: 'Ouvert en partie',
    levels: { open: 'Ouvert', restricted: 'Restreint' },
    scope: 'Scope',
    anyToken: 'tout appel authentifié',
    legalBasis: 'Base légale',
    reference: 'Référence',
    reachedThrough: 'Atteint seulement par',
    write: 'écriture (mutation) : aucune donnée lue',
    licence: 'Licence',
    provenance: 'Provenance',
    synthetic: 'Synthétique (jeu d\'essai du hub, pas des données réelles)',
    real: 'Réelle',
    approximate: 'contours approximatifs',
    sources: 'Sources',
    spatial: 'Couverture spatiale',
    places: (n) => `${n} territoire${n > 1 ? 's' : ''}`,
    bbox: 'emprise',
    temporal: 'Couverture temporelle',
    frequency: 'Fréquence de mise à jour',
    modified: 'Dernière mise à jour',
    rows: 'Volume',
    records: (n) => `${n} enregistrements`,
    notCounted: 'non compté (série longue : le contrat ne donne pas de total)',
    metadataOnly: 'métadonnées seulement : les données sont sur le portail de la collectivité',
    quality: 'Qualité',
    sensorQuality: (q) => `${q.sensors} capteurs validés, ${q.scored} avec un score de contrôle qualité (min ${q.min}, médiane ${q.median}, max ${q.max})`,
    flags: 'heures signalées',
    qcComputed: 'contrôle calculé le',
    secrecy: (v, s) => `${v} valeurs ouvertes, dont ${s} masquées par le secret statistique`,
    validatedOnly: 'seules les valeurs validées sont ouvertes',
    moderation: 'validée par les modérateurs de la collectivité',
    readThrough: 'Types',
    howToGet: 'Y accéder',
    openInGraphiql: 'Ouvrir la requête dans GraphiQL',
    openInGraphiqlOf: (name) => `Ouvrir la requête de ${name} dans GraphiQL`,
    showQuery: 'Voir la requête GraphQL',
    noQuery: 'Pas de requête anonyme : ce type n\'est pas dans le contrat ouvert.',
    exports: 'Exports',
    ogc: 'API OGC – Features',
    catalogueEntry: 'Fiche DCAT-AP',
    landingPage: 'Page du portail',
    producers: 'Producteur(s)',
    kind: { object: 'objet', interface: 'interface', union: 'union', enum: 'énumération', input: 'entrée', scalar: 'scalaire' },
    field: 'Champ',
    type: 'Type',
    unit: 'Unité',
    perRecord: 'propre à chaque enregistrement',
    unitValues: 'valeurs indiquées',
    noUnit: 'aucune indiquée',
    arguments: 'Arguments',
    defaultValue: 'défaut',
    description: 'Description',
    values: 'Valeurs',
    deprecated: 'Obsolète',
    noMatch: 'Rien ne correspond à ces filtres.',
    frequencies: FREQUENCIES_FR,
    errorTitle: 'Inventaire indisponible',
    errorText: 'Les données ouvertes n\'ont pas pu être lues (un producteur ne répond pas). Réessayez dans une minute.',
    requestId: 'Identifiant de la requête',
  },
  en: {
    locale: 'en-GB',
    colon: ':',
    title: 'Data inventory',
    intro: 'The inventory of everything the hub publishes, generated at start from the supergraph (types, fields, producers, access, legal bases) and, at each read, from the open data itself (coverage, volumes, quality), read through the anonymous API. Nothing in it is written by hand.',
    schemaLanguage: '',
    readAt: (when) => `Data read on ${when}.`,
    summary: (d, t, f, r) => `${d} datasets, ${t} types, ${f} fields of which ${r} restricted.`,
    matching: (d, t, f) => `Matching the filters: ${d} datasets, ${t} types, ${f} fields.`,
    filters: 'Filter the inventory',
    search: 'Search',
    searchHint: 'A word of a title, a description or a field name (e.g. asthma, PM2.5, nitrates).',
    producer: 'Producer',
    theme: 'Theme',
    access: 'Access',
    territory: 'Territory',
    all: 'All',
    epcis: 'Intercommunalities (EPCI)',
    communes: 'Communes',
    apply: 'Filter',
    reset: 'Show all',
    onThisPage: 'On this page',
    datasets: 'Datasets',
    datasetsIntro: 'Every dataset of the hub\'s DCAT-AP catalogue (/catalog), with what the open data says of itself.',
    types: 'Types and fields',
    typesIntro: 'Every type of the supergraph, its fields and their arguments, with the producer that serves them, their access level and the unit their description states.',
    territoryNote: 'The territory filter applies to datasets only: the schema is the same for the whole territory.',
    restrictedTitle: 'Restricted data and legal bases',
    restrictedIntro: 'The fields an anonymous call cannot read: that they exist, the scope that opens them and the legal reason, never their values.',
    open: 'Open',
    restricted: 'Restricted',
    partly: 'Partly open',
    levels: { open: 'Open', restricted: 'Restricted' },
    scope: 'Scope',
    anyToken: 'any authenticated caller',
    legalBasis: 'Legal basis',
    reference: 'Reference',
    reachedThrough: 'Reached only through',
    write: 'a write (mutation): no data is read',
    licence: 'Licence',
    provenance: 'Provenance',
    synthetic: 'Synthetic (the hub\'s seed, not real data)',
    real: 'Real',
    approximate: 'approximate outlines',
    sources: 'Sources',
    spatial: 'Spatial coverage',
    places: (n) => `${n} territor${n > 1 ? 'ies' : 'y'}`,
    bbox: 'extent',
    temporal: 'Temporal coverage',
    frequency: 'Update frequency',
    modified: 'Last update',
    rows: 'Volume',
    records: (n) => `${n} records`,
    notCounted: 'not counted (a long series: the contract gives no total)',
    metadataOnly: 'metadata only: the data is on the collectivity\'s portal',
    quality: 'Quality',
    sensorQuality: (q) => `${q.sensors} validated sensors, ${q.scored} with a quality-control score (min ${q.min}, median ${q.median}, max ${q.max})`,
    flags: 'hours flagged',
    qcComputed: 'control computed on',
    secrecy: (v, s) => `${v} open values, of which ${s} withheld by statistical secrecy`,
    validatedOnly: 'only validated values are open',
    moderation: 'validated by the collectivity\'s moderators',
    readThrough: 'Types',
    howToGet: 'How to get it',
    openInGraphiql: 'Open the query in GraphiQL',
    openInGraphiqlOf: (name) => `Open the query of ${name} in GraphiQL`,
    showQuery: 'Show the GraphQL query',
    noQuery: 'No anonymous query: this type is not in the open contract.',
    exports: 'Exports',
    ogc: 'OGC API – Features',
    catalogueEntry: 'DCAT-AP record',
    landingPage: 'Portal page',
    producers: 'Producer(s)',
    kind: { object: 'object', interface: 'interface', union: 'union', enum: 'enum', input: 'input', scalar: 'scalar' },
    field: 'Field',
    type: 'Type',
    unit: 'Unit',
    perRecord: 'per record',
    unitValues: 'values stated',
    noUnit: 'none stated',
    arguments: 'Arguments',
    defaultValue: 'default',
    description: 'Description',
    values: 'Values',
    deprecated: 'Deprecated',
    noMatch: 'Nothing matches these filters.',
    frequencies: FREQUENCIES_EN,
    errorTitle: 'Inventory unavailable',
    errorText: 'The open data could not be read (a producer does not answer). Try again in a minute.',
    requestId: 'Request id',
  },
};
