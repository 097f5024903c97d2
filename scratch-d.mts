import { Prio3Prep } from './src/dap/prio3.ts';
import * as old from './src/dap/vdaf.ts';
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
for (const [spec, m] of [[{ type: 'count' }, true], [{ type: 'sum', bits: 8 }, 100], [{ type: 'histogram', length: 4, chunkLength: 2 }, 2]] as const) {
  const lib = old.makeVdaf(spec as never);
  const P = new Prio3Prep(spec as never);
  const nonce = rnd(16), key = rnd(16);
  const sh = await lib.shardEncoded(m as never, nonce as never, rnd(lib.randSize) as never);
  for (const i of [0, 1] as const) {
    const a = await old.prepInit(lib, key, i, nonce, sh.publicShare, sh.inputShares[i]!);
    const b = P.prepInit(key, i, nonce, sh.publicShare, sh.inputShares[i]!);
    const ea = toHex(old.encodePrepShare(lib, a.share)), eb = toHex(P.encodePrepShare(b.share));
    console.log(spec.type, i, ea === eb);
    if (ea !== eb) { console.log(ea); console.log(eb); }
  }
}
