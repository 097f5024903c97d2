/**
 * The exit status of every `entente` command, in every mode (docs/OPERATIONS.md,
 * "Exit status"). Scripts may rely on these and on nothing else:
 *
 *   0    the command did what it was asked; for a computation, its result was printed
 *   1    the computation (or a link, a node, a party) failed, or ended without a result
 *   2    bad input or usage: an unknown flag, a missing or unloadable program, a bad
 *        federation, study or data file, a refusal by a node (nothing was computed)
 *   130  interrupted by SIGINT (Ctrl-C), after stopping what it had started
 *   143  stopped by SIGTERM, after stopping what it had started
 */
import type { SuiteFactory, ThreatModel } from '../suites/suite.js';
import { createMemoryNetwork } from '../transport/memory.js';
import { Party } from '../runtime/party.js';
import { webCryptoProvider } from '../random/provider.js';

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  sigint: 130,
  sigterm: 143,
} as const;

/** The status of a process stopped by `sig`: 128 + the signal's number. */
export function signalExit(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}

/** A mistake in the command line or configuration: exit status 2. */
export class UsageError extends Error {}

/** A suite's threat model, from an instance that is never set up or run. */
export function threatModel(factory: SuiteFactory, parties: number): ThreatModel | undefined {
  try {
    const ids = Array.from({ length: parties }, (_, i) => `p${i + 1}`);
    const [t] = createMemoryNetwork(parties, 'model');
    return factory.create(new Party({ ids, transport: t!, crypto: webCryptoProvider })).model;
  } catch {
    return undefined;
  }
}

/** `suite rep3 (semi-honest, 1 of 3 parties (honest majority); ...)`, for a run's first line. */
export function suiteLine(factory: SuiteFactory, parties: number): string {
  const m = threatModel(factory, parties);
  return m
    ? `suite ${factory.name} (security: ${m.adversary}; ${m.threshold})`
    : `suite ${factory.name}`;
}
