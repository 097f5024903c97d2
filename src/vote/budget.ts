/**
 * Participatory budgeting on the verifiable vote (docs/APPS.md, "entente demo
 * budget"): residents each distribute 100 points over 8 projects in one
 * cumulative contest (./cumulative.ts); the tally of points per project is
 * decrypted by the guardians; the projects are funded within a public budget
 * by a public rule applied to the decrypted totals only.
 *
 * The funding rule (greedy by points): projects in decreasing order of points
 * (ties: the manifest's order); each is funded if its cost fits in what is
 * left of the budget, else skipped, and the next one is tried. It is a
 * function of the published tally, so anyone can recompute it from the
 * verified record.
 *
 * The residents' preferences are synthetic, from a PRG (AES-128-CTR) seeded by
 * the demo's seed: a function of (count, seed) only. Keys and nonces still
 * come from the CSPRNG. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { Prg } from '../random/prg.js';
import type { CryptoProvider } from '../random/provider.js';
import type { Choices } from './ballot.js';
import { parseManifest, type Manifest } from './manifest.js';

export const BUDGET_CONTEST = 'budget';
export const BUDGET_POINTS = 100;

export interface Project {
  readonly id: string;
  readonly name: string;
  /** Cost in thousands of the currency. */
  readonly cost: number;
  /** How popular the synthetic residents find it (a relative weight, not public). */
  readonly appeal: number;
}

/** The 8 projects of the demo, and the public budget (thousands). */
export const PROJECTS: readonly Project[] = [
  { id: 'playground', name: 'Playground renovation', cost: 180, appeal: 9 },
  { id: 'bike-lanes', name: 'Protected bike lanes', cost: 420, appeal: 8 },
  { id: 'library-hours', name: 'Longer library hours', cost: 90, appeal: 6 },
  { id: 'trees', name: 'Street trees', cost: 150, appeal: 7 },
  { id: 'youth-centre', name: 'Youth centre', cost: 380, appeal: 5 },
  { id: 'lighting', name: 'Park lighting', cost: 120, appeal: 4 },
  { id: 'market', name: 'Covered market', cost: 500, appeal: 3 },
  { id: 'benches', name: 'Benches and water fountains', cost: 60, appeal: 2 },
];
export const BUDGET = 1000;

/** The one cumulative contest: 100 points over the projects, each allocation 0..100. */
export function budgetManifest(projects: readonly Project[] = PROJECTS): Manifest {
  return parseManifest({
    electionScope: 'entente-demo-budget',
    name: 'Neighbourhood participatory budget',
    contests: [
      {
        id: BUDGET_CONTEST,
        name: 'Distribute 100 points over the projects',
        kind: 'cumulative',
        points: BUDGET_POINTS,
        optionLimit: BUDGET_POINTS,
        selections: projects.map((p) => ({ id: p.id, name: p.name })),
      },
    ],
  });
}

/** A seeded source of small integers for the simulated residents (not for secrets). */
class ResidentRandomness {
  private readonly prg: Prg;
  private readonly buf = new Uint32Array(1024);
  private next = this.buf.length;

  constructor(seed: string, crypto: CryptoProvider) {
    const key = sha256(utf8ToBytes(`entente demo budget residents: ${seed}`)).subarray(0, 16);
    this.prg = new Prg(key, crypto);
  }

  /** Uniform in 0..n-1 (a 32-bit draw mod n: bias below 2^-20 for the small n here). */
  below(n: number): number {
    if (this.next === this.buf.length) {
      this.prg.fill(new Uint8Array(this.buf.buffer));
      this.next = 0;
    }
    return this.buf[this.next++]! % n;
  }
}

/**
 * Each resident's allocation, a function of (count, seed) only: a resident
 * backs 1 to 4 distinct projects, drawn with probability by appeal, and
 * splits the 100 points over them by random weights 1..10 (largest
 * remainder, so the total is exactly 100).
 */
export function residentAllocations(
  residents: number,
  seed: string,
  crypto: CryptoProvider,
  projects: readonly Project[] = PROJECTS,
): Choices[] {
  const rng = new ResidentRandomness(seed, crypto);
  const out: Choices[] = [];
  for (let r = 0; r < residents; r++) {
    const left = projects.map((p) => ({ id: p.id, appeal: p.appeal }));
    const backed: { id: string; weight: number }[] = [];
    const count = 1 + rng.below(Math.min(4, projects.length));
    for (let k = 0; k < count; k++) {
      let x = rng.below(left.reduce((a, p) => a + p.appeal, 0));
      const i = left.findIndex((p) => (x -= p.appeal) < 0);
      backed.push({ id: left[i]!.id, weight: 1 + rng.below(10) });
      left.splice(i, 1);
    }
    out.push({ [BUDGET_CONTEST]: splitPoints(backed, BUDGET_POINTS) });
  }
  return out;
}

/** `points` split in proportion to the weights, rounded by largest remainder (sums exactly). */
export function splitPoints(
  backed: readonly { id: string; weight: number }[],
  points: number,
): Record<string, number> {
  const total = backed.reduce((a, b) => a + b.weight, 0);
  const shares = backed.map((b) => {
    const exact = (points * b.weight) / total;
    return { id: b.id, floor: Math.floor(exact), rem: exact - Math.floor(exact) };
  });
  let short = points - shares.reduce((a, s) => a + s.floor, 0);
  for (const s of [...shares].sort((a, b) => b.rem - a.rem)) {
    if (short === 0) break;
    s.floor++;
    short--;
  }
  return Object.fromEntries(shares.filter((s) => s.floor > 0).map((s) => [s.id, s.floor]));
}

/** The plaintext points per project (what the decrypted tally must equal). */
export function plaintextPoints(
  ballots: readonly Choices[],
  projects: readonly Project[] = PROJECTS,
): Record<string, number> {
  const pts = Object.fromEntries(projects.map((p) => [p.id, 0]));
  for (const b of ballots)
    for (const [id, v] of Object.entries(b[BUDGET_CONTEST] ?? {})) pts[id]! += v;
  return pts;
}

export interface Funding {
  /** Projects in the order the rule considered them, with the decision. */
  readonly order: readonly { id: string; points: number; cost: number; funded: boolean }[];
  readonly spent: number;
}

/** The greedy-by-points rule of the module comment. */
export function fundProjects(
  points: Readonly<Record<string, number>>,
  budget: number,
  projects: readonly Project[] = PROJECTS,
): Funding {
  const ranked = projects
    .map((p, i) => ({ p, i, points: points[p.id] ?? 0 }))
    .sort((a, b) => b.points - a.points || a.i - b.i);
  let left = budget;
  const order = ranked.map(({ p, points: pts }) => {
    const funded = p.cost <= left;
    if (funded) left -= p.cost;
    return { id: p.id, points: pts, cost: p.cost, funded };
  });
  return { order, spent: budget - left };
}
