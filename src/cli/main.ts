/**
 * The `entente` command line. It only parses arguments and calls the library.
 *
 *   entente demo [--rows 10000] [--serve] [--dir DIR]   the bundled study on three party nodes (src/cli/node-demo.ts)
 *   entente demo --one-shot [--rows N] [--suite S]      the same study as one command (src/cli/study.ts)
 *   entente demo mobility [--trips N]                  three transport operators' OD matrix (src/cli/mobility.ts)
 *   entente demo scoring [--customers N] [--preset P]   private scoring under lattice HE (src/cli/scoring.ts)
 *   entente demo vote [--voters N] [--seed S]          a verifiable election in one command (src/cli/vote-demo.ts)
 *   entente demo budget [--residents N] [--seed S]     participatory budgeting with cumulative ballots (src/cli/budget-demo.ts)
 *   entente demo ads [--scale S]                   conversion lift with a private join (src/cli/ads.ts)
 *   entente demo aml [--persons N]                     threshold PSI across four banks (src/cli/aml.ts)
 *   entente demo pay-transparency [--members N]        pay statistics in a group, from contributions (src/cli/pay.ts)
 *   entente demo wage-gap [--employers N]              payroll tables across employers, from contributions (src/cli/wagegap.ts)
 *   entente demo survey [--respondents N]              a city survey through DAP (src/cli/survey-demo.ts)
 *   entente demo wellbeing [--students N]              PHQ-9 across universities through DAP (src/cli/wellbeing.ts)
 *   entente demo donation [--people N]                 a donation split by income, each learning their own share (src/cli/donation.ts)
 *   entente demo hospitals [--input-parties N]         the bundled study, hospitals as data owners of 3 nodes (src/cli/hospital-owners.ts)
 *   entente study STUDY [...]                      run a study file (src/cli/study.ts)
 *   entente run PROGRAM [--suite S] [--parties N] run a program module with every party in this process
 *   entente suites                                 the protocol suites and their threat models
 *   entente keygen | run --federation | local      network parties (src/cli/net.ts)
 *
 * `main(argv)` returns the exit status and has no side effects on the process
 * beyond what the command does (the `entente/cli` entry point); the process
 * around it (signals, exit status) is src/cli/bin.ts.
 */
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { writeFile } from 'node:fs/promises';
import { countRounds, ESTIMATE_NOTE, estimateSeconds } from '../api/estimate.js';
import {
  formatCounts,
  PLANNABLE_SUITES,
  planProgram,
  plannedSuite,
  planToJson,
} from '../api/plan.js';
import { runLocal, type Program } from '../api/run.js';
import { SUITES, suiteByName } from '../suites/index.js';
import { EXIT, suiteLine, UsageError } from './exit.js';
import { checkFlags, parseFlags, rttFlag, type Flags } from './flags.js';
import { computing, keygen, loadProgram, local, runFederated } from './net.js';
// The study commands (and the analytics layer behind them) are imported only
// when used: a party process of `entente run` keeps a smaller heap, which
// every garbage collection walks (about once per million-element operation).
const studyCommands = () => import('./study.js');
const nodeCommands = () => import('./node.js');
const psiCommands = () => import('./psi.js');

