/**
 * The bundled hospital study with many hospitals as data owners, not parties
 * (`entente demo hospitals --input-parties N`, docs/APPS.md): each hospital seals its
 * local aggregates and records to three compute nodes (src/analytics/study/contributed.ts)
 * and goes offline; the nodes (rep3: semi-honest, honest majority) run the study's
 * analyses and release only the report.
 *
 * Synthetic records per hospital from src/apps/hospitals.ts (a seed, not for secrets).
 */
import { contributionKeyPair, type Bundle } from '../api/contributions.js';
import { runLocal, type PartyOutcome, type Program } from '../api/run.js';
import { parseCsvTable, type Table } from '../analytics/data/table.js';
import {
  aggregateLayout,
  contributeOwner,
  runContributedStudy,
} from '../analytics/study/contributed.js';
import type { StudyOutcome } from '../analytics/study/result.js';
import type { Study } from '../analytics/study/spec.js';
import { STATISTICS } from '../analytics/study/statistics.js';
import type { CryptoProvider } from '../random/provider.js';
import { generatePatients, patientsCsv } from './hospitals.js';

export const COMPUTE_NODES = ['node-1', 'node-2', 'node-3'] as const;

/** Owner ids hospital-001 .. hospital-N. */
export function ownerIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `hospital-${String(i + 1).padStart(3, '0')}`);
}

/** The study with `owners` as its data-owning parties (the analyses unchanged). */
export function withOwners(study: Study, owners: readonly string[]): Study {
  return {
    ...study,
    parties: owners.map((id) => ({
      id,
      name: id,
      data: `data/${id}.csv`,
      format: undefined,
      query: undefined,
    })),
  };
}

/** Hospital i's synthetic table (the generator of the bundled study). */
export function ownerTable(study: Study, i: number, rows: number, seed: number): Table {
  return parseCsvTable(
    patientsCsv(generatePatients(i, rows, seed)),
    study.schema,
    `hospital-${i + 1}.csv`,
  );
}

/** Where the nodes' time went, in seconds, as the first node saw it. */
export interface NodePhases {
  /** Setting up the nodes and agreeing on the study and on the envelope lists. */
  readonly setup: number;
  /** Opening this node's parts (HPKE), aggregates and records. */
  readonly open: number;
  /** Inputting the parts and range-checking every value (MPC). */
  readonly rangeCheck: number;
  /** Assembling the owners' records and summing their aggregates. */
  readonly assemble: number;
  /** The study's analyses, to the report. */
  readonly study: number;
}

export interface OwnersRun {
  readonly outcome: StudyOutcome & { readonly dropped: readonly string[] };
  /** Owners' time to compute and seal their contributions (all of them, one after another). */
  readonly sealSeconds: number;
  /** The nodes' time, from collecting to the report. */
  readonly seconds: number;
  readonly phases: NodePhases;
  /** Bytes the owners sent (the envelopes as JSON), and bytes the nodes sent each other. */
  readonly uploadBytes: number;
  readonly bytesSent: number;
  readonly rounds: number;
}

/** How the three compute nodes run a program: in memory by default, over TLS in the CLI. */
export type NodesRunner = <R>(
  program: Program<R>,
  nodes: readonly string[],
) => Promise<PartyOutcome<R>[]>;

export interface OwnersOptions {
  readonly crypto?: CryptoProvider;
  /** Called once every owner has sealed, before the nodes start (tests: owners go offline). */
  readonly onSealed?: () => void;
  readonly runNodes?: NodesRunner;
  /** Progress lines: the owners' sealing, then the first node's steps (counts, never a value). */
  readonly progress?: (message: string) => void;
}

/**
 * Owners seal their data and go offline (what reaches the nodes is the envelopes'
 * JSON, nothing else: no owner object is alive when the nodes start); then the nodes
 * run the study.
 */
