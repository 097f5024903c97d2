/**
 * Synthetic patient records for the bundled study (examples/hospitals): three
 * hospitals run a randomised comparison of treatments A and B. Deterministic
 * from a seed, so every run of `npm start` sees the same data; the generator
 * is a small counter-based PRNG (not for secrets: these records are made up).
 *
 * Model (per patient):
 * - age: normal around a hospital-specific mean (58, 63, 67 for hospitals 0, 1, 2; 4 years
 *   more for each further trio, cycling back after five trios: at most 83), sd 14, in 18..95;
 * - sex: F with probability 0.52; arm: B with probability 0.5;
 * - recovered (within 60 days): logistic, logit p = 1.1 - 0.04 (age - 60) + 0.5 [arm B] + 0.1 [F];
 * - recovery_days (only when recovered, else missing): 14 + 0.12 (age - 60) - 2 [arm B] + N(0, 4), in 1..60;
 * - survival: exponential time to death with hazard exp(0.03 (age - 60) - 0.4 [arm B]) / 900 per day,
 *   censored at a uniform follow-up time in 30..365 days: survival_days = min(death, follow-up),
 *   death = whether the death was observed.
 */

export const HOSPITAL_COLUMNS = [
  'age',
  'sex',
  'arm',
  'recovered',
  'recovery_days',
  'survival_days',
  'death',
] as const;

/** The schema of the records, as the bundled study declares it (study.yaml's `schema`, without labels). */
export const HOSPITAL_SCHEMA = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 95 },
    { name: 'sex', type: 'categorical', levels: ['F', 'M'] },
    { name: 'arm', type: 'categorical', levels: ['A', 'B'] },
    { name: 'recovered', type: 'boolean' },
    { name: 'recovery_days', type: 'integer', min: 1, max: 60, missing: 'allow' },
    { name: 'survival_days', type: 'integer', min: 1, max: 365 },
    { name: 'death', type: 'boolean' },
  ],
} as const;

/** Hospitals of the bundled study: id, display name and mean age. */
export const HOSPITALS = [
  { id: 'hospital-a', name: 'Hospital A', meanAge: 58 },
  { id: 'hospital-b', name: 'Hospital B', meanAge: 63 },
  { id: 'hospital-c', name: 'Hospital C', meanAge: 67 },
] as const;

/** Trios of hospitals whose mean ages step up 4 years each before the cycle restarts. */
const AGE_TRIOS = 5;

/** A seeded uniform generator on [0, 1) (SplitMix32-style; synthetic data only). */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 2 ** 32;
  };
}

/** The index a uniform u in [0, 1) falls on when the weights (summing to 1) tile [0, 1). */
export function pickWeighted(u: number, weights: readonly number[]): number {
  let acc = 0;
  for (const [i, w] of weights.entries()) {
    acc += w;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

/** One patient as CSV fields, in HOSPITAL_COLUMNS order. */
export interface Patient {
  age: number;
  sex: 'F' | 'M';
  arm: 'A' | 'B';
  recovered: boolean;
  recoveryDays: number | undefined;
  survivalDays: number;
  death: boolean;
}

/**
 * `rows` synthetic patients of hospital `index` (0, 1, 2, ...), from `seed`.
 * @throws {RangeError} for a negative or non-integer count.
 */
export function generatePatients(index: number, rows: number, seed = 2025): Patient[] {
  if (!Number.isInteger(rows) || rows < 0)
    throw new RangeError(`generatePatients: rows must be a non-negative integer, got ${rows}`);
  const u = seededUniform(seed * 7919 + index * 104729 + 1);
  const normal = () => {
    // Box-Muller; 1 - u() is in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    return r * Math.cos(2 * Math.PI * u());
  };
  // Each further trio of hospitals is 4 years older, cycling over five trios: the mean
  // stays inside 18..95 for any index, so the redraw below ends (a mean of 199 at
  // hospital 100 once made it run for hours: a 7-sigma event per patient).
  const meanAge =
    HOSPITALS[index % HOSPITALS.length]!.meanAge +
    4 * (Math.floor(index / HOSPITALS.length) % AGE_TRIOS);
  const out: Patient[] = [];
  for (let i = 0; i < rows; i++) {
    let age = Math.round(meanAge + 14 * normal());
    while (age < 18 || age > 95) age = Math.round(meanAge + 14 * normal());
    const sex = u() < 0.52 ? 'F' : 'M';
    const b = u() < 0.5;
    const logit = 1.1 - 0.04 * (age - 60) + (b ? 0.5 : 0) + (sex === 'F' ? 0.1 : 0);
    const recovered = u() < 1 / (1 + Math.exp(-logit));
    let recoveryDays: number | undefined;
    if (recovered) {
      const d = Math.round(14 + 0.12 * (age - 60) - (b ? 2 : 0) + 4 * normal());
      recoveryDays = Math.min(60, Math.max(1, d));
    }
    const hazard = Math.exp(0.03 * (age - 60) - (b ? 0.4 : 0)) / 900;
    const deathAt = -Math.log(1 - u()) / hazard;
    const followUp = 30 + Math.floor(u() * 336);
    const death = deathAt <= followUp;
    const survivalDays = Math.max(1, Math.ceil(death ? deathAt : followUp));
    out.push({ age, sex, arm: b ? 'B' : 'A', recovered, recoveryDays, survivalDays, death });
  }
  return out;
}

/** Patients as CSV text with a header (RFC 4180, LF line ends; a missing recovery time is an empty field). */
export function patientsCsv(patients: readonly Patient[]): string {
  const lines = [HOSPITAL_COLUMNS.join(',')];
  for (const p of patients)
    lines.push(
      [p.age, p.sex, p.arm, p.recovered, p.recoveryDays ?? '', p.survivalDays, p.death].join(','),
    );
  return lines.join('\n') + '\n';
}
