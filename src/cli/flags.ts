/**
 * The flags each `entente` command takes. A flag a command does not take is
 * refused (exit 2) with the nearest known one, so that a typo (`--suit shamir`)
 * never runs with a default (the plaintext suite) in its place.
 */
import { parseRtt } from '../api/estimate.js';
import { UsageError } from './exit.js';

const KEY = ['key', 'cert', 'identity', 'listen', 'session'];
const CLIENT = ['profile', 'node', 'fingerprint', 'token'];

/** Each command (and mode) and the flags it reads. */
export function knownFlags(
  cmd: string,
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): readonly string[] | undefined {
  switch (cmd) {
    case 'demo':
      if (positional[0] === 'vote') return ['voters', 'seed', 'out'];
      if (positional[0] === 'budget') return ['residents', 'seed'];
      if (positional[0] === 'mobility')
        return ['trips', 'zones', 'epsilon', 'min-cell-size', 'seed', 'dir', 'out'];
      if (positional[0] === 'scoring') return ['customers', 'preset', 'seed'];
      if (positional[0] === 'ads') return ['scale', 'seed', 'epsilon', 'min-conversions'];
      if (positional[0] === 'wage-gap') return ['employers', 'min-cell-size', 'seed'];
      if (positional[0] === 'survey') return ['respondents', 'min-batch-size', 'epsilon', 'seed'];
      if (positional[0] === 'wellbeing')
        return ['students', 'min-batch-size', 'min-cell-size', 'epsilon', 'seed'];
      if (positional[0] === 'pay-transparency') return ['members', 'min-cell-size', 'seed'];
      if (positional[0] === 'donation') return ['people', 'total', 'floor', 'cap', 'seed'];
      if (positional[0] === 'hospitals') return ['input-parties', 'rows', 'seed'];
      if (positional[0] === 'aml')
        return ['persons', 'min-banks', 'min-inflow', 'seed', 'credit-rows'];
      return named.has('one-shot')
        ? ['one-shot', 'rows', 'suite', 'in-process', 'out', 'analyses', 'timeout-ms', 'ledger-dir']
        : ['rows', 'serve', 'dir'];
    case 'study':
      return named.has('federation')
        ? ['federation', 'party', 'suite', 'data', 'out', 'ledger', 'analyses', 'outcome', 'quiet']
            .concat(['sequential'])
            .concat(KEY)
            .concat(['plan-file', 'delay-ms', 'sequential'])
        : [
            'suite',
            'out',
            'data-dir',
            'analyses',
            'ledger-dir',
            'in-process',
            'timeout-ms',
            'delay-ms',
            'dry-run',
            'rtt',
            'sequential',
          ];
    case 'run':
      return named.has('federation')
        ? ['federation', 'party', 'suite', 'plan-file', 'delay-ms', ...KEY]
        : ['suite', 'parties', 'plan', 'delay-ms'];
    case 'keygen':
      return ['out', 'id'];
    case 'local':
      return ['parties', 'suite', 'transport', 'timeout-ms', 'plan-file', 'delay-ms'];
    case 'plan':
      return ['suite', 'parties', 'out', 'rtt'];
    case 'psi': {
      const psi = ['column', 'protocol', 'output', 'to', 'values', 'value-bits'];
      psi.push('min-intersection', 'epsilon', 'sensitivity', 'out', 'threshold');
      return named.has('federation')
        ? [...psi, 'federation', 'party', 'receiver', 'suite', ...KEY]
        : psi;
    }
    case 'suites':
    case 'help':
      return [];
    case 'node':
      switch (positional[0]) {
        case 'init':
          return [
            'dir',
            'id',
            'name',
            'host',
            'api-port',
            'mpc-port',
            'database',
            'listen',
            'identity-from',
            'if-absent',
          ];
        case 'start':
          return ['dir', 'database'];
        case 'info':
          return ['dir'];
        case 'user':
          return ['dir', 'name', 'role', 'profile-out'];
        case 'peer':
          return named.has('from') ? ['dir', 'from'] : ['dir', 'id', 'api', 'mpc', 'fingerprint'];
        default:
          return undefined;
      }
    case 'users':
    case 'datasets':
    case 'proposals':
    case 'proposal':
    case 'runs':
      return CLIENT;
    case 'user':
      return [...CLIENT, 'role'];
    case 'dataset':
      return [
        ...CLIENT,
        'file',
        'schema',
        'epsilon',
        'delta',
        'format',
        'max-epsilon-per-run',
        'min-cell-size',
      ];
    case 'propose':
      return [...CLIENT, 'suite', 'supersedes'];
    case 'approve':
      return [...CLIENT, 'max-epsilon', 'min-cell-size', 'yes'];
    case 'reject':
      return [...CLIENT, 'reason'];
    case 'results':
      return [...CLIENT, 'format'];
    case 'audit':
      return [...CLIENT, 'after'];
    case 'election':
      return positional[0] === 'serve'
        ? ['dir', 'host', 'port']
        : ['dir', 'guardians', 'threshold', 'index', 'device', 'out'];
    case 'verify':
      return [];
    case 'dap':
      switch (positional[0]) {
        case 'task':
          return [
            'vdaf',
            'survey',
            'leader',
            'helper',
            'out',
            'time-precision',
            'min-batch-size',
            'max-batch-query-count',
            'report-max-age',
            'epsilon',
          ];
        case 'provision':
          return ['dir', 'database', 'task'];
        case 'serve':
          return [
            'dir',
            'database',
            'host',
            'port',
            'workers',
            'job-size',
            'lease-ms',
            'max-attempts',
          ];
        case 'worker':
          return ['database', 'job-size', 'lease-ms', 'max-attempts', 'poll-ms'];
        case 'rejections':
          return ['dir', 'database', 'task'];
        case 'collect':
          return ['collector', 'start', 'duration', 'timeout-ms'];
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

/** Edit distance (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known flag nearest to `flag`, if one is near enough to be what was meant. */
export function suggest(flag: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = k.startsWith(flag) || flag.startsWith(k) ? 1 : distance(flag, k);
    if (d <= Math.max(2, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/**
 * @throws {UsageError} for the first flag `cmd` does not take, naming the nearest
 *   known one (`--suit`: did you mean --suite?) or else every flag it takes.
 */
export function checkFlags(
  cmd: string,
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): void {
  const known = knownFlags(cmd, positional, named);
  if (known === undefined) return;
  for (const flag of named.keys()) {
    if (known.includes(flag)) continue;
    const near = suggest(flag, known);
    const what = `${cmd}${(cmd === 'node' || cmd === 'demo' || cmd === 'election' || cmd === 'dap') && positional[0] ? ` ${positional[0]}` : ''}`;
    throw new UsageError(
      `${what}: unknown option --${flag}; ${
        near
          ? `did you mean --${near}?`
          : known.length > 0
            ? `it takes ${known.map((k) => `--${k}`).join(', ')}`
            : 'it takes no options'
      } (entente help)`,
    );
  }
}

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set([
  'in-process',
  'plan',
  'yes',
  'serve',
  'one-shot',
  'if-absent',
  'dry-run',
  'sequential',
]);

export interface Flags {
  positional: string[];
  named: Map<string, string>;
  /** A flag that takes a value but came last without one. */
  valueless?: string;
}

/** `--name value`, `--name=value` and the value-less flags above; the rest is positional. */
export function parseFlags(args: readonly string[]): Flags {
  const positional: string[] = [];
  const named = new Map<string, string>();
  let valueless: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (BOOLEAN_FLAGS.has(k) && v === undefined) {
        named.set(k, '1');
        continue;
      }
      const value = v ?? args[++i];
      if (value === undefined) valueless ??= k;
      named.set(k, value ?? '');
    } else positional.push(a);
  }
  return { positional, named, valueless };
}

/**
 * `--rtt 100ms` (or `0.1s`, or `100`): the round-trip time in milliseconds.
 * @throws {UsageError} naming the flag and the text.
 */
export function rttFlag(text: string): number {
  try {
    return parseRtt(text);
  } catch (e) {
    throw new UsageError(`--rtt: ${(e as Error).message}`);
  }
}

/**
 * An integer option of a one-command demo (`entente demo NAME --flag N`): `dflt` when
 * absent, else a safe integer in min..max.
 * @throws {UsageError} naming the demo, the flag and the text given.
 */
export function demoIntOption(
  demo: string,
  named: ReadonlyMap<string, string>,
  name: string,
  dflt: number,
  min: number,
  max: number,
): number {
  const v = named.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(
      `demo ${demo}: --${name} must be an integer in ${min}..${max}, got '${v}'`,
    );
  return n;
}
