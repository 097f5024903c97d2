/**
 * The network subcommands of `entente`: parse arguments, call the library.
 *
 *   entente keygen --out DIR --id ID
 *   entente run PROGRAM --federation FILE --party ID [--suite S] [--key K --cert C | --identity FILE]
 *                       [--listen ADDR] [--session ID] [--plan-file PLAN] [--delay-ms D]
 *   entente local PROGRAM --parties N [--suite S] [--transport tls|ws] [--timeout-ms T] [--plan-file PLAN]
 *                         [--delay-ms D]
 *
 * `--delay-ms D` simulates a wide-area link: every message a party sends is
 * handed to its TLS link D ms later (src/transport/delay.ts), so a round
 * costs at least D; for measuring, not for deployments.
 * `run` is one party of a federation, over mutually authenticated TLS;
 * `local` starts N such processes on 127.0.0.1 with fresh keys, for trying a
 * program across processes. docs/OPERATIONS.md is the guide.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFile, stat } from 'node:fs/promises';
import { aesBackend, nodeCryptoProvider } from '../adapters/node/crypto.js';
import {
  ConfigError,
  loadFederation,
  loadPartyFile,
  type Federation,
} from '../adapters/node/net/federation.js';
import { loadIdentity, writeIdentity } from '../adapters/node/net/identity.js';
import { delayedTransport } from '../transport/delay.js';
import { ConnectError, TlsEndpoint, type TlsTransport } from '../adapters/node/net/tls.js';
import { formatCounts, planFromJson, plannedSuite, type Plan } from '../api/plan.js';
import type { Program } from '../api/run.js';
import { Session } from '../api/session.js';
import { ProtocolAbort } from '../runtime/errors.js';
import { Party } from '../runtime/party.js';
import { SUITES, suiteByName } from '../suites/index.js';
import { EXIT, signalExit, suiteLine, UsageError } from './exit.js';
import { cachedIdentities, KeyCacheError } from './keycache.js';
import { describeFailures, freePorts, launchParties } from './launch.js';

// Benchmarks and tests pick federation ports with it; it lives beside the launcher.
export { freePorts };

export { UsageError };

/** The computation failed (the program threw, or a party's run did): exit status 1, whatever `cause` is. */
export class Failed extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** Runs a computation; whatever it throws (a program's own TypeError too) is a failure, exit 1. */
export async function computing<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw e instanceof UsageError || e instanceof Failed ? e : new Failed(e as Error);
  }
}

/** This party's address cannot be bound (in use, not local): exit status 1. */
class ListenError extends Error {
  override readonly name = 'ListenError';
}

type Named = ReadonlyMap<string, string>;

function need(named: Named, flag: string, cmd: string): string {
  const v = named.get(flag);
  if (v === undefined) throw new UsageError(`${cmd}: --${flag} is required`);
  return v;
}

