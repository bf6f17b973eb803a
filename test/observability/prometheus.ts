import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export type Labels = Record<string, string>;
export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { labels?: Labels; value?: string }[];
}

/** A line of the text exposition format 0.0.4: a metric name, an optional label set, a value, an optional timestamp. */
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE = new RegExp(String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:${LABEL})(?:,${LABEL})*,?)?\})? (\S+)(?: -?\d+)?$`);
const LABELS = new RegExp(`(${String.raw`[a-zA-Z_][a-zA-Z0-9_]*`})="((?:[^"\\\\\n]|\\\\[\\\\"n])*)"`, 'g');

export interface Exposition {
  families: Map<string, Family>;
  /** Every sample line, with the labels parsed (histograms' `_bucket`, `_sum` and `_count` included). */
  samples: { name: string; labels: Labels; value: number }[];
}

/**
 * Reads a `/metrics` answer twice: with parse-prometheus-text-format (families, HELP, TYPE, counter and gauge
 * samples), and line by line against the format's grammar, which the library does not enforce (it skips
 * lines it cannot read) and which keeps each labelled histogram series (the library merges them into one).
 * Throws on any line that is not a comment or a well-formed sample of a declared family.
 */
export function readExposition(text: string): Exposition {
  const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  const declared = new Map<string, string>();
  const samples: Exposition['samples'] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      if (declared.has(type[1]!)) throw new Error(`family ${type[1]} declared twice`);
      declared.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText = '', raw] = sample as unknown as [string, string, string | undefined, string];
    // Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes `Nan`).
    const special = /^([+-]?)(inf|nan)$/i.exec(raw);
    const value = special ? (special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity) : Number(raw);
    if (Number.isNaN(value) && !special) throw new Error(`not a value: ${line}`);
    const family = declared.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!declared.has(family)) throw new Error(`sample of an undeclared family: ${line}`);
    const labels = Object.fromEntries([...labelText.matchAll(LABELS)].map((m) => [m[1]!, m[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')]));
    samples.push({ name, labels, value });
  }
  for (const name of declared.keys()) if (!families.has(name)) throw new Error(`the parser did not read family ${name}`);
  return { families, samples };
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function total(exposition: Exposition, name: string, labels: Labels = {}): number {
  return exposition.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
