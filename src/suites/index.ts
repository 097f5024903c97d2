/** The protocol suites, by name. */
import { plaintextSuite } from './plaintext/plaintext.js';
import { rep3Suite } from './rep3/rep3.js';
import { rep3mSuite } from './rep3m/rep3m.js';
import { semi2kSuite } from './semi2k/semi2k.js';
import { spdz2kSuite } from './spdz2k/spdz2k.js';
import { shamirSuite } from './shamir/shamir.js';
import type { SuiteFactory } from './suite.js';
import { yaoSuite } from './yao/yao.js';

export const SUITES: Readonly<Record<string, SuiteFactory>> = {
  plaintext: plaintextSuite,
  rep3: rep3Suite,
  rep3m: rep3mSuite,
  semi2k: semi2kSuite,
  shamir: shamirSuite,
  spdz2k: spdz2kSuite,
  yao: yaoSuite,
};

/** @throws {RangeError} for an unknown name. */
export function suiteByName(name: string): SuiteFactory {
  const f = SUITES[name];
  if (!f)
    throw new RangeError(`unknown suite '${name}' (available: ${Object.keys(SUITES).join(', ')})`);
  return f;
}