export async function runHospitalOwners(
  study: Study,
  tables: readonly Table[],
  { crypto, onSealed, runNodes, progress }: OwnersOptions = {},
): Promise<OwnersRun> {
  const owners = ownerIds(tables.length);
  const st = withOwners(study, owners);
  const opts = { implementations: STATISTICS };
  const keys = await Promise.all(COMPUTE_NODES.map(() => contributionKeyPair()));
  const t0 = performance.now();
  const layout = await aggregateLayout(st, opts);
  const mailbox = await sealAll(
    st,
    layout,
    owners,
    tables,
    keys.map((k) => k.publicKey),
    progress,
  );
  const sealSeconds = (performance.now() - t0) / 1000;
  onSealed?.();
  const envelopes = JSON.parse(mailbox) as Bundle[];
  const t1 = performance.now();
  // The first node's steps, timed: where the nodes' time goes.
  const marks: { message: string; at: number }[] = [];
  const mark = (message: string) => {
    marks.push({ message, at: (performance.now() - t1) / 1000 });
    progress?.(message);
  };
  const program: Program<Awaited<ReturnType<typeof runContributedStudy>>> = (s) =>
    runContributedStudy(s, st, layout, envelopes, keys[s.indexOf(s.me)]!.privateKey, {
      ...opts,
      ...(s.me === COMPUTE_NODES[0] ? { progress: mark } : {}),
    });
  const outs = runNodes
    ? await runNodes(program, COMPUTE_NODES)
    : await runLocal(program, {
        suite: 'rep3',
        parties: [...COMPUTE_NODES],
        ...(crypto ? { crypto } : {}),
      });
  const seconds = (performance.now() - t1) / 1000;
  return {
    outcome: outs[0]!.result,
    sealSeconds,
    seconds,
    phases: nodePhases(marks, seconds),
    uploadBytes: new TextEncoder().encode(mailbox).length,
    bytesSent: outs.reduce((a, o) => a + o.stats.bytesSent, 0),
    rounds: Math.max(...outs.map((o) => o.stats.rounds)),
  };
}

/**
 * Each interval between the first node's progress lines, charged to the step that
 * ends it: collectContributions says 'opened ...' and 'range-checked ...';
 * runContributedStudy says '... records from ... owners' once the table is assembled.
 */
export function nodePhases(
  marks: readonly { message: string; at: number }[],
  seconds: number,
): NodePhases {
  const first = marks.findIndex((m) => m.message.startsWith('opened '));
  const assembled = marks.findIndex((m) => / records from \d+ owners/.test(m.message));
  if (first < 0 || assembled < 0)
    return { setup: 0, open: 0, rangeCheck: 0, assemble: 0, study: seconds };
  let open = 0;
  let rangeCheck = 0;
  let lastCheck = marks[first - 1]?.at ?? 0;
  for (let i = first; i < assembled; i++) {
    const took = marks[i]!.at - (marks[i - 1]?.at ?? 0);
    if (marks[i]!.message.startsWith('opened ')) open += took;
    if (marks[i]!.message.startsWith('range-checked ')) {
      rangeCheck += took;
      lastCheck = marks[i]!.at;
    }
  }
  const setup = marks[first - 1]?.at ?? 0;
  return {
    setup,
    open,
    rangeCheck,
    assemble: marks[assembled]!.at - lastCheck,
    study: seconds - marks[assembled]!.at,
  };
}

/** Every owner's envelopes, as the JSON a mailbox would hold; the owners are done after. */
async function sealAll(
  st: Study,
  layout: readonly { key: string; length: number }[],
  owners: readonly string[],
  tables: readonly Table[],
  nodeKeys: readonly Uint8Array[],
  progress?: (message: string) => void,
): Promise<string> {
  const bundles: Bundle[] = [];
  // About ten lines however many owners: a 1,000-owner run would otherwise print 1,000.
  const every = Math.max(1, Math.ceil(owners.length / 10));
  for (const [i, id] of owners.entries()) {
    const c = await contributeOwner(st, layout, id, tables[i]!, nodeKeys, {
      implementations: STATISTICS,
    });
    bundles.push(c);
    if ((i + 1) % every === 0 || i + 1 === owners.length)
      progress?.(`${i + 1}/${owners.length} owners have sealed their contributions`);
  }
  return JSON.stringify(bundles);
}
