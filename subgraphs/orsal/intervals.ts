/** 97.5th percentile of the standard normal: the 95 % two-sided intervals ORS publish. */
const Z = 1.959964;

/** Wilson score interval of a proportion `cases / n`, as fractions. */
export function wilson(cases: number, n: number): [number, number] {
  const p = cases / n;
  const centre = (p + (Z * Z) / (2 * n)) / (1 + (Z * Z) / n);
  const half = (Z * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n))) / (1 + (Z * Z) / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Byar's approximation of the exact Poisson interval of a count. */
export function byar(cases: number): [number, number] {
  const low = cases === 0 ? 0 : cases * (1 - 1 / (9 * cases) - Z / (3 * Math.sqrt(cases))) ** 3;
  const high = (cases + 1) * (1 - 1 / (9 * (cases + 1)) + Z / (3 * Math.sqrt(cases + 1))) ** 3;
  return [Math.max(0, low), high];
}
