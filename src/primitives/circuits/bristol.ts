/**
 * Parser for the Bristol Fashion circuit format (the format of the circuits
 * published with SCALE-MAMBA; the ones Entente tests with are in data/circuits):
 *
 *   <gates> <wires>
 *   <number of inputs> <bits of input 1> ...
 *   <number of outputs> <bits of output 1> ...
 *   <in> <out> <input wires...> <output wires...> <XOR|AND|INV|EQ|EQW|MAND>
 *
 * Input wires come first (0, 1, ...), output wires are the last wires. Wire
 * x of the file becomes wire x + 2 here (0 and 1 are our constants). EQ
 * (assign a constant) and EQW (copy a wire) become XORs with the constant 0
 * wire, which cost nothing to garble; MAND (several ANDs) is split.
 */
import { AND, INV, XOR, type Circuit } from './circuit.js';

/** @throws {SyntaxError} naming the line, for malformed text or gates out of order. */
export function parseBristol(text: string): Circuit {
  const lines = text.split('\n');
  let ln = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`Bristol circuit line ${ln}: ${why}`);
  };
  const nums = (s: string | undefined): number[] => {
    const t = (s ?? '').trim();
    if (t === '') fail('missing header');
    return t.split(/\s+/).map((x) => {
      const v = Number(x);
      if (!Number.isInteger(v) || v < 0) fail(`not a count: '${x}'`);
      return v;
    });
  };
  ln = 1;
  const [nGates, nWires] = nums(lines[0]);
  ln = 2;
  const [ni, ...inW] = nums(lines[1]);
  ln = 3;
  const [no, ...outW] = nums(lines[2]);
  if (nGates === undefined || nWires === undefined || inW.length !== ni || outW.length !== no)
    fail('bad header');
  const nIn = inW.reduce((a, b) => a + b, 0);
  const nOut = outW.reduce((a, b) => a + b, 0);
  const kind: number[] = [];
  const in0: number[] = [];
  const in1: number[] = [];
  const out: number[] = [];
  const defined = new Uint8Array(nWires! + 2);
  for (let w = 0; w < nIn + 2; w++) defined[w] = 1;
  const use = (w: number): number => {
    if (w >= nWires! || !defined[w + 2]) fail(`wire ${w} used before it is set`);
    return w + 2;
  };
  const def = (w: number): number => {
    if (w >= nWires! || defined[w + 2]) fail(`wire ${w} set twice or out of range`);
    defined[w + 2] = 1;
    return w + 2;
  };
  const push = (k: number, a: number, b: number, o: number) => {
    kind.push(k);
    in0.push(Math.min(a, b));
    in1.push(Math.max(a, b));
    out.push(o);
  };
  for (ln = 4; ln <= lines.length; ln++) {
    const t = lines[ln - 1]!.trim();
    if (t === '') continue;
    const f = t.split(/\s+/);
    const op = f[f.length - 1]!;
    const a = f.slice(0, -1).map(Number);
    const [ins, outs] = a;
    if (ins === undefined || outs === undefined || a.length !== 2 + ins + outs)
      fail(`malformed gate '${t}'`);
    const wi = a.slice(2, 2 + ins!);
    const wo = a.slice(2 + ins!);
    if (op === 'XOR' || op === 'AND') {
      if (ins !== 2 || outs !== 1) fail(`${op} takes 2 inputs and 1 output`);
      push(op === 'XOR' ? XOR : AND, use(wi[0]!), use(wi[1]!), def(wo[0]!));
    } else if (op === 'INV') {
      if (ins !== 1 || outs !== 1) fail('INV takes 1 input and 1 output');
      const x = use(wi[0]!);
      push(INV, x, x, def(wo[0]!));
    } else if (op === 'EQ') {
      if (ins !== 1 || outs !== 1 || (wi[0] !== 0 && wi[0] !== 1)) fail('EQ assigns 0 or 1');
      push(XOR, wi[0]!, 0, def(wo[0]!));
    } else if (op === 'EQW') {
      if (ins !== 1 || outs !== 1) fail('EQW takes 1 input and 1 output');
      push(XOR, 0, use(wi[0]!), def(wo[0]!));
    } else if (op === 'MAND') {
      const k = outs!;
      if (ins !== 2 * k) fail('MAND takes 2k inputs and k outputs');
      for (let j = 0; j < k; j++) push(AND, use(wi[j]!), use(wi[k + j]!), def(wo[j]!));
    } else {
      fail(`unknown gate '${op}'`);
    }
  }
  if (kind.length < nGates!)
    throw new SyntaxError(`Bristol circuit: ${kind.length} gates, header says ${nGates}`);
  const outputs = Uint32Array.from({ length: nOut }, (_, i) => nWires! - nOut + i + 2);
  for (const w of outputs)
    if (!defined[w]) throw new SyntaxError(`Bristol circuit: output wire ${w - 2} is never set`);
  return {
    nWires: nWires! + 2,
    inputs: inW,
    outputs,
    outputWidths: outW,
    kind: Uint8Array.from(kind),
    in0: Uint32Array.from(in0),
    in1: Uint32Array.from(in1),
    out: Uint32Array.from(out),
    nAnd: kind.reduce((s, k) => s + (k === AND ? 1 : 0), 0),
  };
}
