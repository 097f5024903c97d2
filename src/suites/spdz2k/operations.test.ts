/**
 * The core's whole operation test suite (test/operations.test.ts, unmodified)
 * under spdz2k, as production runs it: every triple, MAC key share,
 * authenticated bit and edaBit comes from the OT-based preprocessing (no
 * dealer), and every output passes the MAC check first. This is the slowest
 * file of the suite: the comparisons alone consume hundreds of thousands of
 * authenticated triples and bits. n = 2 runs always (about 1.5 minutes on a
 * 2-core machine); n = 3 (about 3 minutes) runs with ENTENTE_SPDZ2K_N3=1,
 * to keep CI within its 25 minutes. Three parties are still covered by
 * spdz2k.test.ts (every operation kind on dealer preprocessing, n = 2 and 3),
 * prep.test.ts (the OT-based preprocessing), malicious.test.ts and the
 * TinyOT tests.
 *
 * The extra configurations operations.test.ts runs beside CONFIGS (such as
 * yao) are emptied here: test/operations.test.ts itself runs them.
 */
import { vi } from 'vitest';
import { CONFIGS, OPERATION_EXTRAS } from '../../../test/harness.js';

// Preprocessing for a whole comparison test takes tens of seconds at n = 3.
vi.setConfig({ testTimeout: 600_000 });

const configs = CONFIGS as unknown as Array<{ suite: string; parties: number }>;
configs.splice(
  0,
  configs.length,
  { suite: 'spdz2k', parties: 2 },
  ...(process.env['ENTENTE_SPDZ2K_N3'] === '1' ? [{ suite: 'spdz2k', parties: 3 }] : []),
);
OPERATION_EXTRAS.splice(0, OPERATION_EXTRAS.length);

await import('../../../test/operations.test.js');
