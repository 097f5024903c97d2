/**
 * `entente psi`: one-off private set intersection of two CSV files
 * (docs/PSI.md, "Command line").
 *
 *   entente psi A.csv B.csv --column C [options]
 *       both parties in this process (A is the receiver), for trying it out;
 *   entente psi FILE.csv --column C --federation FED --party ID [options] [key options]
 *       this party of a two-party federation, over mutually authenticated TLS
 *       (as `entente run --federation`); the receiver is the federation's
 *       first party unless --receiver names the other.
 *
 *   entente psi A.csv B.csv C.csv ... --column C --threshold T
 *   entente psi FILE.csv --column C --threshold T --federation FED --party ID
 *       threshold PSI across n >= 3 parties (src/psi/threshold.ts): the keys
 *       held by at least T of them, to all; in this process over the shamir
 *       suite, or as one party of a federation (its suite: shamir, or rep3
 *       for three parties).
 *
 * Options: --protocol ot|ecdh (default ot for the intersection, ecdh for
 * cardinality and sum; over ot those two are computed on secret shares),
 * --output intersection|cardinality|sum, --to receiver|both, --values COL
 * and --value-bits B (sum: the sender's values, int(B), default 32),
 * --min-intersection K and --epsilon E [--sensitivity S] (sum release
 * policy), --out FILE (the shared keys, one per line).
 */
import { writeFile } from 'node:fs/promises';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { readText } from '../adapters/node/data.js';
import { readCsv } from '../analytics/data/csv.js';
import { runLocal, type Program } from '../api/run.js';
import { int } from '../api/types.js';
import {
  digestSet,
  intersect,
  otPsiCount,
  otPsiSum,
  psiSum,
  releasePsiSum,
  thresholdPsi,
} from '../psi/index.js';
import { EXIT, UsageError } from './exit.js';
import { computing, runFederated, show } from './net.js';

type Named = ReadonlyMap<string, string>;

interface PsiInput {
  readonly file: string;
  readonly keys: string[];
  /** Sum mode, at the sender: one value per key. */
  readonly values?: bigint[];
}

interface PsiSettings {
  readonly protocol: 'ot' | 'ecdh';
  readonly output: 'intersection' | 'cardinality' | 'sum';
  readonly both: boolean;
  readonly column: string;
  readonly valuesColumn?: string;
  readonly valueBits: number;
  readonly minIntersection?: number;
  readonly dp?: { epsilon: number; sensitivity: number };
  readonly out?: string;
}

function choice<T extends string>(named: Named, flag: string, options: readonly T[], dflt: T): T {
  const v = named.get(flag) ?? dflt;
  if (!options.includes(v as T))
    throw new UsageError(`psi: --${flag} must be ${options.join(' or ')}, got '${v}'`);
  return v as T;
}

function numberFlag(named: Named, flag: string, min: number, integer: boolean): number | undefined {
  const v = named.get(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isSafeInteger(n)))
    throw new UsageError(
      `psi: --${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${v}'`,
    );
  return n;
}

function settings(named: Named): PsiSettings {
  const column = named.get('column');
  if (!column) throw new UsageError('psi: --column names the key column of the CSV files');
  const output = choice(named, 'output', ['intersection', 'cardinality', 'sum'], 'intersection');
  const protocol = choice(
    named,
    'protocol',
    ['ot', 'ecdh'],
    output === 'intersection' ? 'ot' : 'ecdh',
  );
  const both = choice(named, 'to', ['receiver', 'both'], 'receiver') === 'both';
  if (output === 'sum' && both)
    throw new UsageError('psi: a sum is released to both parties; leave out --to');
  const valueBits = numberFlag(named, 'value-bits', 2, true) ?? 32;
  if (valueBits > 48)
    throw new UsageError(`psi: --value-bits must be at most 48, got ${valueBits}`);
  const epsilon = numberFlag(named, 'epsilon', 0, false);
  const sensitivity = numberFlag(named, 'sensitivity', 1, true) ?? 2 ** (valueBits - 1);
  const minIntersection = numberFlag(named, 'min-intersection', 0, true);
  const sumOnly = ['values', 'value-bits', 'epsilon', 'sensitivity', 'min-intersection'].filter(
    (f) => named.has(f),
  );
  if (output !== 'sum' && sumOnly.length > 0)
    throw new UsageError(`psi: --${sumOnly[0]} applies to --output sum only`);
  return {
    protocol,
    output,
    both,
    column,
    valuesColumn: named.get('values'),
    valueBits,
    minIntersection,
    dp: epsilon !== undefined ? { epsilon, sensitivity } : undefined,
    out: named.get('out'),
  };
}

/**
 * The key column (and the value column, if asked) of a CSV file with a
 * header. @throws {UsageError} naming the file, line and column for bad input.
 */
