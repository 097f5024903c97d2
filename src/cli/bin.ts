/**
 * The `entente` process: what the command does around `main` (src/cli/main.ts)
 * that a library caller of `main` must not get: exit codes as the process's
 * status, signal handling, ending with the parent that started a party, and a
 * diagnosis when the program ends without a result. bin/entente.js runs this.
 */
import { EXIT, signalExit, UsageError } from './exit.js';
import { main } from './main.js';
import { Failed } from './net.js';

// SIGINT or SIGTERM while nothing else handles it (an in-process run, a plan, a client
// command): stop at once with 130 / 143. Commands that must stop something first (a
// party telling its peers, a launcher stopping its parties and removing their keys)
// add their own listener, and this one then leaves it to them.
function onSignal(sig: NodeJS.Signals): void {
  if (process.listeners(sig).some((l) => l !== onSignal)) return;
  console.error(`entente: interrupted (${sig})`);
  process.exit(signalExit(sig));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// A party started by a node (src/node/runs.ts) or by `entente local` / `entente study`
// (src/cli/launch.ts) ends with it: its stdin is a pipe from its parent, which closes
// when the parent's process is gone, even after kill -9.
if (process.env.ENTENTE_EXIT_WITH_PARENT === '1') {
  let going = false;
  const gone = () => {
    if (going) return;
    going = true;
    console.error('entente: the process that started this party is gone; stopping');
    // A party running over a federation stops as on SIGTERM: it tells its peers why
    // (bounded), then exits; anything else exits at once.
    if (process.listeners('SIGTERM').some((l) => l !== onSignal)) {
      process.emit('SIGTERM', 'SIGTERM');
      setTimeout(() => process.exit(EXIT.failed), 3_000).unref();
    } else process.exit(EXIT.failed);
  };
  process.stdin.on('end', gone).on('close', gone).on('error', gone).resume();
  // Watching the pipe must not keep a party alive whose work is over (see below).
  (process.stdin as { unref?: () => void }).unref?.();
}

let settled = false;
// The event loop emptied while the command had not finished: a program whose promise
// never settles (its peers gone, nothing left to wait for). No result was printed.
process.on('beforeExit', () => {
  if (settled) return;
  console.error(
    'entente: the program ended without a result (its promise never settled); nothing left to wait for',
  );
  process.exit(EXIT.failed);
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exit(code);
  },
  (e: unknown) => {
    settled = true;
    // Errors carry no secrets by construction (src/runtime/errors.ts); print the message, not a stack, for user errors.
    const err = e instanceof Failed ? e.cause : (e as Error);
    const usage =
      !(e instanceof Failed) &&
      (err instanceof UsageError || err instanceof RangeError || err instanceof TypeError);
    console.error(
      `entente: ${err instanceof UsageError ? err.message : `${err.name}: ${err.message}`}`,
    );
    process.exit(usage ? EXIT.usage : EXIT.failed);
  },
);
