/**
 * `entente node ...` (run a party node) and the client commands that talk to
 * a node's API (docs/NODE.md). Parses arguments, calls src/node.
 *
 *   entente node init --dir DIR --id ORG [--name NAME] [--host H] [--api-port P] [--mpc-port P] [--database URL]
 *                     [--listen ADDR] [--identity-from DIR] [--if-absent]
 *   entente node start --dir DIR [--database URL]
 *   entente node info --dir DIR
 *   entente node user add --dir DIR --name NAME --role owner|analyst|auditor [--profile-out FILE]
 *   entente node peer add --dir DIR --id ID --api https://HOST:PORT --mpc HOST:PORT --fingerprint FP
 *   entente node peer add --dir DIR --from FILE   (a JSON list of `node info` outputs)
 *
 *   entente datasets | dataset add NAME --file F --schema S --epsilon E [--delta D] [--format csv|jsonl|parquet]
 *                                      [--max-epsilon-per-run X] [--min-cell-size K]
 *   entente propose STUDY [--suite S] [--supersedes ID]
 *   entente proposals | proposal ID
 *   entente approve ID [--max-epsilon E] [--min-cell-size K] [--yes]
 *   entente reject ID --reason TEXT
 *   entente runs [watch [RUN]]
 *   entente results RUN [--format text|json|md]
 *   entente audit [verify] [--after N]
 *
 * Client commands find their node in --profile FILE (JSON: node, fingerprint,
 * token; default ENTENTE_PROFILE), or in --node URL --fingerprint FP --token T.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { normalizeFingerprint } from '../adapters/node/net/fingerprint.js';
import { formatReleaseSummary, type ReleaseSummary } from '../analytics/study/release.js';
import { markdownReport, terminalReport } from '../analytics/study/report.js';
import type { StudyOutcome } from '../analytics/study/result.js';
import { ClientError, NodeClient, type NodeProfile } from '../node/client.js';
import {
  initNode,
  loadConfig,
  loadNodeIdentity,
  NodeConfigError,
  writeConfig,
} from '../node/config.js';
import { readSchemaFile } from '../node/datasets.js';
import { addLocalUser } from '../node/local.js';
import { startNode } from '../node/server.js';
import { signalExit } from './exit.js';
import { UsageError } from './net.js';

type Named = ReadonlyMap<string, string>;

function need(named: Named, flag: string, cmd: string): string {
  const v = named.get(flag);
  if (v === undefined || v === '') throw new UsageError(`${cmd}: --${flag} is required`);
  return v;
}

function port(named: Named, flag: string, dflt: number): number {
  const v = named.get(flag);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--${flag}: expected a port in 1..65535, got '${v}'`);
  return n;
}

function num(named: Named, flag: string, min: number, max: number): number | undefined {
  const v = named.get(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${flag}: expected a number in ${min}..${max}, got '${v}'`);
  return n;
}

function hostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535)
    throw new UsageError(`--${flag}: expected HOST:PORT, got '${text}'`);
  return { host: m[1]!, port: Number(m[2]) };
}

async function configErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (
      e instanceof NodeConfigError ||
      (e as Error).name === 'UserError' ||
      (e as Error).name === 'DatasetError'
    )
      throw new UsageError((e as Error).message);
    throw e;
  }
}

/** `entente node SUB ...` */
export async function nodeCommand(positional: readonly string[], named: Named): Promise<number> {
  const [sub, sub2] = positional;
  const dir = () => need(named, 'dir', `node ${sub ?? ''}`.trim());
  switch (sub) {
    case 'init': {
      const host = named.get('host') ?? '127.0.0.1';
      const id = need(named, 'id', 'node init');
      if (named.get('if-absent') === '1') {
        // A container runs init at every start: an existing node is kept as it is, but
        // only if it is the node asked for (a volume mounted to the wrong pod is an error).
        const existing = await loadConfig(dir()).catch(() => undefined);
        if (existing !== undefined) {
          if (existing.id !== id)
            throw new UsageError(
              `node init: ${dir()} holds node '${existing.id}', not '${id}'; nothing was changed`,
            );
          console.error(`node '${id}' in ${dir()} exists; kept as it is (--if-absent)`);
          return 0;
        }
      }
      const listen = named.get('listen');
      const identityFrom = named.get('identity-from');
      const r = await configErrors(() =>
        initNode({
          dir: dir(),
          id,
          ...(named.has('name') ? { name: named.get('name')! } : {}),
          api: { host, port: port(named, 'api-port', 7100) },
          mpc: { host, port: port(named, 'mpc-port', 7200) },
          ...(listen === undefined ? {} : { listen }),
          ...(identityFrom === undefined ? {} : { identityFrom }),
          ...(named.has('database') ? { database: named.get('database')! } : {}),
        }),
      );
      console.log(r.fingerprint);
      console.error(
        `node '${r.config.id}' in ${dir()}: API https://${r.config.api.host}:${r.config.api.port}, MPC ${r.config.mpc.host}:${r.config.mpc.port}${listen === undefined ? '' : ` (listening on ${listen})`}, database ${r.config.database}\n` +
          `next: 'entente node user add --dir ${dir()} --name NAME --role owner', give peers 'entente node info --dir ${dir()}', then 'entente node start --dir ${dir()}'`,
      );
      return 0;
    }
    case 'info': {
      const config = await configErrors(() => loadConfig(dir()));
      const id = await configErrors(() => loadNodeIdentity(dir(), config.id));
      console.log(
        JSON.stringify(
          {
            id: config.id,
            api: `https://${config.api.host}:${config.api.port}`,
            mpc: config.mpc,
            fingerprint: id.fingerprint,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    case 'peer': {
      if (sub2 !== 'add') throw new UsageError("node peer: expected 'add'");
      const config = await configErrors(() => loadConfig(dir()));
      const from = named.get('from');
      const added = from === undefined ? [peerFromFlags(named)] : await peersFromFile(from);
      const ids = new Set(added.map((p) => p.id));
      if (ids.size !== added.length) throw new UsageError(`${from}: a peer id appears twice`);
      // A federation file lists every member, this node included: skip it.
      const others = added.filter((p) => p.id !== config.id);
      if (from === undefined && others.length === 0)
        throw new UsageError(`--id: '${added[0]!.id}' is this node`);
      const peers = [...config.peers.filter((p) => !ids.has(p.id)), ...others];
      await writeConfig(dir(), { ...config, peers });
      console.error(
        `${others.length === 1 ? `peer '${others[0]!.id}'` : `${others.length} peers (${others.map((p) => p.id).join(', ')})`} recorded; restart the node to use ${others.length === 1 ? 'it' : 'them'}`,
      );
      return 0;
    }
    case 'user': {
      if (sub2 !== 'add') throw new UsageError("node user: expected 'add'");
      const profile = await configErrors(() =>
        addLocalUser(
          dir(),
          need(named, 'name', 'node user add'),
          need(named, 'role', 'node user add'),
        ),
      );
      const out = named.get('profile-out');
      if (out) {
        await writeFile(out, JSON.stringify(profile, null, 2) + '\n', {
          mode: 0o600,
          flag: 'wx',
        }).catch((e: NodeJS.ErrnoException) => {
          throw new UsageError(`--profile-out: cannot write ${out} (${e.code})`);
        });
        console.error(`profile written to ${out} (mode 0600); use it with --profile ${out}`);
      } else {
        console.log(profile.token);
        console.error('the token is shown once; keep it secret (or use --profile-out FILE)');
      }
      return 0;
    }
    case 'start': {
      const running = await configErrors(() =>
        startNode({
          dir: dir(),
          ...(named.has('database') ? { database: named.get('database')! } : {}),
        }),
      );
      return new Promise<number>((done) => {
        const stop = (sig: NodeJS.Signals) => {
          running.node.log(`stopping on ${sig}`);
          void running.close().then(() => done(signalExit(sig)));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    }
    default:
      throw new UsageError("node: expected 'init', 'start', 'info', 'user add' or 'peer add'");
  }
}

interface PeerEntry {
  readonly id: string;
  readonly api: string;
  readonly mpc: { readonly host: string; readonly port: number };
  readonly fingerprint: string;
}

function checkedPeer(
  id: string,
  api: string,
  mpc: { host: string; port: number },
  fingerprint: string,
  where: string,
): PeerEntry {
  const fp = normalizeFingerprint(fingerprint);
  if (!fp) throw new UsageError(`${where}fingerprint: expected a SHA-256 fingerprint (AB:CD:...)`);
  if (!/^https:\/\/[^/]+$/.test(api))
    throw new UsageError(`${where}api: expected https://HOST:PORT, got '${api}'`);
  return { id, api, mpc, fingerprint: fp };
}

function peerFromFlags(named: Named): PeerEntry {
  return checkedPeer(
    need(named, 'id', 'node peer add'),
    need(named, 'api', 'node peer add'),
    hostPort(need(named, 'mpc', 'node peer add'), 'mpc'),
    need(named, 'fingerprint', 'node peer add'),
    '--',
  );
}

/** Peers from a JSON list of `entente node info` outputs (a federation's members). */
async function peersFromFile(file: string): Promise<PeerEntry[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--from: ${code ? `cannot read ${file} (${code})` : `${file} is not JSON (${(e as Error).message})`}`,
    );
  }
  if (!Array.isArray(raw))
    throw new UsageError(`--from: ${file} must hold a JSON list of 'entente node info' outputs`);
  return raw.map((item: unknown, i) => {
    const where = `${file}: [${i}].`;
    const o = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const m = (typeof o.mpc === 'object' && o.mpc !== null ? o.mpc : {}) as Record<string, unknown>;
    if (typeof o.id !== 'string' || o.id === '')
      throw new UsageError(`${where}id: expected a node id`);
    if (typeof m.host !== 'string' || typeof m.port !== 'number' || !Number.isInteger(m.port))
      throw new UsageError(`${where}mpc: expected {"host": ..., "port": ...}`);
    return checkedPeer(
      o.id,
      String(o.api ?? ''),
      { host: m.host, port: m.port },
      String(o.fingerprint ?? ''),
      where,
    );
  });
}

async function profileOf(named: Named): Promise<NodeProfile> {
  const file = named.get('profile') ?? process.env.ENTENTE_PROFILE;
  if (file && !named.has('node')) {
    let raw: Partial<NodeProfile>;
    try {
      raw = JSON.parse(await readFile(file, 'utf8')) as Partial<NodeProfile>;
    } catch (e) {
      throw new UsageError(
        `--profile: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    if (!raw.node || !raw.fingerprint || !raw.token)
      throw new UsageError(`${file}: expected node, fingerprint and token`);
    return { node: raw.node, fingerprint: raw.fingerprint, token: raw.token };
  }
  const node = named.get('node');
  if (!node)
    throw new UsageError('name the node: --profile FILE, or --node URL --fingerprint FP --token T');
  const fp = normalizeFingerprint(need(named, 'fingerprint', 'client'));
  if (!fp) throw new UsageError('--fingerprint: expected a SHA-256 fingerprint (AB:CD:...)');
  const token = named.get('token') ?? process.env.ENTENTE_TOKEN;
  if (!token) throw new UsageError('--token (or ENTENTE_TOKEN) is required');
  return { node: node.replace(/\/$/, ''), fingerprint: fp, token };
}

async function clientErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    // A refusal by the node (4xx) is the caller's to fix: exit 2; anything else exits 1.
    if (e instanceof ClientError && e.status >= 400 && e.status < 500)
      throw new UsageError(e.message);
    throw e;
  }
}

interface ProposalView {
  id: string;
  hash: string;
  study_name: string;
  suite: string;
  parties: string[];
  proposer: string;
  status: string;
  created_at: string;
  summary: ReleaseSummary;
  decisions: { node: string; decision: string; user_name: string; reason: string | null }[];
  unreached?: string[];
}

interface RunView {
  id: string;
  proposal_id: string;
  state: string;
  progress: string[];
  reason: string | null;
  started_at: string;
  finished_at: string | null;
}

function showProposal(p: ProposalView): string {
  const decided = p.decisions.map(
    (d) => `  ${d.node}: ${d.decision} by ${d.user_name}${d.reason ? ` (${d.reason})` : ''}`,
  );
  return [
    `proposal ${p.id}  ${p.status}  by ${p.proposer}  ${p.created_at}`,
    `hash ${p.hash}`,
    `suite ${p.suite}, nodes ${p.parties.join(', ')}`,
    '',
    formatReleaseSummary(p.summary),
    '',
    'decisions:',
    ...(decided.length ? decided : ['  (none yet)']),
  ].join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The client commands; returns undefined when `cmd` is not one of them. */
export async function clientCommand(
  cmd: string,
  positional: readonly string[],
  named: Named,
): Promise<number | undefined> {
  const commands = [
    'users',
    'user',
    'datasets',
    'dataset',
    'propose',
    'proposals',
    'proposal',
    'approve',
    'reject',
    'runs',
    'results',
    'audit',
  ];
  if (!commands.includes(cmd)) return undefined;
  const client = new NodeClient(await profileOf(named));
  return clientErrors(async () => {
    switch (cmd) {
      case 'users': {
        for (const u of await client.get<
          { name: string; role: string; created_at: string; disabled: boolean }[]
        >('/v1/users'))
          console.log(
            `${u.name.padEnd(20)} ${u.role.padEnd(8)} ${u.created_at}${u.disabled ? '  disabled' : ''}`,
          );
        return 0;
      }
      case 'user': {
        const [verb, name] = positional;
        if (verb === 'add' && name) {
          const r = await client.post<{ token: string }>('/v1/users', {
            name,
            role: need(named, 'role', 'user add'),
          });
          console.log(r.token);
          console.error('the token is shown once; give it to the user over a private channel');
          return 0;
        }
        if (verb === 'disable' && name) {
          await client.post(`/v1/users/${encodeURIComponent(name)}/disable`, {});
          console.error(`disabled '${name}': its token no longer works`);
          return 0;
        }
        throw new UsageError('user: expected add NAME --role R, or disable NAME');
      }
      case 'datasets': {
        const ds = await client.get<
          {
            name: string;
            rows: number;
            content_hash: string;
            budget: { epsilon_left: number; epsilon_total: number } | null;
          }[]
        >('/v1/datasets');
        for (const d of ds)
          console.log(
            `${d.name}  ${d.rows} rows  sha256 ${d.content_hash.slice(0, 16)}...  epsilon left ${d.budget?.epsilon_left ?? '-'} of ${d.budget?.epsilon_total ?? '-'}`,
          );
        return 0;
      }
      case 'dataset': {
        if (positional[0] !== 'add' || !positional[1])
          throw new UsageError('dataset: expected add NAME --file F --schema S --epsilon E');
        const schema = await configErrors(() =>
          readSchemaFile(need(named, 'schema', 'dataset add')),
        );
        const { resolve } = await import('node:path');
        const d = await client.post<{ name: string; rows: number; content_hash: string }>(
          '/v1/datasets',
          {
            name: positional[1],
            path: resolve(need(named, 'file', 'dataset add')),
            schema,
            ...(named.has('format') ? { format: named.get('format') } : {}),
            // The total budget is the owner's decision: no default.
            budget: {
              epsilon:
                num(named, 'epsilon', 0, 1000) ?? Number(need(named, 'epsilon', 'dataset add')),
              delta: num(named, 'delta', 0, 1) ?? 0,
            },
            ...(named.has('max-epsilon-per-run')
              ? { maxEpsilonPerRun: num(named, 'max-epsilon-per-run', 0, 1000) }
              : {}),
            ...(named.has('min-cell-size')
              ? { minCellSize: num(named, 'min-cell-size', 0, 1_000_000) }
              : {}),
          },
        );
        console.log(`registered '${d.name}': ${d.rows} rows, sha256 ${d.content_hash}`);
        return 0;
      }
      case 'propose': {
        const file = positional[0];
        if (!file) throw new UsageError('propose: name a study file');
        const study = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
          throw new UsageError(`${file}: cannot read (${e.code})`);
        });
        const p = await client.post<ProposalView>('/v1/proposals', {
          study,
          ...(named.has('suite') ? { suite: named.get('suite') } : {}),
          ...(named.has('supersedes') ? { supersedes: named.get('supersedes') } : {}),
        });
        console.log(p.id);
        console.error(showProposal(p));
        if (p.unreached?.length)
          console.error(`WARNING: not yet delivered to ${p.unreached.join(', ')}`);
        return 0;
      }
      case 'proposals': {
        for (const p of await client.get<ProposalView[]>('/v1/proposals'))
          console.log(
            `${p.id}  ${p.status.padEnd(10)} ${p.study_name}  (${p.parties.join(', ')}; by ${p.proposer})`,
          );
        return 0;
      }
      case 'proposal': {
        if (!positional[0]) throw new UsageError('proposal: name a proposal id');
        console.log(
          showProposal(
            await client.get<ProposalView>(`/v1/proposals/${encodeURIComponent(positional[0])}`),
          ),
        );
        return 0;
      }
      case 'approve':
      case 'reject': {
        const id = positional[0];
        if (!id) throw new UsageError(`${cmd}: name a proposal id`);
        const p = await client.get<ProposalView>(`/v1/proposals/${encodeURIComponent(id)}`);
        console.error(showProposal(p));
        if (cmd === 'reject') {
          const reason = need(named, 'reason', 'reject');
          await client.post(`/v1/proposals/${encodeURIComponent(id)}/refuse`, {
            hash: p.hash,
            reason,
          });
          console.error(`refused ${id}`);
          return 0;
        }
        if (named.get('yes') !== '1') {
          if (!process.stdin.isTTY)
            throw new UsageError('approve: confirm with --yes (no terminal to ask)');
          if (
            !(await confirm(`\napprove the release above (hash ${p.hash.slice(0, 16)}...)? [y/N] `))
          ) {
            console.error('not approved');
            return 2;
          }
        }
        const conditions = {
          ...(named.has('max-epsilon') ? { maxEpsilon: num(named, 'max-epsilon', 0, 1000) } : {}),
          ...(named.has('min-cell-size')
            ? { minCellSize: num(named, 'min-cell-size', 0, 1_000_000) }
            : {}),
        };
        const r = await client.post<{ unreached: string[] }>(
          `/v1/proposals/${encodeURIComponent(id)}/approve`,
          {
            hash: p.hash,
            ...(Object.keys(conditions).length ? { conditions } : {}),
          },
        );
        console.error(`approved ${id} (hash ${p.hash.slice(0, 16)}...)`);
        if (r.unreached.length)
          console.error(`WARNING: not yet delivered to ${r.unreached.join(', ')}`);
        return 0;
      }
      case 'runs': {
        if (positional[0] === 'watch') return watch(client, positional[1]);
        for (const r of await client.get<RunView[]>('/v1/runs'))
          console.log(
            `${r.id}  ${r.state.padEnd(9)} proposal ${r.proposal_id}  ${r.started_at}${r.reason ? `  (${r.reason})` : ''}`,
          );
        return 0;
      }
      case 'results': {
        const id = positional[0];
        if (!id) throw new UsageError('results: name a run id');
        const r = await client.get<{
          outcome: StudyOutcome;
          epsilon: number;
          delta: number;
          released_at: string;
        }>(`/v1/results/${encodeURIComponent(id)}`);
        const format = named.get('format') ?? 'text';
        if (format === 'json') console.log(JSON.stringify(r, null, 2));
        else if (format === 'md') console.log(markdownReport(r.outcome));
        else if (format === 'text') console.log(terminalReport(r.outcome));
        else throw new UsageError(`--format: expected text, json or md, got '${format}'`);
        return 0;
      }
      case 'audit': {
        if (positional[0] === 'verify') {
          const v = await client.get<{
            ok: boolean;
            entries: number;
            firstBad?: { seq: number; problem: string };
            peers: { peer: string; seq: number; ok: boolean; problem?: string }[];
          }>('/v1/audit/verify');
          console.log(
            v.firstBad
              ? `audit log: entry ${v.firstBad.seq} fails: ${v.firstBad.problem}`
              : `audit log: ${v.entries} entries, chain and signatures verify`,
          );
          for (const p of v.peers)
            console.log(`  head of ${p.peer} at entry ${p.seq}: ${p.ok ? 'matches' : p.problem}`);
          return v.ok ? 0 : 1;
        }
        const after = num(named, 'after', 0, 2 ** 31) ?? 0;
        for (const e of await client.get<
          { seq: number; at: string; kind: string; actor: string; body: unknown }[]
        >(`/v1/audit?after=${after}&limit=10000`))
          console.log(
            `${String(e.seq).padStart(6)} ${e.at} ${e.kind.padEnd(18)} ${e.actor}  ${JSON.stringify(e.body)}`,
          );
        return 0;
      }
    }
    return 2;
  });
}

/** Follows runs until the named one (or every running one) ends. */
async function watch(client: NodeClient, runId: string | undefined): Promise<number> {
  const shown = new Map<string, number>();
  for (;;) {
    const runs = (await client.get<RunView[]>('/v1/runs')).filter((r) => !runId || r.id === runId);
    if (runId && runs.length === 0) throw new UsageError(`runs watch: no run '${runId}'`);
    for (const r of runs) {
      const from = shown.get(r.id) ?? 0;
      for (const line of r.progress.slice(from)) console.log(`${r.id}  ${line}`);
      shown.set(r.id, r.progress.length);
    }
    const live = runs.filter((r) => r.state === 'queued' || r.state === 'running');
    if (live.length === 0) {
      for (const r of runs.slice(0, runId ? 1 : 5))
        console.log(`${r.id}  ${r.state}${r.reason ? `: ${r.reason}` : ''}`);
      return runs.some((r) => r.state === 'failed') && runId ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
