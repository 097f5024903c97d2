/**
 * `entente demo hospitals --input-parties N`: the bundled hospital study with N
 * hospitals as data owners (src/apps/hospital-owners.ts): each seals its local
 * aggregates and records to three compute nodes in this process and is done; the
 * nodes, linked by TLS on 127.0.0.1 (src/cli/tls-nodes.ts), run the study and print the
 * report, beside the answers computed in the clear on the pooled records (demo only).
 * Progress lines (the owners' sealing, the first node's steps) go to stderr.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeCryptoProvider } from '../adapters/node/crypto.js';
import { parseStudyText } from '../analytics/study/parse.js';
import { terminalReport } from '../analytics/study/report.js';
import { ownerIds, ownerTable, runHospitalOwners, withOwners } from '../apps/hospital-owners.js';
import { EXIT, UsageError } from './exit.js';
import { demoIntOption } from './flags.js';
import { runOverTls } from './tls-nodes.js';
import { pooledReference } from './study.js';

const HOSPITAL_STUDY = fileURLToPath(
  new URL('../../examples/hospitals/study.yaml', import.meta.url),
);

export async function hospitalOwnersDemo(
  positional: readonly string[],
  named: ReadonlyMap<string, string>,
): Promise<number> {
  if (positional.length > 0)
    throw new UsageError(`demo hospitals: unexpected argument '${positional[0]}'`);
  const owners = demoIntOption('hospitals', named, 'input-parties', 30, 1, 1000);
  const rows = demoIntOption('hospitals', named, 'rows', 100, 1, 100_000);
  const seed = demoIntOption('hospitals', named, 'seed', 2025, 0, 2 ** 31 - 1);
  const study = parseStudyText(readFileSync(HOSPITAL_STUDY, 'utf8'), HOSPITAL_STUDY);
  console.log(
    `${study.name}: ${owners} hospitals as data owners (synthetic, ${rows} patients each, seed ${seed});\n` +
      'each seals its local aggregates and records, one envelope per node, to 3 compute nodes (HPKE) and is done;\n' +
      'the nodes run rep3 (semi-honest, honest majority) over TLS on 127.0.0.1 and release only the report',
  );
  const tables = Array.from({ length: owners }, (_, i) => ownerTable(study, i, rows, seed));
  const t0 = performance.now();
  const r = await runHospitalOwners(study, tables, {
    crypto: nodeCryptoProvider,
    runNodes: (program, nodes) => runOverTls(program, nodes),
    // Progress on stderr, as `entente study` prints it: the report stays alone on stdout.
    progress: (m) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${m}`),
  });
  const reference = pooledReference(withOwners(study, ownerIds(owners)), tables);
  console.log('\n' + terminalReport(r.outcome, reference));
  const p = r.phases;
  console.log(
    `\nowners: ${r.sealSeconds.toFixed(1)} s to compute and seal (all ${owners}), ${(r.uploadBytes / 1e6).toFixed(2)} MB uploaded;` +
      ` nodes: ${r.seconds.toFixed(1)} s (open ${p.open.toFixed(1)} s, range checks ${p.rangeCheck.toFixed(1)} s, study ${p.study.toFixed(1)} s),` +
      ` ${r.rounds} rounds, ${(r.bytesSent / 1e6).toFixed(1)} MB sent` +
      (r.outcome.dropped.length ? `; dropped owners: ${r.outcome.dropped.join(', ')}` : ''),
  );
  return r.outcome.dropped.length === 0 ? EXIT.ok : EXIT.failed;
}