export async function readPsiInput(
  file: string,
  column: string,
  valuesColumn: string | undefined,
  valueBits: number,
): Promise<PsiInput> {
  const text = await readText(file, 'data').catch((e: Error) => {
    throw new UsageError(e.message);
  });
  const keys: string[] = [];
  const values: bigint[] = [];
  const seen = new Map<string, number>();
  let keyAt = -1;
  let valueAt = -1;
  let problem: string | undefined;
  const lo = -(1n << BigInt(valueBits - 1));
  const hi = (1n << BigInt(valueBits - 1)) - 1n;
  readCsv(
    text,
    file,
    (r) => {
      if (problem) return;
      if (keyAt < 0) {
        keyAt = r.fields.indexOf(column);
        if (keyAt < 0) problem = `${file}: no column '${column}' (columns: ${r.fields.join(', ')})`;
        if (valuesColumn !== undefined) {
          valueAt = r.fields.indexOf(valuesColumn);
          if (valueAt < 0)
            problem ??= `${file}: no column '${valuesColumn}' (columns: ${r.fields.join(', ')})`;
        }
        return;
      }
      const key = r.fields[keyAt];
      if (key === undefined || key === '') {
        problem = `${file}, line ${r.line}: empty key in column '${column}'`;
        return;
      }
      if (valuesColumn !== undefined) {
        const first = seen.get(key);
        if (first !== undefined) {
          problem = `${file}, line ${r.line}: key '${column}' repeats line ${first}; a sum needs one value per key`;
          return;
        }
        seen.set(key, r.line);
        const v = r.fields[valueAt] ?? '';
        if (!/^-?\d+$/.test(v) || BigInt(v) < lo || BigInt(v) > hi) {
          problem = `${file}, line ${r.line}: '${valuesColumn}' must be an integer in int(${valueBits}), got '${v}'`;
          return;
        }
        values.push(BigInt(v));
      }
      keys.push(key);
    },
    (i) => (problem ??= `${file}, line ${i.line}: ${i.reason}`),
  );
  if (keyAt < 0 && !problem) problem = `${file}: no header line`;
  if (problem) throw new UsageError(problem);
  return { file, keys, values: valuesColumn !== undefined ? values : undefined };
}

/** What one party of the PSI computes and reports. */
function psiProgram(
  mine: (id: string) => PsiInput | undefined,
  receiverId: string,
  o: PsiSettings,
  local: boolean,
): Program<unknown> {
  return async (s) => {
    const input = mine(s.me)!;
    const other = s.parties.find((p) => p !== receiverId)!;
    const receiver = s.indexOf(receiverId);
    const sender = s.indexOf(other);
    if (o.output === 'sum') {
      const d = digestSet(input.keys);
      const vals = s.me === other ? pickValues(input, d.source) : undefined;
      const opts = { valuesFrom: other, other: receiverId, type: int(o.valueBits) };
      const r =
        o.protocol === 'ot'
          ? await otPsiSum(s, d.digests, vals, opts)
          : await psiSum(s, d.digests, vals, opts);
      const out = await releasePsiSum(s, r, { minIntersection: o.minIntersection, dp: o.dp });
      return { sum: out.sum, noise: o.dp ? `discrete Laplace, epsilon ${o.dp.epsilon}` : 'none' };
    }
    if (o.protocol === 'ot' && o.output === 'cardinality') {
      // The count is computed on shares; it is opened to the receiver (and the sender with --to both).
      const d = digestSet(input.keys);
      const c = await otPsiCount(s, d.digests, { valuesFrom: other, other: receiverId });
      const out = await c.revealTo(o.both ? [receiverId, other] : [receiverId]);
      const report: Record<string, unknown> = { size: d.source.length };
      if (out.recipient) report.shared = Number(out.values[0]);
      return report;
    }
    const r = await intersect(s.party, input.keys, {
      protocol: o.protocol,
      receiver,
      sender,
      output: o.output,
      both: o.both,
    });
    const report: Record<string, unknown> = { size: r.size, peerSize: r.peerSize };
    if (r.cardinality !== undefined) report.shared = r.cardinality;
    if (r.rows) {
      const keys = r.rows.map((k) => input.keys[k]!);
      if (o.out) {
        const file = local ? `${o.out}.${s.me}` : o.out;
        await writeFile(file, keys.map((k) => k + '\n').join(''));
        report.written = file;
      } else report.elements = keys;
    }
    return report;
  };
}

function pickValues(input: PsiInput, source: Uint32Array): bigint[] {
  if (!input.values)
    throw new UsageError(
      `psi: --values names the column to sum in ${input.file} (the sender's file)`,
    );
  return Array.from(source, (k) => input.values![k]!);
}

