import { IngestFileError } from './errors.ts';
import { splitRecord } from './csv.ts';
import type { Source } from './source.ts';
import type { Confidence, Ingester } from './types.ts';

type Sample = Pick<Source, 'sample' | 'kind' | 'fileName'>;

/** The header of a delimited text file: its first non-blank line, split on `;`, tab or `,` (whichever it holds most), unquoted. */
export function headerOf(sample: Sample): string[] {
  if (sample.kind !== 'text') return [];
  const line = sample.sample.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  if (/^\s*[[{]/.test(line)) return [];
  const counts = [';', '\t', ','].map((d) => [d, line.split(d).length - 1] as const).sort((a, b) => b[1] - a[1]);
  const delimiter = counts[0]![1] > 0 ? counts[0]![0] : ',';
  return splitRecord(line, delimiter).map((f) => f.trim());
}

/** The lower-cased header, accents kept. */
export const lowerHeaderOf = (sample: Sample) => headerOf(sample).map((f) => f.toLowerCase());

/** Member names of the JSON objects in the sample (any depth), e.g. `sensordatavalues`, `code_qual`. */
export function jsonMembersOf(sample: Sample): Set<string> {
  if (sample.kind !== 'text' || !/^\s*[[{]/.test(sample.sample)) return new Set();
  return new Set([...sample.sample.matchAll(/"((?:[^"\\]|\\.){1,80})"\s*:/g)].map((m) => m[1]!));
}

/** True when the sample is a JSON document holding every one of `members`. */
export const hasMembers = (sample: Sample, ...members: string[]) => {
  const found = jsonMembersOf(sample);
  return members.every((m) => found.has(m));
};

/** True when the header holds every one of `columns` (compared lower-case). */
export const hasColumns = (sample: Sample, ...columns: string[]) => {
  const header = lowerHeaderOf(sample);
  return columns.every((c) => header.includes(c.toLowerCase()));
};

/**
 * The reader for a producer's file: the one named by `format`, or the one whose content signature is
 * strongest (a name hint only breaks a tie). An unknown or ambiguous file is refused with the candidates.
 */
export function pickIngester(ingesters: readonly Ingester[], source: Sample, format?: string): Ingester {
  const list = ingesters.map((i) => `${i.format} (${i.description})`).join('; ');
  if (format) {
    const named = ingesters.find((i) => i.format === format);
    if (!named) throw new IngestFileError(0, `no format "${format}" here; the formats read are: ${list}`);
    return named;
  }
  const scored = ingesters
    .map((ingester) => ({ ingester, confidence: ingester.detect(source), hinted: !!source.fileName && !!ingester.nameHint?.test(source.fileName) }))
    .filter((s) => s.confidence > 0)
    .sort((a, b) => b.confidence - a.confidence || Number(b.hinted) - Number(a.hinted));
  const best = scored[0];
  if (!best) throw new IngestFileError(1, `the file's content matches none of the formats read here: ${list}`);
  const rivals = scored.filter((s) => s.confidence === best.confidence && s.hinted === best.hinted);
  if (rivals.length > 1) {
    throw new IngestFileError(1, `the file could be any of ${rivals.map((r) => r.ingester.format).join(', ')}: name its format (--format, or \`format\`)`);
  }
  return best.ingester;
}

export type { Confidence };
