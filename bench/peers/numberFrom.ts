/** A benchmark's numeric setting from the environment: `fallback` when unset, refused below `min`. */
export const numberFrom = (name: string, fallback: number, min = 1): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}, got "${process.env[name]}"`);
  return value;
};
