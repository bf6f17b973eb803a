/** The same JSON value with every object's keys sorted: two answers are equal when these strings are. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}

/** Where two JSON values first differ (`data.territory.airQuality[3].index: 2 ≠ 3`), or undefined when equal. */
export function firstDifference(expected: unknown, actual: unknown, at = ''): string | undefined {
  if (canonical(expected) === canonical(actual)) return undefined;
  const show = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value).slice(0, 160));
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return `${at || '(root)'}: ${expected.length} items ≠ ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const found = firstDifference(expected[i], actual[i], `${at}[${i}]`);
      if (found) return found;
    }
  }
  if (expected && actual && typeof expected === 'object' && typeof actual === 'object' && !Array.isArray(expected) && !Array.isArray(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const key of keys) {
      const found = firstDifference((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], at ? `${at}.${key}` : key);
      if (found) return found;
    }
  }
  return `${at || '(root)'}: ${show(expected)} ≠ ${show(actual)}`;
}
