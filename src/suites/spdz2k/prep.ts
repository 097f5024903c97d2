/**
 * OT-based preprocessing for spdz2k: NOT YET IMPLEMENTED in this commit
 * (the suite runs with the insecure dealer in tests until it lands).
 */
import type { Party } from '../../runtime/party.js';
import type { CoinFlip } from './mac.js';
import type { Spdz2kSource } from './spdz2k.js';

export class OtPreprocessing implements Spdz2kSource {
  constructor(
    readonly party: Party,
    readonly alpha: bigint,
    readonly coins: CoinFlip,
  ) {}
  triples(_N: number): Promise<Record<string, BigUint64Array>> {
    throw new Error('todo');
  }
  rands(_N: number): Promise<Record<string, BigUint64Array>> {
    throw new Error('todo');
  }
  inputs(_o: number, _N: number): Promise<Record<string, BigUint64Array>> {
    throw new Error('todo');
  }
}
