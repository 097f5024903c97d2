/**
 * Unknown flags (issue 21, item 5): every command refuses a flag it does not
 * take, with the nearest known one, exit 2 and nothing run; `entente run`
 * states its suite and security model in its first line. Real processes for
 * the commands; the table of flags is checked against each command's usage.
 */
import { describe, expect, it } from 'vitest';
import { knownFlags, suggest } from '../src/cli/flags.js';
import { Cli } from './net/helpers.js';

const F = 'test/net/fixtures';

describe('unknown flags', () => {
  for (const [args, message] of [
    [
      ['run', `${F}/stats.ts`, '--suit', 'shamir'],
      /run: unknown option --suit; did you mean --suite\?/,
    ],
    [
      ['local', `${F}/stats.ts`, '--partys', '3'],
      /local: unknown option --partys; did you mean --parties\?/,
    ],
    [
      ['run', `${F}/stats.ts`, '--federation', 'f.json', '--party', 'p1', '--sesion', 's'],
      /did you mean --session\?/,
    ],
    [
      ['study', 'examples/hospitals/study.yaml', '--in-proces'],
      /study: unknown option --in-proces; did you mean --in-process\?/,
    ],
    [['demo', '--suite', 'rep3'], /demo: unknown option --suite; it takes --rows, --serve, --dir/],
    [['demo', '--one-shot', '--row', '5'], /did you mean --rows\?/],
    [
      ['demo', 'scoring', '--seeds', 'x'],
      /demo scoring: unknown option --seeds; did you mean --seed\?/,
    ],
    [
      ['demo', 'donation', '--peopel', '5'],
      /demo donation: unknown option --peopel; did you mean --people\?/,
    ],
    [['keygen', '--out', 'x', '--idd', 'a'], /keygen: unknown option --idd; did you mean --id\?/],
    [['plan', `${F}/stats.ts`, '--suite', 'semi2k', '--output', 'x'], /did you mean --out\?/],
    [['node', 'init', '--dri', 'x'], /node init: unknown option --dri; did you mean --dir\?/],
    [['approve', 'ID', '--ye'], /approve: unknown option --ye; did you mean --yes\?/],
    [['results', 'RUN', '--formt', 'json'], /did you mean --format\?/],
    [['suites', '--all'], /suites: unknown option --all; it takes no options/],
    [['local', `${F}/stats.ts`, '--delay', '50'], /did you mean --delay-ms\?/],
    [['study', 'examples/hospitals/study.yaml', '--dryrun'], /did you mean --dry-run\?/],
    [['plan', `${F}/stats.ts`, '--suite', 'rep3', '--rt', '100ms'], /did you mean --rtt\?/],
  ] as const) {
    it(`entente ${args.join(' ')}: exit 2, nothing runs`, async () => {
      const exit = await new Cli(args).exit();
      expect(exit.code).toBe(2);
      expect(exit.stderr).toMatch(message);
      expect(exit.stdout).toBe('');
    });
  }

  it('suggests only a flag near enough', () => {
    const run = knownFlags('run', [], new Map())!;
    expect(suggest('suit', run)).toBe('suite');
    expect(suggest('plna', run)).toBe('plan');
    expect(suggest('verbose', run)).toBeUndefined();
  });

  it("every flag in each command's usage is known to it", () => {
    const m = (o: Record<string, string> = {}) => new Map(Object.entries(o));
    const cases: Array<[string, string[], Map<string, string>, string[]]> = [
      ['run', [], m(), ['suite', 'parties', 'plan', 'delay-ms']],
      [
        'run',
        [],
        m({ federation: 'f' }),
        ['party', 'suite', 'key', 'cert', 'identity', 'listen', 'session', 'plan-file', 'delay-ms'],
      ],
      ['local', [], m(), ['parties', 'suite', 'transport', 'timeout-ms', 'plan-file', 'delay-ms']],
      ['plan', [], m(), ['suite', 'parties', 'out', 'rtt']],
      [
        'study',
        [],
        m(),
        [
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
        ],
      ],
      [
        'study',
        [],
        m({ federation: 'f' }),
        [
          'party',
          'data',
          'out',
          'ledger',
          'key',
          'cert',
          'identity',
          'listen',
          'session',
          'suite',
          'outcome',
          'quiet',
          'delay-ms',
        ],
      ],
      ['demo', [], m(), ['rows', 'serve', 'dir']],
      ['demo', [], m({ 'one-shot': '1' }), ['rows', 'suite', 'in-process']],
      ['demo', ['scoring'], m(), ['customers', 'preset', 'seed']],
      ['demo', ['vote'], m(), ['voters', 'seed', 'out']],
      ['demo', ['budget'], m(), ['residents', 'seed']],
      ['demo', ['mobility'], m(), ['trips', 'zones', 'epsilon', 'min-cell-size', 'seed']],
      ['demo', ['ads'], m(), ['scale', 'seed', 'epsilon', 'min-conversions']],
      ['demo', ['aml'], m(), ['persons', 'min-banks', 'min-inflow', 'seed', 'credit-rows']],
      ['demo', ['survey'], m(), ['respondents', 'min-batch-size', 'epsilon', 'seed']],
      [
        'demo',
        ['wellbeing'],
        m(),
        ['students', 'min-batch-size', 'min-cell-size', 'epsilon', 'seed'],
      ],
      ['dap', ['task', 'new'], m(), ['survey', 'leader', 'helper', 'out', 'min-batch-size']],
      ['demo', ['donation'], m(), ['people', 'total', 'floor', 'cap', 'seed']],
      ['demo', ['hospitals'], m(), ['input-parties', 'rows', 'seed']],
      ['election', ['serve'], m(), ['dir', 'host', 'port']],
      ['node', ['init'], m(), ['dir', 'id', 'name', 'host', 'api-port', 'mpc-port', 'database']],
      ['node', ['start'], m(), ['dir', 'database']],
      ['node', ['user', 'add'], m(), ['dir', 'name', 'role', 'profile-out']],
      ['node', ['peer', 'add'], m(), ['dir', 'id', 'api', 'mpc', 'fingerprint']],
      [
        'dataset',
        ['add'],
        m(),
        [
          'profile',
          'node',
          'fingerprint',
          'token',
          'file',
          'schema',
          'epsilon',
          'delta',
          'format',
          'max-epsilon-per-run',
          'min-cell-size',
        ],
      ],
      ['approve', ['ID'], m(), ['max-epsilon', 'min-cell-size', 'yes', 'profile']],
      ['audit', [], m(), ['after', 'profile']],
    ];
    for (const [cmd, pos, named, flags] of cases)
      expect(knownFlags(cmd, pos, named), `${cmd} ${pos.join(' ')}`).toEqual(
        expect.arrayContaining(flags),
      );
  });
});

describe('entente run states its suite and security model first', () => {
  it('in process: the first stderr line names the suite and its threat model', async () => {
    const exit = await new Cli([
      'run',
      `${F}/stats.ts`,
      '--suite',
      'rep3',
      '--parties',
      '3',
    ]).exit();
    expect(exit.code).toBe(0);
    expect(exit.stderr.split('\n')[0]).toMatch(
      /^entente run: suite rep3 \(security: semi-honest.*; 1 of 3 parties \(honest majority\).*\), 3 parties in this process$/,
    );
    const plain = await new Cli(['run', `${F}/never.ts`]).exit();
    expect(plain.stderr.split('\n')[0]).toMatch(
      /^entente run: suite plaintext \(security: none: every party sees every value; no security\)/,
    );
  });
});