const USAGE = `usage: entente <command> [options]

commands:
  demo   [--rows N] [--serve] [--dir DIR]
         the bundled study on the platform: three hospital nodes (embedded databases) register
         synthetic records (N patients each, default 10000), an analyst proposes the study, each
         owner reviews what it releases and approves, the nodes run it over TLS on 127.0.0.1;
         prints the report beside the plaintext answers on the pooled records (demo only) and
         each node's audit-log verdict; --serve keeps the nodes up
  demo   --one-shot [--rows N] [--suite rep3|shamir] [--in-process]
         the same study as one command, each hospital a process (no nodes)
  demo   mobility [--trips N] [--zones Z] [--epsilon E|none] [--min-cell-size K] [--seed S]
         [--dir DIR] [--out DIR]
         three transport operators (synthetic Parquet trips, 10M each by default) aggregate
         their own trips in SQL (DuckDB); the origin-destination matrix by hour band is summed,
         noised (DP) and suppressed below K inside MPC; printed beside the plaintext answer,
         with a heatmap
  demo   scoring [--customers N] [--preset ckks-8192|ckks-16384] [--seed HEX]
         private credit scoring under lattice HE (docs/HE-LATTICE.md): a bank scores each
         synthetic customer's encrypted 64 features with a logistic model, only the customer
         decrypts; prints encrypted beside plaintext scores, timings and bytes (runs node-seal
         in headless Chromium where Node cannot)
  demo   ads [--scale S] [--seed N] [--epsilon E] [--min-conversions K]
         conversion lift: a publisher (1M people, exposed/control, cohort) and an advertiser
         (100k conversions) joined inside MPC; conversions, revenue and lift per cohort
         released with DP, the plaintext answer beside; --scale 0.01 for a quick run
  demo   aml [--persons N] [--min-banks K] [--min-inflow X] [--seed S] [--credit-rows R]
         anti-money laundering across four banks (synthetic, from the seed): only the persons
         seen at >= K banks (default 3) whose inflow summed inside MPC is >= X (default 100000)
         are released; then a joint credit-risk logistic regression on two banks' records
         joined privately on customer id (R rows per bank, default 2000); each printed beside
         the plaintext answer on the pooled records
  demo   pay-transparency [--members N] [--min-cell-size K] [--seed S]
         income transparency in a co-operative (synthetic): N members (default 200) seal
         additive parts of their pay, role and gender to three compute nodes; the group's
         quartiles, mean pay by role and gender in cells of >= K (default 5) and the gap per
         role are released, and each member alone decodes their own percentile; printed
         beside the plaintext answer
  demo   wage-gap [--employers N] [--min-cell-size K] [--seed S]
         the wage-gap study: N employers (default 100) seal payroll tables of 240 cells (job
         category x race x gender) x 4 measures to three compute nodes; each value is range-
         checked inside MPC, cells are summed over employers and released with a minimum
         cell size (default 5), with the pay gap per category; beside the plaintext answer
  demo   survey [--respondents N] [--min-batch-size K] [--epsilon E|none] [--seed S]
         a city satisfaction survey through DAP: N simulated respondents (default 1500) in 8
         districts, each district a Prio3Histogram task, each rating sent by the @divviup/dap
         client to a Leader and a Helper on 127.0.0.1; released per district with >= K reports
         (default 100) and noise at epsilon E (default 1); beside the plaintext histograms
  demo   wellbeing [--students N] [--min-batch-size K] [--min-cell-size C] [--epsilon E|none]
         [--seed S]
         a PHQ-9 survey across 5 universities through DAP: N simulated students (default 20000, minutes),
         each university a Prio3Histogram task over (year, total score); the distribution of
         scores and the share at or above 10 by university and year, with >= K reports per
         university (default 100), cells of >= C (default 10) and noise at epsilon E (default
         1); beside the plaintext answer
  demo   donation [--people N] [--total T] [--floor F] [--cap C] [--seed S]
         a fair donation split: N people (5..10,000, default 12) seal their incomes to three compute
         nodes (shamir); each pays in proportion to income, between F (default 30) and C
         (default 200), the shares adding up to T (default 100 N); each person alone decodes
         their own share; printed beside the rule applied in the clear
  demo   hospitals [--input-parties N] [--rows R] [--seed S]
         the bundled hospital study with N hospitals (default 30) as data owners, not parties:
         each seals its local aggregates and R records (default 100) to three compute nodes
         (rep3) and is done; the nodes run the study and print the report beside the answers
         on the pooled records
  study  STUDY [--suite S] [--out DIR] [--data-dir DIR] [--analyses ID,...] [--ledger-dir DIR]
         [--in-process] [--timeout-ms T] [--delay-ms D] [--sequential]
         run a study file (docs/ANALYTICS.md) with every party as a process on this machine;
         its analyses run concurrently, sharing rounds (--sequential: one after another);
         --delay-ms D adds D ms to every message, as between distant parties
  study  STUDY --dry-run [--rtt 100ms] [--suite S] [--data-dir DIR] [--analyses ID,...]
         the study as a plan: rounds per analysis and the estimated time at each RTT (default
         0, 10, 50 and 100 ms), from a dry run with every party in this process (nothing printed
         or written but the plan)
  study  STUDY --federation FILE --party ID [--data FILE] [--out DIR] [--ledger FILE] [--sequential]
         [key options as run]
         run a study as one party of a federation; reads only this party's data; with
         --ledger, charges the run's privacy spend to the dataset's budget ledger first
  run    PROGRAM [--suite S] [--parties N] [--plan] [--delay-ms D]
         run a program module (its default export, (session) => Promise<result>)
         with every party in this process, and print each party's result and counters;
         with --plan (semi2k, spdz2k): count the preprocessing the program needs by a dry
         run in the clear, print it, generate it all before the program starts, then run
         (printing preprocessing and online time apart)
  plan   PROGRAM --suite semi2k|spdz2k --parties N [--out FILE]
         count the preprocessing a program needs (a dry run in the clear, every party
         in this process, on the program's own data or data of the same sizes); print
         it, and write it to FILE for 'run --plan-file' / 'local --plan-file'
  plan   PROGRAM --suite S --parties N --rtt 100ms
         count the rounds a program takes under any suite (a dry run, every party in this
         process) and estimate its time at that round-trip time: compute + rounds x RTT/2
  psi    A.csv B.csv --column C [--protocol ot|ecdh] [--output intersection|cardinality|sum]
         [--to receiver|both] [--values COL [--value-bits B] [--min-intersection K] [--epsilon E
         [--sensitivity S]]] [--out FILE]
         one-off private set intersection of two CSV files on key column C, both parties in
         this process (A's party learns the result); --output sum adds up B's column COL over
         the shared keys, released only under the policy (docs/PSI.md)
  psi    FILE.csv --column C --federation FED --party ID [--receiver ID] [same options] [key options as run]
         the same as one party of a two-party federation over TLS 1.3
  psi    A.csv B.csv C.csv ... --column C --threshold T [--out FILE]
         threshold PSI: the keys held by at least T of the n >= 3 files' parties, to all
         (shamir, all parties in this process); with --federation FED --party ID, one party
         of an n-party federation (its suite: shamir, or rep3 for three)
  suites list the protocol suites with their threat models
  help   show this text

verifiable elections (docs/VOTE.md):
  demo vote [--voters N] [--seed S] [--out RECORD]
         a whole election in one command: the key ceremony of 3 guardians (threshold 2), N
         simulated voters (default 10000; choices from seed S) at 4 devices, the tally, its
         decryption with guardian 2 missing, the record and the verifier's verdict; prints the
         tally beside the plaintext count of the choices
  demo budget [--residents N] [--seed S]
         participatory budgeting: N residents (default 2000; allocations from seed S) each give
         exactly 100 points over 8 projects (each allocation proved in 0..100, the total proved
         exact), the tally of points per project, the projects funded within the public budget
         (greedy by points) and the verifier's verdict; beside the plaintext computation
  election init MANIFEST --dir DIR --guardians N --threshold T
  election guardian keys|shares|receive|answer --dir DIR --index I     the key ceremony, per guardian
  election finalize --dir DIR                    the joint key, once every guardian has checked its shares
  election vote BALLOTS --dir DIR --device D     encrypt, prove and cast (or spoil) a file of ballots
  election tally --dir DIR                       the homomorphic tally of the cast ballots
  election guardian decrypt --dir DIR --index I  a guardian's decryption shares, with proofs
  election publish --dir DIR --out RECORD        the counts and the election record
  verify election RECORD
         check every proof, the chains of confirmation codes, the tally and its decryption;
         exit 1 naming the first thing that fails

party nodes (docs/NODE.md):
  node init --dir DIR --id ORG [--name NAME] [--host H] [--api-port P] [--mpc-port P] [--database URL]
         [--listen ADDR] [--identity-from DIR] [--if-absent]
         create a node: identity keys, configuration, embedded database (or a PostgreSQL URL);
         --listen: bind there (e.g. 0.0.0.0 in a container) while peers reach --host;
         --identity-from: use DIR/ORG.key and DIR/ORG.crt (a mounted secret) instead of new keys;
         --if-absent: do nothing if DIR is this node already (for container start-up)
  node start --dir DIR [--database URL]      run the node (API over TLS) until stopped
  node info --dir DIR                        what peers need: id, API URL, MPC address, fingerprint
  node user add --dir DIR --name N --role owner|analyst|auditor [--profile-out FILE]
  node peer add --dir DIR --id ID --api https://HOST:PORT --mpc HOST:PORT --fingerprint FP
  node peer add --dir DIR --from FILE         every peer in FILE (a JSON list of 'node info' outputs)

client of a node (--profile FILE, or --node URL --fingerprint FP --token T):
  users | user add NAME --role R | user disable NAME
  datasets | dataset add NAME --file F --schema S --epsilon E [--delta D] [--max-epsilon-per-run X] [--min-cell-size K]
  propose STUDY [--suite S] [--supersedes ID]     proposals | proposal ID
  approve ID [--max-epsilon E] [--min-cell-size K] [--yes]     reject ID --reason TEXT
  runs [watch [RUN]]     results RUN [--format text|json|md]     audit [verify]

DAP aggregation (docs/DAP.md; clients: the @divviup/dap library):
  dap task new --vdaf count|sum:B|sumvec:L:B:C|histogram:L:C --leader URL --helper URL --out DIR
         [--time-precision S] [--min-batch-size N] [--max-batch-query-count N] [--report-max-age S]
         [--epsilon E]
         a new task: ids, verification key, tokens and HPKE keys; DIR/leader.json, helper.json,
         collector.json (secret) and client.json (what a client's Task takes)
  dap task new --survey FILE --leader URL --helper URL --out DIR [options as above]
         a survey task: the questions of FILE (JSON: title, questions with id, text, options)
         go with the Leader's task, the VDAF is a histogram of their combinations, and the
         Leader serves the survey page at LEADER/surveys/TASK/ (answers encrypted in the browser)
  dap provision --dir DIR [--database URL] --task FILE     store a task at an aggregator
  dap serve --dir DIR [--database URL] [--host H] [--port P] [--workers N] [--job-size N]
         [--lease-ms MS] [--max-attempts N]
         run a Leader or Helper (HTTP; put TLS in front) for every task provisioned in DIR;
         --workers N starts N aggregation worker processes (PostgreSQL; 1 on PGlite, in process)
  dap worker --database URL [--job-size N] [--lease-ms MS] [--max-attempts N] [--poll-ms MS]
         a Leader's aggregation worker: leases aggregation jobs from the database and runs them
  dap collect --collector FILE --start T --duration S [--timeout-ms T]
         the aggregate of a batch interval, as JSON
  dap rejections --dir DIR [--database URL] --task ID     rejected reports by reason

network (docs/OPERATIONS.md):
  keygen --out DIR --id ID
         write a private key (DIR/ID.key, mode 0600) and a self-signed certificate
         (DIR/ID.crt); print the certificate's SHA-256 fingerprint for the federation file
  run    PROGRAM --federation FILE --party ID [--suite S]
         [--key FILE --cert FILE | --identity FILE] [--listen ADDR] [--session ID]
         [--plan-file PLAN] [--delay-ms D]
         run the program as party ID over mutually authenticated TLS 1.3; keys default
         to ID.key and ID.crt beside FILE; with a plan ('entente plan --out'), generate
         all preprocessing before the program and refuse to run out of it
  local  PROGRAM --parties N [--suite S] [--transport tls|ws] [--timeout-ms T] [--plan-file PLAN]
         [--delay-ms D]
         fresh keys, a federation on 127.0.0.1, one 'entente run' process per party;
         --delay-ms D: every party hands each message to its link D ms after sending it
         (a simulated wide-area link, for measuring)`;

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const flags = parseFlags(rest);
  // Unknown flags first: `--yse` at the end is a typo, not a flag missing its value.
  if (cmd !== undefined) checkFlags(cmd, flags.positional, flags.named);
  if (flags.valueless !== undefined)
    throw new UsageError(`option --${flags.valueless} needs a value`);
  switch (cmd) {
    case 'demo':
      if (flags.positional[0] === 'mobility')
        return (await import('./mobility.js')).mobilityDemo(flags.positional.slice(1), flags.named);
      if (flags.positional[0] === 'scoring')
        return (await import('./scoring.js')).scoringDemo(flags.named);
      if (flags.positional[0] === 'vote')
        return (await import('./vote-demo.js')).voteDemo(flags.named);
      if (flags.positional[0] === 'budget')
        return (await import('./budget-demo.js')).budgetDemo(flags.named);
      if (flags.positional[0] === 'ads') return (await import('./ads.js')).adsDemo(flags.named);
      if (flags.positional[0] === 'aml')
        return (await import('./aml.js')).amlDemo(flags.positional.slice(1), flags.named);
      if (flags.positional[0] === 'wage-gap')
        return (await import('./wagegap.js')).wageGapDemo(flags.positional.slice(1), flags.named);
      if (flags.positional[0] === 'survey')
        return (await import('./survey-demo.js')).surveyDemo(
          flags.positional.slice(1),
          flags.named,
        );
      if (flags.positional[0] === 'wellbeing')
        return (await import('./wellbeing.js')).wellbeingDemo(
          flags.positional.slice(1),
          flags.named,
        );
      if (flags.positional[0] === 'pay-transparency')
        return (await import('./pay.js')).payDemo(flags.positional.slice(1), flags.named);
      if (flags.positional[0] === 'hospitals')
        return (await import('./hospital-owners.js')).hospitalOwnersDemo(
          flags.positional.slice(1),
          flags.named,
        );
      if (flags.positional[0] === 'donation')
        return (await import('./donation.js')).donationDemo(flags.positional.slice(1), flags.named);
      return flags.named.get('one-shot') === '1'
        ? (await studyCommands()).demo(flags.named)
        : (await import('./node-demo.js')).nodeDemo(flags.named);
    case 'study':
      return (await studyCommands()).study(flags.positional, flags.named);
    case 'run':
      return flags.named.has('federation')
        ? runFederated(flags.positional[0], flags.named)
        : runProgram(flags);
    case 'keygen':
      return keygen(flags.named);
    case 'local':
      return local(flags.positional[0], flags.named);
    case 'plan':
      return planCommand(flags);
    case 'psi':
      return (await psiCommands()).psiCommand(flags.positional, flags.named);
    case 'suites':
      return listSuites();
    case 'node':
      return (await nodeCommands()).nodeCommand(flags.positional, flags.named);
    case 'election':
      return (await import('./election.js')).electionCommand(flags.positional, flags.named);
    case 'verify':
      return (await import('./election.js')).verifyCommand(flags.positional);
    case 'dap':
      return (await import('./dap.js')).dapCommand(flags.positional, flags.named);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default: {
      const client = await (await nodeCommands()).clientCommand(cmd, flags.positional, flags.named);
      if (client !== undefined) return client;
      console.error(`entente: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
    }
  }
}

function intFlag(f: Flags, name: string, dflt: number, min: number, max: number): number {
  const v = f.named.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name}: expected an integer in ${min}..${max}, got '${v}'`);
  return n;
}

async function runProgram(f: Flags): Promise<number> {
  const suite = f.named.get('suite') ?? 'plaintext';
  const factory = suiteByName(suite);
  const parties = intFlag(
    f,
    'parties',
    Math.max(factory.minParties, 1),
    factory.minParties,
    factory.maxParties,
  );
  const program = await loadProgramFlag(f, 'run');
  // First, what protects the inputs (a typo in --suite must not pass unnoticed).
  console.error(
    `entente run: ${suiteLine(factory, parties)}, ${parties} ${parties === 1 ? 'party' : 'parties'} in this process`,
  );
  const delayMs = intFlag(f, 'delay-ms', 0, 0, 60_000);
  if (f.named.has('plan')) return runPlanned(program, suite, parties, delayMs);
  const outs = await computing(() =>
    runLocal(program, {
      suite,
      parties,
      crypto: nodeCryptoProvider,
      delayMs,
    }),
  );
  printOutcomes(outs);
  return EXIT.ok;
}

async function loadProgramFlag(f: Flags, cmd: string): Promise<Program<unknown>> {
  const file = f.positional[0];
  if (!file)
    throw new UsageError(
      `${cmd}: name a program module, e.g. entente ${cmd} examples/millionaires.ts`,
    );
  return loadProgram(file);
}

/**
 * `entente plan`: the dry run's counts, printed and optionally written for
 * `--plan-file`; with `--rtt`, also the rounds and the estimated time at that
 * round-trip time (src/api/estimate.ts), for any suite.
 */
async function planCommand(f: Flags): Promise<number> {
  const suite = f.named.get('suite');
  const rttText = f.named.get('rtt');
  if (!suite)
    throw new UsageError('plan: --suite is required (semi2k or spdz2k; with --rtt, any suite)');
  const factory = suiteByName(suite);
  const parties = intFlag(f, 'parties', factory.minParties, factory.minParties, factory.maxParties);
  const rttMs = rttText === undefined ? undefined : rttFlag(rttText);
  const program = await loadProgramFlag(f, 'plan');
  const out = f.named.get('out');
  if (rttMs === undefined || PLANNABLE_SUITES.includes(suite) || out) {
    const plan = await computing(() => planProgram(program, suite, parties, nodeCryptoProvider));
    console.log(planLine(suite, parties, plan.counts));
    if (out) {
      await writeFile(out, planToJson(plan));
      console.log(`plan written to ${out}`);
    }
  }
  if (rttMs !== undefined) {
    const c = await computing(() => countRounds(program, suite, parties, nodeCryptoProvider));
    console.log(
      `rounds of this program under ${suite} with ${parties} parties (each party, by a dry run in this process): ` +
        `${c.rounds} rounds, compute ${c.computeSeconds.toFixed(2)} s, ${c.bytesSent} bytes sent by the busiest party`,
    );
    console.log(
      `estimated time at RTT ${rttMs} ms: ${estimateSeconds(c, rttMs).toFixed(2)} s ` +
        `(${c.computeSeconds.toFixed(2)} s compute + ${c.rounds} rounds x ${rttMs / 2} ms)`,
    );
    console.log(`(${ESTIMATE_NOTE})`);
  }
  return 0;
}

function planLine(suite: string, parties: number, counts: Record<string, number>): string {
  return `preprocessing for this program under ${suite} with ${parties} parties (each party, by a dry run in the clear): ${formatCounts(counts)}`;
}

/** `run --plan`: count the material, report it, generate it up front, then run. */
async function runPlanned(
  program: Program<unknown>,
  suite: string,
  parties: number,
  delayMs: number,
) {
  const plan = await computing(() => planProgram(program, suite, parties, nodeCryptoProvider));
  console.log(planLine(suite, parties, plan.counts));
  // The suite's setup generates the plan before the program starts; the
  // program's own time (from its first step) is the online phase.
  let online = 0;
  const timed: Program<unknown> = async (s) => {
    const t = performance.now();
    const r = await program(s);
    online = Math.max(online, performance.now() - t);
    return r;
  };
  const t0 = performance.now();
  const outs = await computing(() =>
    runLocal(timed, {
      suite: plannedSuite(suite, plan.counts),
      parties,
      crypto: nodeCryptoProvider,
      delayMs,
    }),
  );
  const total = performance.now() - t0;
  printOutcomes(outs);
  console.log(
    `setup and preprocessing ${((total - online) / 1000).toFixed(2)} s, online ${(online / 1000).toFixed(2)} s`,
  );
  return 0;
}

function printOutcomes(outs: Awaited<ReturnType<typeof runLocal<unknown>>>): void {
  for (const o of outs) {
    console.log(`${o.party}: ${show(o.result)}`);
    console.log(
      `  ${o.stats.rounds} rounds, ${o.stats.messagesSent} messages, ${o.stats.bytesSent} bytes sent`,
    );
  }
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? (x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x.toString()) : x,
  );
}

function listSuites(): number {
  for (const f of Object.values(SUITES)) {
    console.log(
      `${f.name} (${f.minParties === f.maxParties ? f.minParties : `${f.minParties}-${f.maxParties}`} parties)`,
    );
  }
  console.log('\nThreat models: see README.md (Security) and docs/SUITES.md.');
  return 0;
}
