/**
 * The core's whole operation test suite (test/operations.test.ts, unmodified)
 * under spdz2k with n = 2 and n = 3, with insecure-dealer material so that it
 * exercises the online phase (MAC'd arithmetic, MAC checks before every
 * output, comparisons on authenticated bits) within the suite's time budget.
 * OT-based preprocessing is tested in prep.test.ts and malicious.test.ts.
 *
 * The insecure factory is registered here, in this test file's own module
 * graph only; the production registry (src/suites/index.ts) never has it.
 * (The extra configurations operations.test.ts runs beside CONFIGS, such as
 * yao, are emptied here: test/operations.test.ts itself runs them.)
 */
import { CONFIGS, OPERATION_EXTRAS } from '../../../test/harness.js';
import { SUITES } from '../index.js';
import type { SuiteFactory } from '../suite.js';
import { spdz2kFactory } from './spdz2k.js';

const NAME = 'spdz2k-insecure-dealer';
(SUITES as Record<string, SuiteFactory>)[NAME] = {
  ...spdz2kFactory({ preprocessing: 'insecureDealer', allowInsecure: true }),
  name: NAME,
};
const configs = CONFIGS as unknown as Array<{ suite: string; parties: number }>;
configs.splice(0, configs.length, { suite: NAME, parties: 2 }, { suite: NAME, parties: 3 });
OPERATION_EXTRAS.splice(0, OPERATION_EXTRAS.length);

await import('../../../test/operations.test.js');
