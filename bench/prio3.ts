/**
 * `npm run bench -- prio3 [--reports N] [--length L] [--chunk C]`: both DAP
 * aggregators' Prio3Histogram(L) preparation of N reports made by
 * @divviup/prio3's client sharding, in one process with no network or
 * database: prep_init of the Leader and of the Helper, prep_shares_to_prep,
 * prep_next of both and the addition into the aggregate shares. Entente's
 * typed-array Prio3 (src/dap/prio3.ts) beside @divviup/prio3 0.8.0 doing the
 * same (test/prio3-reference.ts, fewer reports: it is slower), first call
 * beside warm, CPU per report, and the plaintext baseline (summing one-hot
 * vectors).
 */
import { libPrepBoth } from '../test/prio3-reference.js';
import { Prio3Prep } from '../src/dap/prio3.js';
import { makeVdaf } from '../src/dap/vdaf.js';

const num = (args: string[], name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new Error(`--${name} must be a positive integer, got ${args[i + 1]}`);
  return v;
};

export async function runPrio3Bench(args: string[]): Promise<void> {
  const n = num(args, 'reports', 2000);
  const length = num(args, 'length', 100);
  const chunkLength = num(args, 'chunk', 10);
  const spec = { type: 'histogram', length, chunkLength } as const;
  const lib = makeVdaf(spec);
  const key = crypto.getRandomValues(new Uint8Array(16));
  const reports: { nonce: Uint8Array; pub: Uint8Array; ins: Uint8Array[] }[] = [];
  for (let i = 0; i < n; i++) {
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const s = await lib.shardEncoded(
      i % length,
      nonce as never,
      crypto.getRandomValues(new Uint8Array(lib.randSize)) as never,
    );
    reports.push({
      nonce,
      pub: new Uint8Array(s.publicShare),
      ins: s.inputShares.map((x) => new Uint8Array(x)),
    });
  }
  console.log(
    `Prio3Histogram(${length}, chunk ${chunkLength}): both aggregators' preparation of ${n} reports, one process`,
  );
  const prep = new Prio3Prep(spec);
  const accL = prep.field.vec(prep.outputLen);
  const accH = prep.field.vec(prep.outputLen);
  const one = (r: { nonce: Uint8Array; pub: Uint8Array; ins: Uint8Array[] }): void => {
    const l = prep.prepInit(key, 0, r.nonce, r.pub, r.ins[0]!);
    const h = prep.prepInit(key, 1, r.nonce, r.pub, r.ins[1]!);
    const msg = prep.prepSharesToPrep(
      prep.decodePrepShare(prep.encodePrepShare(l.share)),
      prep.decodePrepShare(prep.encodePrepShare(h.share)),
    );
    prep.field.addVec(accL, prep.prepNext(l.state, msg));
    prep.field.addVec(accH, prep.prepNext(h.state, msg));
  };
  let t = performance.now();
  one(reports[0]!);
  const first = performance.now() - t;
  const c0 = process.cpuUsage();
  t = performance.now();
  for (const r of reports) one(r);
  const wall = (performance.now() - t) / 1000;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000 / n;
  console.log(
    `entente prio3.ts:   ${(n / wall).toFixed(0)} reports/s; CPU ${cpuMs.toFixed(3)} ms per report; first call ${first.toFixed(1)} ms`,
  );
  const m = Math.max(1, Math.floor(n / 10));
  t = performance.now();
  await libPrepBoth(lib, key, reports[0]!.nonce, reports[0]!.pub, reports[0]!.ins);
  const libFirst = performance.now() - t;
  const d0 = process.cpuUsage();
  t = performance.now();
  for (const r of reports.slice(0, m)) await libPrepBoth(lib, key, r.nonce, r.pub, r.ins);
  const libWall = (performance.now() - t) / 1000;
  const d = process.cpuUsage(d0);
  const libCpu = (d.user + d.system) / 1000 / m;
  console.log(
    `@divviup/prio3:     ${(m / libWall).toFixed(0)} reports/s (${m} reports); CPU ${libCpu.toFixed(3)} ms per report; first call ${libFirst.toFixed(1)} ms`,
  );
  console.log(`CPU ratio @divviup/prio3 / entente: ${(libCpu / cpuMs).toFixed(1)}x`);
  // Plaintext baseline: the same reports as one-hot vectors, summed.
  const plain = new Float64Array(length);
  t = performance.now();
  for (let rep = 0; rep < 10; rep++)
    for (let i = 0; i < n; i++) {
      const v = new Float64Array(length);
      v[i % length] = 1;
      for (let j = 0; j < length; j++) plain[j]! += v[j]!;
    }
  const plainRate = (10 * n) / ((performance.now() - t) / 1000);
  console.log(
    `plaintext baseline: ${plainRate.toFixed(0)} vectors/s; ratio ${(plainRate / (n / wall)).toFixed(0)}x; bytes sent: none (one process), rounds: 1 (Leader-Helper, in DAP)`,
  );
}