/** `entente keygen --out DIR --id ID`: writes DIR/ID.key (0600) and DIR/ID.crt, prints the fingerprint. */
export async function keygen(named: Named): Promise<number> {
  const out = need(named, 'out', 'keygen');
  const id = need(named, 'id', 'keygen');
  let files;
  try {
    files = await writeIdentity(out, id);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  console.log(files.fingerprint);
  console.error(
    `wrote ${files.keyPath} (private key, mode 0600) and ${files.certPath}\n` +
      `federation entry: ${JSON.stringify({ id, host: 'HOST', port: 7000, fingerprint: files.fingerprint, suites: ['rep3'] })}`,
  );
  return 0;
}

/**
 * `entente run PROGRAM --federation FILE --party ID`: this process is party
 * ID; prints `ID: <result as JSON>` and its counters. Exit status 0 on
 * success, 1 when the computation or a link fails (the message names the
 * peer and the cause), 2 for configuration errors.
 */
export async function runFederated(
  // A module path (`entente run`) or the program itself (`entente psi`).
  program: string | Program<unknown> | undefined,
  named: Named,
): Promise<number> {
  if (!program)
    throw new UsageError('run: name a program module, e.g. entente run examples/millionaires.ts');
  const fedPath = need(named, 'federation', 'run');
  const id = need(named, 'party', 'run');
  const fed = await configured(() => loadFederation(fedPath, { knownSuites: Object.keys(SUITES) }));
  const me = fed.parties.findIndex((p) => p.id === id);
  if (me < 0)
    throw new UsageError(
      `--party: '${id}' is not in ${fedPath} (parties: ${fed.parties.map((p) => p.id).join(', ')})`,
    );
  const files = await identityFiles(named, fedPath, id);
  const identity = await configured(() => loadIdentity(files.key, files.cert));
  if (identity.fingerprint !== fed.parties[me]!.fingerprint)
    throw new UsageError(
      `${files.cert} has fingerprint ${identity.fingerprint}, but ${fedPath} pins ${fed.parties[me]!.fingerprint} for party ${id}`,
    );
  const suite = chooseSuite(fed, named.get('suite'), fedPath);
  let factory = suiteByName(suite);
  if (fed.parties.length < factory.minParties || fed.parties.length > factory.maxParties)
    throw new UsageError(
      `suite ${suite} needs ${factory.minParties}..${factory.maxParties} parties, ${fedPath} has ${fed.parties.length}`,
    );
  const planPath = named.get('plan-file');
  const plan = planPath ? await readPlan(planPath, suite, fed.parties.length) : undefined;
  if (plan) factory = plannedSuite(suite, plan.counts);
  const fn = typeof program === 'string' ? await loadProgram(program) : program;
  const log = (line: string) => process.stderr.write(`entente[${id}]: ${line}\n`);
  const session = named.get('session') ?? fed.session;
  // Parties with different files, suites or session ids refuse each other's first frame.
  const sessionId = `${session}|${suite}|${fed.digest}`;
  const delayMs = intOption(named, 'delay-ms', 0, 0, 60_000);

  log(
    `federation '${fed.name}' (digest ${fed.digest.slice(0, 16)}), party ${me + 1} of ${fed.parties.length}, ${suiteLine(factory, fed.parties.length)}, session '${session}', over ${fed.transport === 'ws' ? 'WebSocket/TLS 1.3' : 'TLS 1.3'}${delayMs > 0 ? ` with ${delayMs} ms added to every message sent (--delay-ms)` : ''}, AES ${aesBackend()}`,
  );
  let transport: TlsTransport | undefined;
  // Stopped by an operator (or by `entente local`): tell the peers, then exit 128 + signal.
  const onSignal = (sig: NodeJS.Signals) => {
    log(`stopping on ${sig}`);
    void (transport?.shutdown(1_000, `party ${id} was stopped (${sig})`) ?? Promise.resolve()).then(
      () => process.exit(signalExit(sig)),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const t0 = performance.now();
  try {
    // The WebSocket carrier (and the ws package) is loaded only by the parties that use it.
    const { WsEndpoint } =
      fed.transport === 'ws' ? await import('../adapters/node/net/ws.js') : { WsEndpoint: null };
    const listen = WsEndpoint
      ? (o: Parameters<typeof WsEndpoint.listen>[0]) =>
          WsEndpoint.listen({ ...o, maxMessageBytes: fed.maxFrameBytes })
      : (o: Parameters<typeof TlsEndpoint.listen>[0]) => TlsEndpoint.listen(o);
    const host = files.listen ?? fed.parties[me]!.host;
    const port = fed.parties[me]!.port;
    const endpoint = await listen({
      host,
      port,
      key: identity.key,
      cert: identity.cert,
      log,
    }).catch((e: NodeJS.ErrnoException) => {
      throw new ListenError(`cannot listen on ${host}:${port} (${e.code ?? e.message})`);
    });
    transport = await endpoint.connect({
      self: me,
      peers: fed.parties,
      sessionId,
      connectTimeoutMs: fed.timeouts.connectMs,
      heartbeatMs: fed.timeouts.heartbeatMs,
      idleTimeoutMs: fed.timeouts.idleMs,
      maxFrameBytes: fed.maxFrameBytes,
    });
    const tLinked = performance.now();
    const reporting = transport.reportingAborts(() => party.failure?.message);
    // A simulated wide-area link (tests, benchmarks): every party delays what it sends.
    const delayed = delayMs > 0 ? delayedTransport(reporting, delayMs) : undefined;
    const party: Party = new Party({
      ids: fed.parties.map((p) => p.id),
      transport: delayed ?? reporting,
      crypto: nodeCryptoProvider,
      roundTimeoutMs: fed.timeouts.roundMs,
    });
    const s = factory.create(party);
    if (plan) log(`preprocessing the plan in ${planPath}: ${formatCounts(plan.counts)}`);
    await s.setup();
    const tSetup = performance.now();
    const result = await fn(new Session(s, party));
    const st = party.stats.snapshot();
    const t1 = performance.now();
    // The last messages may still be on the simulated link: let them arrive first.
    await delayed?.flushed();
    await transport.shutdown();
    console.log(`${id}: ${show(result)}`);
    console.log(
      `  ${st.rounds} rounds, ${st.messagesSent} messages, ${st.bytesSent} bytes sent, ` +
        `${st.bytesReceived} bytes received; linked in ${(tLinked - t0).toFixed(0)} ms, ` +
        (plan ? `preprocessed in ${(tSetup - tLinked).toFixed(0)} ms, online ` : '') +
        `computed in ${(t1 - (plan ? tSetup : tLinked)).toFixed(0)} ms`,
    );
    return 0;
  } catch (e) {
    // Peers learn why we stop; a program's own error message stays here (it may quote data).
    // Wait (bounded) for the close frames to leave before the process exits.
    await transport?.shutdown(
      2_000,
      e instanceof ProtocolAbort
        ? e.message
        : `its program failed (the error is reported at party ${id})`,
    );
    if (e instanceof ConnectError || e instanceof ProtocolAbort || e instanceof ListenError) {
      console.error(`entente: party ${id}: ${e.name}: ${e.message}`);
      return EXIT.failed;
    }
    // The program's own error (any kind): the computation failed.
    throw new Failed(e as Error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function configured<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw new UsageError((e as Error).message);
  }
}

async function identityFiles(
  named: Named,
  fedPath: string,
  id: string,
): Promise<{ key: string; cert: string; listen: string | undefined }> {
  const listen = named.get('listen');
  const idFile = named.get('identity');
  if (idFile !== undefined) {
    const pf = await configured(() => loadPartyFile(idFile));
    if (pf.party !== id)
      throw new UsageError(`${idFile} is the identity of party '${pf.party}', not '${id}'`);
    return { key: pf.key, cert: pf.cert, listen: listen ?? pf.listen };
  }
  const key = named.get('key');
  const cert = named.get('cert');
  if ((key === undefined) !== (cert === undefined))
    throw new UsageError('run: give both --key and --cert, or neither');
  // Default: the files `entente keygen --out DIR --id ID` writes, beside the federation file.
  const dir = dirname(resolve(fedPath));
  return {
    key: key ?? join(dir, `${id}.key`),
    cert: cert ?? join(dir, `${id}.crt`),
    listen,
  };
}

function chooseSuite(fed: Federation, flag: string | undefined, fedPath: string): string {
  const takenByAll = (s: string) => fed.parties.every((p) => p.suites.includes(s));
  const suite = flag ?? fed.suite ?? fed.parties[0]!.suites.find(takenByAll);
  if (suite === undefined)
    throw new UsageError(`${fedPath}: no suite is taken by every party; name one with --suite`);
  suiteByName(suite);
  const refusing = fed.parties.findIndex((p) => !p.suites.includes(suite));
  if (refusing >= 0)
    throw new UsageError(
      `suite ${suite}: party ${fed.parties[refusing]!.id} (parties[${refusing}].suites) does not take it`,
    );
  return suite;
}

/** A plan file (`entente plan --out`) for this suite and party count. */
async function readPlan(path: string, suite: string, parties: number): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--plan-file: cannot read ${path} (${(e as NodeJS.ErrnoException).code})`);
  }
  let plan: Plan;
  try {
    plan = planFromJson(text, path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (plan.suite !== suite || plan.parties !== parties)
    throw new UsageError(
      `${path} plans ${plan.suite} with ${plan.parties} parties, but this run is ${suite} with ${parties}`,
    );
  return plan;
}

/**
 * A program module's default export. A missing file, a folder, a module that does
 * not load (a syntax error, a missing import, an error at its top level) or one
 * without a default function is bad input: {@link UsageError}, exit 2.
 */
export async function loadProgram(file: string): Promise<Program<unknown>> {
  const path = resolve(file);
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`${file}: cannot read the program (${e.code ?? e.message})`);
  });
  if (!st.isFile()) throw new UsageError(`${file}: not a program file (a folder?)`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const scope = await commonJsScope(path, err);
    if (scope !== undefined) {
      const ext = extname(path);
      const renamed =
        ext === '.js' || ext === '.ts' ? `${basename(path, ext)}.m${ext.slice(1)}` : undefined;
      throw new UsageError(
        `${file}: the program does not load: Node takes it for CommonJS (${scope.why}), but a program is an ES module (it imports Entente). ` +
          `Fix: ${scope.fix}${renamed ? `, or rename it ${renamed}` : ''}. ` +
          `(Node: ${err.message.split('\n')[0]!.replace(/ A cycle involving.*$/, '')})`,
      );
    }
    // An installed `entente` runs compiled JavaScript; TypeScript programs need a loader.
    const hint =
      err.code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(path)
        ? ` (this Node cannot load TypeScript by itself: add tsx to your project, npm install -D tsx, or compile the program to JavaScript)`
        : '';
    throw new UsageError(
      `${file}: the program does not load: ${err.name}: ${err.message
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(0, 3)
        .join(' ')}${hint}`,
    );
  }
  if (typeof mod.default !== 'function')
    throw new UsageError(`${file} has no default export (a program: (session) => Promise<result>)`);
  return mod.default as Program<unknown>;
}

/**
 * Load errors of an ES module's syntax read as CommonJS: tsx compiles a .ts
 * file outside a `"type": "module"` package to CommonJS, whose require() of
 * Entente (an ES module) then fails with one of these codes; Node's own
 * loader fails on `import` in a .js file read as CommonJS with a SyntaxError.
 */
const COMMONJS_LOAD_ERRORS = new Set([
  'ERR_REQUIRE_CYCLE_MODULE',
  'ERR_REQUIRE_ESM',
  'ERR_REQUIRE_ASYNC_MODULE',
]);

/**
 * Why `path` is read as CommonJS, and what makes it an ES module, when `err`
 * is the error of loading an ES module that way (its nearest package.json, or
 * none, has no `"type": "module"`); undefined when `err` is something else or
 * the file is read as an ES module.
 */
async function commonJsScope(
  path: string,
  err: NodeJS.ErrnoException,
): Promise<{ why: string; fix: string } | undefined> {
  const esmSyntax =
    (err.code !== undefined && COMMONJS_LOAD_ERRORS.has(err.code)) ||
    (err.name === 'SyntaxError' &&
      /Cannot use import statement outside a module/.test(err.message));
  if (!esmSyntax || /\.m[jt]s$/.test(path)) return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    const text = await readFile(pkg, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      let type: unknown;
      try {
        type = (JSON.parse(text) as { type?: unknown }).type;
      } catch {
        type = undefined;
      }
      return type === 'module'
        ? undefined
        : { why: `${pkg} has no "type": "module"`, fix: `add "type": "module" to ${pkg}` };
    }
    if (dirname(dir) === dir)
      return {
        why: 'no package.json in its folder or above',
        fix: `add a package.json with {"type": "module"} to ${dirname(path)}`,
      };
  }
}

/** Results as JSON; bigints as numbers when exact, else strings (as `entente run`). */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? (x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x.toString()) : x,
  );
}

/**
 * `entente local PROGRAM --parties N [--suite S]`: fresh keys in a temporary
 * folder, a federation on 127.0.0.1, one `entente run` process per party.
 * Prints each party's output; if one fails, the others are stopped and the
 * exit status is 1.
 */
export async function local(program: string | undefined, named: Named): Promise<number> {
  if (!program) throw new UsageError('local: name a program module');
  const suite = named.get('suite') ?? 'rep3';
  const factory = suiteByName(suite);
  const n = intOption(
    named,
    'parties',
    Math.max(factory.minParties, 1),
    factory.minParties,
    factory.maxParties,
  );
  const timeoutMs = intOption(named, 'timeout-ms', 600_000, 1_000, 86_400_000);
  const transport = named.get('transport') ?? 'tls';
  if (transport !== 'tls' && transport !== 'ws')
    throw new UsageError(`--transport: expected tls or ws, got '${transport}'`);
  const ids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
  // Refuse a wrong plan here, once, rather than in every party process.
  const planPath = named.get('plan-file');
  if (planPath) await readPlan(planPath, suite, n);
  const delayMs = intOption(named, 'delay-ms', 0, 0, 60_000);
  // A program that does not load is refused here (exit 2), before any key is made.
  await loadProgram(program);
  return launchParties(
    {
      ids,
      suite,
      name: 'local',
      sessionPrefix: 'local',
      transport,
      tmpPrefix: 'entente-local-',
      // Test keys on 127.0.0.1: kept between runs in the user's key cache (src/cli/keycache.ts).
      identities: (ids) =>
        cachedIdentities(ids).catch((e: unknown) => {
          throw e instanceof KeyCacheError ? new UsageError(`local: ${e.message}`) : e;
        }),
      args: ({ id, federation }) => [
        'run',
        program,
        '--federation',
        federation,
        '--party',
        id,
        '--suite',
        suite,
        ...(planPath ? ['--plan-file', resolve(planPath)] : []),
        ...(delayMs > 0 ? ['--delay-ms', String(delayMs)] : []),
      ],
      onReady: (dir) =>
        console.error(
          `entente local: ${n} processes, suite ${suite} over ${transport}, keys and federation in ${dir}`,
        ),
      stdout: 'collect',
      timeoutMs,
    },
    ({ outputs, timedOut, failed, stopped, signal }) => {
      const missing: string[] = [];
      ids.forEach((id, i) => {
        const out = outputs[i]!.trimEnd();
        if (out) console.log(out);
        else console.log(`${id}: (no output)`);
        if (!out.split('\n').some((l) => l.startsWith(`${id}: `))) missing.push(id);
      });
      if (signal) {
        console.error(`entente local: interrupted (${signal}); every party was stopped`);
        return signalExit(signal);
      }
      if (timedOut) {
        console.error(`entente local: stopped all parties after ${timeoutMs} ms`);
        return 1;
      }
      if (failed.length > 0) {
        // The party whose failure the others follow from first, with its reason.
        console.error(
          `entente local: failed: ${describeFailures(failed)}${stopped.length > 0 ? `; stopped: ${stopped.join(', ')}` : ''}`,
        );
        return EXIT.failed;
      }
      // A party that exits 0 has printed its result; one that did not is no success.
      if (missing.length > 0) {
        console.error(`entente local: failed: no result from ${missing.join(', ')}`);
        return EXIT.failed;
      }
      return EXIT.ok;
    },
  );
}

function intOption(named: Named, name: string, dflt: number, min: number, max: number): number {
  const v = named.get(name);
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min || x > max)
    throw new UsageError(`--${name}: expected an integer in ${min}..${max}, got '${v}'`);
  return x;
}