/** `entente psi`. */
export async function psiCommand(positional: readonly string[], named: Named): Promise<number> {
  if (named.has('threshold')) return thresholdCommand(positional, named);
  const o = settings(named);
  if (named.has('federation')) {
    const [file, extra] = positional;
    if (!file || extra)
      throw new UsageError("psi: with --federation, name this party's CSV file only");
    const id = named.get('party');
    if (!id) throw new UsageError('psi: --party names this party in the federation');
    const input = await readPsiInput(file, o.column, o.valuesColumn, o.valueBits);
    return runFederated(async (s) => {
      if (s.parties.length !== 2)
        throw new UsageError(`psi: needs a two-party federation, this one has ${s.parties.length}`);
      const receiverId = named.get('receiver') ?? s.parties[0]!;
      s.indexOf(receiverId);
      return psiProgram(() => input, receiverId, o, false)(s);
    }, named);
  }
  const [a, b, extra] = positional;
  if (!a || !b || extra)
    throw new UsageError(
      "psi: name two CSV files (the receiver's first), or one with --federation",
    );
  const ins = [
    await readPsiInput(a, o.column, undefined, o.valueBits),
    await readPsiInput(b, o.column, o.valuesColumn, o.valueBits),
  ];
  if (o.output === 'sum' && !o.valuesColumn)
    throw new UsageError(`psi: --values names the column to sum in ${b} (the second file)`);
  console.error(
    `entente psi: ${o.protocol === 'ot' ? 'OT-based (KKRT16)' : 'ECDH (ristretto255)'} ${o.output}, semi-honest; ` +
      `receiver ${a} (p1), sender ${b} (p2), both parties in this process`,
  );
  const outs = await computing(() =>
    runLocal(
      psiProgram((id) => ins[id === 'p1' ? 0 : 1], 'p1', o, true),
      {
        suite: 'semi2k',
        parties: ['p1', 'p2'],
        crypto: nodeCryptoProvider,
      },
    ),
  );
  for (const x of outs) console.log(`${x.party}: ${show(x.result)}`);
  return EXIT.ok;
}

/** `entente psi --threshold T`: the keys held by at least T of n >= 3 parties. */
async function thresholdCommand(positional: readonly string[], named: Named): Promise<number> {
  const column = named.get('column');
  if (!column) throw new UsageError('psi: --column names the key column of the CSV files');
  const other = ['protocol', 'output', 'to', 'values', 'value-bits', 'min-intersection', 'epsilon'];
  const bad = other.find((f) => named.has(f));
  if (bad) throw new UsageError(`psi: --${bad} does not apply to --threshold`);
  const threshold = numberFlag(named, 'threshold', 1, true)!;
  const out = named.get('out');
  const program =
    (inputOf: (id: string) => PsiInput, local: boolean): Program<unknown> =>
    async (s) => {
      if (threshold > s.parties.length)
        throw new UsageError(
          `psi: --threshold ${threshold} exceeds the ${s.parties.length} parties`,
        );
      const input = inputOf(s.me);
      const r = await thresholdPsi(s, input.keys, { threshold });
      const keys = r.rows.map((k) => input.keys[k]!);
      const report: Record<string, unknown> = {
        sizes: r.sizes,
        passing: r.fingerprints.length,
      };
      if (out) {
        const file = local ? `${out}.${s.me}` : out;
        await writeFile(file, keys.map((k) => k + '\n').join(''));
        report.written = file;
      } else report.elements = keys;
      return report;
    };
  if (named.has('federation')) {
    const [file, extra] = positional;
    if (!file || extra)
      throw new UsageError("psi: with --federation, name this party's CSV file only");
    const input = await readPsiInput(file, column, undefined, 32);
    return runFederated(async (s) => {
      if (s.parties.length < 3)
        throw new UsageError(
          `psi: --threshold needs a federation of 3 or more parties, this one has ${s.parties.length}`,
        );
      return program(() => input, false)(s);
    }, named);
  }
  if (positional.length < 3)
    throw new UsageError('psi: --threshold needs three or more CSV files (one per party)');
  const ins = await Promise.all(positional.map((f) => readPsiInput(f, column, undefined, 32)));
  const ids = ins.map((_, k) => `p${k + 1}`);
  console.error(
    `entente psi: threshold PSI (keys at >= ${threshold} of ${ids.length} parties), shamir suite, semi-honest with an honest majority; all parties in this process`,
  );
  const outs = await computing(() =>
    runLocal(
      program((id) => ins[ids.indexOf(id)]!, true),
      { suite: 'shamir', parties: ids, crypto: nodeCryptoProvider },
    ),
  );
  for (const x of outs) console.log(`${x.party}: ${show(x.result)}`);
  return EXIT.ok;
}
