/** Placeholder: the shamir suite is implemented in a following commit. */
import type { SuiteFactory } from '../suite.js';

export const shamirSuite: SuiteFactory = {
  name: 'shamir',
  minParties: 3,
  maxParties: 15,
  create: () => {
    throw new Error('shamir: not implemented yet');
  },
};
