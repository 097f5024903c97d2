/**
 * The bundled demo: three hospitals, each holding its own patients' ages,
 * treatment arms and recovery days, jointly compute statistics that none of
 * them could compute alone, without pooling records. Data are synthetic,
 * generated from a fixed seed so every run shows the same numbers.
 */
import { fixed, int } from '../api/types.js';
import type { Session } from '../api/session.js';

export interface HospitalData {
  ages: number[];
  /** 1 = treatment B, 0 = treatment A. */
  arm: boolean[];
  recoveryDays: number[];
}

/** Deterministic synthetic records for hospital `index` (xorshift; not for secrets). */
export function syntheticHospital(index: number, rows: number): HospitalData {
  let s = 0x9e3779b9 ^ (index * 0x85ebca6b);
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const ages: number[] = [];
  const arm: boolean[] = [];
  const recoveryDays: number[] = [];
  for (let i = 0; i < rows; i++) {
    const age = 20 + Math.floor(next() * 65);
    const b = next() < 0.5;
    ages.push(age);
    arm.push(b);
    // Treatment B shortens recovery by about two days; older patients recover slower.
    recoveryDays.push(Math.max(1, Math.round(8 + age / 20 - (b ? 2 : 0) + (next() - 0.5) * 6)));
  }
  return { ages, arm, recoveryDays };
}

export interface DemoResult {
  patients: bigint;
  meanAge: number;
  oldest: bigint;
  meanRecoveryA: number;
  meanRecoveryB: number;
  treatmentBIsFaster: boolean;
}

/**
 * The demo program; every hospital runs it with its own data. Inputs are the
 * only place a hospital's own records enter; everything after is computed on
 * secret shares and only the six aggregate numbers are revealed.
 */
export async function hospitalProgram(
  s: Session,
  own: HospitalData,
  rowsPerHospital: number,
): Promise<DemoResult> {
  // Small integer types keep comparisons cheap; the bounds grow safely through sums and products.
  const AGE = int(8);
  const DAYS = AGE;
  const input = (t: typeof AGE, mine: number[]) =>
    s.concat(s.parties.map((h) => s.input(h, t, h === s.me ? mine : rowsPerHospital)));
  const age = input(AGE, own.ages);
  const armB = input(AGE, own.arm.map(Number));
  const recovery = input(DAYS, own.recoveryDays);
  const n = age.length;

  // Mean age in fixed point: the secret sum times the public 1/n.
  const meanAge = age
    .sum()
    .toFixed(fixed({ bits: 48, frac: 16 }))
    .mul(1 / n);
  const oldest = age.max();
  const nB = armB.sum();
  const daysB = recovery.dot(armB);
  const daysA = recovery.sum().sub(daysB);
  const nA = nB.neg().add(n);
  // Compare mean recovery without dividing: daysB / nB < daysA / nA  <=>  daysB * nA < daysA * nB.
  const bIsFaster = daysB.mul(nA).lt(daysA.mul(nB));

  const [mean, max, countB, sumB, sumA, faster] = await Promise.all([
    meanAge.reveal(),
    oldest.reveal(),
    nB.reveal(),
    daysB.reveal(),
    daysA.reveal(),
    bIsFaster.reveal(),
  ]);
  return {
    patients: BigInt(n),
    meanAge: mean[0]!,
    oldest: max[0]!,
    meanRecoveryA: Number(sumA[0]!) / (n - Number(countB[0]!)),
    meanRecoveryB: Number(sumB[0]!) / Number(countB[0]!),
    treatmentBIsFaster: faster[0]!,
  };
}
