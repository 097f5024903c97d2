/**
 * Entente's public API. Programs import from here; see README.md for a tour.
 */
export {
  int,
  fixed,
  bool,
  type SecretType,
  type IntType,
  type FixedType,
  type BoolType,
} from './api/types.js';
export { Session, type InputData } from './api/session.js';
export { SecretInt, SecretFixed, SecretBool, Secret, type Revealed } from './api/secret.js';
export { runLocal, type Program, type LocalRunOptions, type PartyOutcome } from './api/run.js';
export { planProgram, plannedSuite, PLANNABLE_SUITES, type Plan, type Counts } from './api/plan.js';
export { ProtocolAbort, OverflowError, SecretMisuseError } from './runtime/errors.js';
export { SUITES, suiteByName } from './suites/index.js';
export type { Suite, SuiteFactory, ThreatModel } from './suites/suite.js';
export type { StatsSnapshot } from './runtime/stats.js';
export type { CryptoProvider } from './random/provider.js';
export {
  contribute,
  contributeBundle,
  contributionKeyPair,
  collectBundles,
  collectContributions,
  ContributionError,
  type Bundle,
  type CollectedBundles,
  type Contribution,
  type ContributionSchema,
  type Collected,
  type SealedPart,
  type RejectReason,
} from './api/contributions.js';
