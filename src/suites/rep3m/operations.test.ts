/**
 * The core's whole operation test suite (test/operations.test.ts, unmodified)
 * under rep3m: every product is authenticated, every output passes the MAC
 * check first, and the comparisons run on random bits from squares.
 *
 * The extra configurations operations.test.ts runs beside CONFIGS (such as
 * yao) are emptied here: test/operations.test.ts itself runs them.
 */
import { vi } from 'vitest';
import { CONFIGS, OPERATION_EXTRAS } from '../../../test/harness.js';

vi.setConfig({ testTimeout: 120_000 });

const configs = CONFIGS as unknown as Array<{ suite: string; parties: number }>;
configs.splice(0, configs.length, { suite: 'rep3m', parties: 3 });
OPERATION_EXTRAS.splice(0, OPERATION_EXTRAS.length);

await import('../../../test/operations.test.js');
