/*
 * Lambert-93 (EPSG:2154) → RGF93 geographic, inverse Lambert conformal conic on GRS80 (IGN notice
 * NTG_71 algorithms ALG0002/ALG0004). RGF93 and WGS84 differ by less than a metre, so the result is used
 * as WGS84 (EPSG:4326). Done in TypeScript because the embedded PostGIS lacks PROJ grids for ST_Transform.
 */
const A = 6378137;
const F = 1 / 298.257222101;
const E = Math.sqrt(2 * F - F * F);
const RAD = Math.PI / 180;
const PHI1 = 44 * RAD;
const PHI2 = 49 * RAD;
const PHI0 = 46.5 * RAD;
const LAMBDA0 = 3 * RAD;
const X0 = 700000;
const Y0 = 6600000;

const m = (phi: number) => Math.cos(phi) / Math.sqrt(1 - E * E * Math.sin(phi) ** 2);
const t = (phi: number) => Math.tan(Math.PI / 4 - phi / 2) / ((1 - E * Math.sin(phi)) / (1 + E * Math.sin(phi))) ** (E / 2);
const N = (Math.log(m(PHI1)) - Math.log(m(PHI2))) / (Math.log(t(PHI1)) - Math.log(t(PHI2)));
const AF = (A * m(PHI1)) / (N * t(PHI1) ** N);
const RHO0 = AF * t(PHI0) ** N;

/** [x, y] in metres (Lambert-93) → [longitude, latitude] in degrees. */
export function lambert93ToWgs84(x: number, y: number): [number, number] {
  const dx = x - X0;
  const dy = RHO0 - (y - Y0);
  const rho = Math.sqrt(dx * dx + dy * dy);
  const tt = (rho / AF) ** (1 / N);
  const lambda = Math.atan2(dx, dy) / N + LAMBDA0;
  let phi = Math.PI / 2 - 2 * Math.atan(tt);
  for (let i = 0; i < 20; i++) {
    const es = E * Math.sin(phi);
    const next = Math.PI / 2 - 2 * Math.atan(tt * ((1 - es) / (1 + es)) ** (E / 2));
    if (Math.abs(next - phi) < 1e-12) return [lambda / RAD, next / RAD];
    phi = next;
  }
  return [lambda / RAD, phi / RAD];
}

/** The EPSG code a GeoJSON `crs` member names (legacy 2008 spec), or undefined for WGS84 / none. */
export function crsCode(crs: unknown): number | undefined {
  const name = (crs as { properties?: { name?: unknown } } | null)?.properties?.name;
  if (typeof name !== 'string') return undefined;
  const match = /EPSG:{1,2}(\d+)$/i.exec(name);
  if (match) return Number(match[1]);
  if (/CRS84$/i.test(name)) return 4326;
  return -1;
}
