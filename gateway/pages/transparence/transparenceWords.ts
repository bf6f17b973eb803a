import type { PageLang } from '../pageLang.ts';
import type { DatasetRequestStatus } from './readTransparency.ts';

/** The dashboard's own words; the data (names, definitions, steps, requests) is the collectivity's, in French. */
export interface TransparenceWords {
  locale: string;
  /** What follows a label (French typography puts a no-break space before the colon). */
  colon: string;
  title: string;
  intro: string;
  dataLanguage?: string;
  synthetic: string;
  readAt: string;
  onThisPage: string;
  indicators: string;
  indicatorsIntro: string;
  processes: string;
  processesIntro: string;
  requests: string;
  requestsIntro: string;
  definition: string;
  method: string;
  ownerService: string;
  unit: string;
  periodicity: string;
  source: string;
  period: string;
  value: string;
  showValues: (count: number) => string;
  /** Follows the indicator's name in its table's caption. */
  valuesCaption: (unit: string) => string;
  chartLabel: (name: string, from: string, to: string, first: string, last: string) => string;
  noValues: string;
  step: (n: number) => string;
  who: string;
  typicalDuration: string;
  varies: string;
  noSteps: string;
  votes: (n: number) => string;
  status: string;
  statusReason: string;
  requestedOn: string;
  none: string;
  statuses: Record<DatasetRequestStatus, string>;
  units: Record<string, string>;
  periodicities: Record<string, string>;
  quarter: (q: number, year: number) => string;
  errorTitle: string;
  errorText: string;
  requestId: string;
}

export const WORDS: Record<PageLang, TransparenceWords> = {
  fr: {
    locale: 'fr-FR',
    colon: '\u00a0: ',
    title: 'Transparence',
    intro: 'Les indicateurs de transparence de la collectivité au fil du temps, ses processus de décision expliqués étape par étape, et les jeux de données demandés par le comité des usagers.',
    synthetic: 'Ces données sont des exemples générés pour le projet : ce ne sont pas les chiffres réels de la collectivité.',
    readAt: 'Données lues le',
    onThisPage: 'Sur cette page',
    indicators: 'Indicateurs de transparence',
    indicatorsIntro: 'Chaque graphique est suivi du tableau de ses valeurs.',
    processes: 'Processus de décision',
    processesIntro: 'Qui examine, qui décide et dans quels délais.',
    requests: 'Demandes de jeux de données du comité des usagers',
    requestsIntro: 'Les demandes les plus soutenues d’abord ; les votes fixent les priorités du comité.',
    definition: 'Définition',
    method: 'Méthode de calcul',
    ownerService: 'Service responsable',
    unit: 'Unité',
    periodicity: 'Périodicité',
    source: 'Source',
    period: 'Période',
    value: 'Valeur',
    showValues: (n) => `Tableau des valeurs (${n})`,
    valuesCaption: (unit) => `\u00a0: valeurs par période (${unit})`,
    chartLabel: (name, from, to, first, last) => `Graphique en courbe : ${name}, de ${from} (${first}) à ${to} (${last}). Les valeurs sont dans le tableau qui suit.`,
    noValues: 'Aucune valeur publiée pour l’instant.',
    step: (n) => `Étape ${n}`,
    who: 'Qui agit ou décide',
    typicalDuration: 'Durée habituelle',
    varies: 'variable',
    noSteps: 'Étapes non décrites pour l’instant.',
    votes: (n) => (n <= 1 ? `${n} vote` : `${n} votes`),
    status: 'Statut',
    statusReason: 'Motif',
    requestedOn: 'Demandé le',
    none: 'Aucune pour l’instant.',
    statuses: { RECEIVED: 'Reçue, pas encore examinée', PLANNED: 'Publication prévue', PUBLISHED: 'Publiée', DECLINED: 'Refusée' },
    units: { '%': '%', days: 'jours', count: 'nombre' },
    periodicities: { MONTHLY: 'mensuelle', QUARTERLY: 'trimestrielle', YEARLY: 'annuelle' },
    quarter: (q, year) => `T${q} ${year}`,
    errorTitle: 'Tableau de bord indisponible',
    errorText: 'Les données de transparence n’ont pas pu être lues pour le moment. Réessayez dans quelques instants.',
    requestId: 'Identifiant de la requête (à communiquer à l’exploitant du hub)',
  },
  en: {
    locale: 'en-GB',
    colon: ': ',
    title: 'Transparency',
    intro: 'The collectivity’s transparency indicators over time, its decision processes explained step by step, and the datasets requested by the users’ committee.',
    dataLanguage: 'The collectivity publishes these indicators, processes and requests in French: they are shown as published.',
    synthetic: 'These data are examples generated for the project: they are not the collectivity’s real figures.',
    readAt: 'Data read on',
    onThisPage: 'On this page',
    indicators: 'Transparency indicators',
    indicatorsIntro: 'Each chart is followed by the table of its values.',
    processes: 'Decision processes',
    processesIntro: 'Who examines, who decides, and how long it takes.',
    requests: 'Dataset requests of the users’ committee',
    requestsIntro: 'Most supported requests first; votes set the committee’s priorities.',
    definition: 'Definition',
    method: 'Method',
    ownerService: 'Owner service',
    unit: 'Unit',
    periodicity: 'Periodicity',
    source: 'Source',
    period: 'Period',
    value: 'Value',
    showValues: (n) => `Table of values (${n})`,
    valuesCaption: (unit) => `: values by period (${unit})`,
    chartLabel: (name, from, to, first, last) => `Line chart: ${name}, from ${from} (${first}) to ${to} (${last}). The values are in the table that follows.`,
    noValues: 'No value published yet.',
    step: (n) => `Step ${n}`,
    who: 'Who acts or decides',
    typicalDuration: 'Typical duration',
    varies: 'varies',
    noSteps: 'Steps not described yet.',
    votes: (n) => (n === 1 ? '1 vote' : `${n} votes`),
    status: 'Status',
    statusReason: 'Reason',
    requestedOn: 'Requested on',
    none: 'None yet.',
    statuses: { RECEIVED: 'Received, not yet examined', PLANNED: 'Publication planned', PUBLISHED: 'Published', DECLINED: 'Declined' },
    units: { '%': '%', days: 'days', count: 'count' },
    periodicities: { MONTHLY: 'monthly', QUARTERLY: 'quarterly', YEARLY: 'yearly' },
    quarter: (q, year) => `Q${q} ${year}`,
    errorTitle: 'Dashboard unavailable',
    errorText: 'The transparency data could not be read just now. Please try again in a few moments.',
    requestId: 'Request id (to quote to the hub’s operator)',
  },
};
