/**
 * Voting in a browser end to end, in Debian's Chromium (playwright-core): an
 * election folder goes through the key ceremony with the CLI's own commands;
 * `entente election serve`'s ballot box (started in this process) serves the
 * voting page, built from web/ with the dashboard's Vite configuration into a
 * temporary folder (so the test never depends on a stale web/dist). Voters
 * mark their ballots with the mouse and the keyboard; the page encrypts and
 * proves each in the browser and shows its confirmation code; each is cast,
 * and one is spoiled, whose choices the page then shows. The tally, the
 * decryption by guardians 1 and 3 (guardian 2 missing), the record and the
 * independent verifier follow, and the counts must equal the plaintext sum of
 * the choices the test made. The ballot box refuses malformed and false
 * submissions with clear HTTP errors; axe-core checks the page at each step;
 * every request the page makes stays on 127.0.0.1.
 *
 * Skipped (with a message) only outside CI when `chromium` is not installed;
 * in CI (CI set) a missing browser fails.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BROWSER_TESTS_RUN,
  expectAccessible,
  launchChromium,
  noteSkipped,
  requireChromium,
} from './chromium.js';
import { nodeCryptoProvider } from '../../src/adapters/node/crypto.js';
import { startBallotServer, type BallotServer } from '../../src/cli/election-serve.js';
import { electionCommand } from '../../src/cli/election.js';
import { Device, type Choices } from '../../src/vote/ballot.js';
import { ballotJson } from '../../src/vote/record.js';
import { verifyElectionJson } from '../../src/vote/verify.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
noteSkipped('test/web/vote.test.ts');

const run = (positional: string[], flags: Record<string, string | number>) =>
  electionCommand(positional, new Map(Object.entries(flags).map(([k, v]) => [k, String(v)])));

/** The key ceremony of 3 guardians, threshold 2, with the CLI's commands. */
async function ceremony(dir: string): Promise<void> {
  expect(
    await run(['init', join(ROOT, 'examples/vote/manifest.json')], {
      dir,
      guardians: 3,
      threshold: 2,
    }),
  ).toBe(0);
  for (const step of ['keys', 'shares', 'receive', 'answer'])
    for (const i of [1, 2, 3]) expect(await run(['guardian', step], { dir, index: i })).toBe(0);
  expect(await run(['finalize'], { dir })).toBe(0);
}

/** What each voter marks (and whether they spoil it): the plaintext the counts must match. */
const VOTERS: { choices: Choices; spoil?: true; keyboard?: true }[] = [
  { choices: { mayor: { ada: 1 }, council: { emmy: 1, kurt: 1 }, park: { yes: 1 } } },
  { choices: { mayor: { grace: 1 }, council: { sofia: 1 }, park: { no: 1 } }, keyboard: true },
  // Spoiled: never counted; the same voter then casts the next ballot.
  { choices: { mayor: { alan: 1 }, council: { john: 1, kurt: 1 }, park: { no: 1 } }, spoil: true },
  { choices: { mayor: { ada: 1 }, council: { john: 1 }, park: { yes: 1 } } },
  { choices: { council: { emmy: 1, sofia: 1 } } },
  { choices: {} },
];

const plaintextCounts = () => {
  const counts: Record<string, Record<string, number>> = {
    mayor: { ada: 0, grace: 0, alan: 0 },
    council: { emmy: 0, kurt: 0, sofia: 0, john: 0 },
    park: { yes: 0, no: 0 },
  };
  for (const v of VOTERS.filter((x) => !x.spoil))
    for (const [c, sel] of Object.entries(v.choices))
      for (const [s, n] of Object.entries(sel)) counts[c]![s]! += n;
  return counts;
};

describe.skipIf(!BROWSER_TESTS_RUN)('voting in a browser', () => {
  let tmp: string;
  let dir: string;
  let server: BallotServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const offsite: string[] = [];

  beforeAll(async () => {
    requireChromium();
    tmp = await mkdtemp(join(tmpdir(), 'entente-vote-web-'));
    dir = join(tmp, 'e');
    const { build } = await import('vite');
    await build({
      root: join(ROOT, 'web'),
      configFile: join(ROOT, 'web', 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: join(tmp, 'page'), emptyOutDir: true },
    });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await ceremony(dir);
    } finally {
      log.mockRestore();
    }
    server = await startBallotServer({ dir, pageRoot: join(tmp, 'page') });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    // Nothing leaves the machine: any request not to the ballot box is refused and recorded.
    const origin = new URL(server.url).origin;
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(origin)) return route.continue();
      offsite.push(u);
      return route.abort();
    });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 60_000);

  const axe = (name: string) => expectAccessible(page, name);

  async function mark(choices: Choices, keyboard: boolean): Promise<void> {
    for (const box of await page.locator('input[type=checkbox]').all()) {
      const [, contest, selection] = /^sel-([^-]+)-(.+)$/.exec((await box.getAttribute('id'))!)!;
      const want = (choices[contest!]?.[selection!] ?? 0) > 0;
      if (want === (await box.isChecked())) continue;
      if (keyboard) {
        await box.focus();
        await page.keyboard.press('Space');
      } else await page.locator(`label[for="${await box.getAttribute('id')}"]`).click();
    }
  }

  it('voters cast (and one spoils) ballots encrypted in the page; the record verifies with the plaintext counts', async () => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Encrypt my ballot' }).waitFor();
    expect(await page.title()).toBe('Vote: Example town election');
    await axe('the ballot');

    // Over the limit: refused in the page, naming the contest; nothing is encrypted.
    await mark({ council: { emmy: 1, kurt: 1, sofia: 1 } }, false);
    await page.getByRole('button', { name: 'Encrypt my ballot' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/contest 'council' has 3 votes, its limit is 2/);
    await axe('an over-limit ballot');

    const codes: string[] = [];
    for (const v of VOTERS) {
      await mark(v.choices, !!v.keyboard);
      if (v.keyboard) {
        await page.getByRole('button', { name: 'Encrypt my ballot' }).focus();
        await page.keyboard.press('Enter');
      } else await page.getByRole('button', { name: 'Encrypt my ballot' }).click();
      const code = (await page.locator('#code').getAttribute('data-code'))!;
      expect(code).toMatch(/^[0-9a-f]{64}$/);
      // The heading of the code has the focus, for screen readers and the keyboard.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('code-title');
      if (codes.length === 0) await axe('the confirmation code');
      if (v.spoil) {
        await page.getByRole('button', { name: /Spoil it/ }).click();
        const receipt = page.locator('#receipt[data-state=spoiled]');
        await receipt.waitFor();
        expect(await receipt.getAttribute('data-code')).toBe(code);
        expect(await receipt.locator('li').allTextContents()).toEqual([
          'Mayor (vote for one): Alan Turing',
          'Council (vote for up to two): Kurt Gödel, John von Neumann',
          'Referendum: a new park: no',
        ]);
        await axe('a spoiled ballot');
      } else {
        if (v.keyboard) {
          await page.getByRole('button', { name: 'Cast this ballot' }).focus();
          await page.keyboard.press('Enter');
        } else await page.getByRole('button', { name: 'Cast this ballot' }).click();
        await page.locator(`#receipt[data-state=cast][data-code="${code}"]`).waitFor();
      }
      codes.push(code);
    }
    expect(server.box.size).toBe(VOTERS.length);
    expect(problems).toEqual([]);
    expect(offsite).toEqual([]);

    // The voter's lookup of a spoiled ballot by its code.
    const spoiledCode = codes[VOTERS.findIndex((v) => v.spoil)]!;
    const looked = (await (await fetch(`${server.url}api/ballots/${spoiledCode}`)).json()) as {
      state: string;
      choices: Choices;
    };
    expect(looked.state).toBe('spoiled');
    expect(looked.choices).toEqual(VOTERS.find((v) => v.spoil)!.choices);

    // The tally, guardians 1 and 3 decrypt (2 is missing), the record, the verifier.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await run(['tally'], { dir })).toBe(0);
      expect(await run(['guardian', 'decrypt'], { dir, index: 1 })).toBe(0);
      expect(await run(['guardian', 'decrypt'], { dir, index: 3 })).toBe(0);
      expect(await run(['publish'], { dir, out: join(tmp, 'record.json') })).toBe(0);
    } finally {
      log.mockRestore();
    }
    const record = JSON.parse(await readFile(join(tmp, 'record.json'), 'utf8')) as {
      ballots: { code: string; state: string }[];
    };
    expect(record.ballots.map((b) => b.code)).toEqual(codes);
    expect(record.ballots.map((b) => b.state)).toEqual(
      VOTERS.map((v) => (v.spoil ? 'spoiled' : 'cast')),
    );
    const verdict = verifyElectionJson(record, { crypto: nodeCryptoProvider });
    expect(verdict.ok ? verdict.summary.counts : verdict.failure).toEqual(plaintextCounts());
    expect(verdict.ok && verdict.summary.spoiled).toBe(1);
  }, 180_000);

  it('the ballot box refuses malformed and false submissions with clear HTTP errors', async () => {
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${server.url}${path.slice(1)}`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body,
      });
    const error = async (r: Response) => [r.status, ((await r.json()) as { error: string }).error];

    expect(await error(await post('/api/ballots', '{}', 'text/plain'))).toEqual([
      415,
      'expected Content-Type: application/json',
    ]);
    expect(await error(await post('/api/ballots', '{"id": '))).toEqual([
      400,
      'the body is not JSON',
    ]);
    expect(await error(await post('/api/ballots', '{"id": "x", "state": "cast"}'))).toEqual([
      400,
      'ballot.contests: expected an array',
    ]);
    expect(await error(await post('/api/ballots', 'x'.repeat(2 << 20)))).toEqual([
      413,
      'a ballot is at most 1048576 bytes',
    ]);

    // A ballot honestly made by a device in this process, then altered.
    const opened = (await (await post('/api/devices', '{}')).json()) as {
      device: string;
      previousCode: string;
    };
    const election = server.box.election;
    const device = new Device(election, opened.device, nodeCryptoProvider, opened.previousCode);
    const honest = device.cast(device.encrypt('b-honest', { mayor: { ada: 1 } }));
    const json = ballotJson(honest);

    // A proof moved from one selection to another.
    const swapped = structuredClone(json);
    const sels = swapped.contests[0]!.selections;
    [sels[0]!.proof, sels[1]!.proof] = [sels[1]!.proof, sels[0]!.proof];
    expect(await error(await post('/api/ballots', JSON.stringify(swapped)))).toEqual([
      422,
      "ballot 'b-honest' contest 'mayor' selection 'ada': the proof that it encrypts 0..1 does not verify",
    ]);
    // A ciphertext changed (its code then no longer matches either; the proof fails first).
    const changed = structuredClone(json);
    changed.contests[2]!.selections[0]!.alpha = json.contests[2]!.selections[1]!.alpha;
    expect((await post('/api/ballots', JSON.stringify(changed))).status).toBe(422);
    // A code that does not match.
    const recoded = { ...json, code: json.previousCode };
    expect(await error(await post('/api/ballots', JSON.stringify(recoded)))).toEqual([
      422,
      "ballot 'b-honest': its confirmation code does not match its ciphertexts",
    ]);
    // A device the box never opened.
    expect(
      await error(await post('/api/ballots', JSON.stringify({ ...json, device: 'kiosk-9' }))),
    ).toEqual([409, "device 'kiosk-9' is not open on this ballot box"]);

    // The honest one passes, once; its replay is refused.
    const ok = await post('/api/ballots', JSON.stringify(json));
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { code: string }).code).toBe(honest.code);
    expect(await error(await post('/api/ballots', JSON.stringify(json)))).toEqual([
      409,
      "ballot 'b-honest' was already submitted",
    ]);
    // The same ciphertexts under a new id.
    expect((await post('/api/ballots', JSON.stringify({ ...json, id: 'b-again' }))).status).toBe(
      409,
    );

    // A spoiled ballot whose published choices are not what it encrypts
    // (Benaloh's challenge at the box), and one that is cast but shows its nonce.
    const spoiled = ballotJson(device.spoil(device.encrypt('b-spoiled', { park: { no: 1 } })));
    const lying = structuredClone(spoiled);
    lying.spoiled = { ...spoiled.spoiled!, choices: { park: { yes: 1 } } };
    expect(await error(await post('/api/ballots', JSON.stringify(lying)))).toEqual([
      422,
      "ballot 'b-spoiled' contest 'park' selection 'yes': the spoiled ballot's nonce and choices do not re-encrypt to its ciphertext",
    ]);
    expect(
      await error(await post('/api/ballots', JSON.stringify({ ...spoiled, state: 'cast' }))),
    ).toEqual([400, "ballot 'b-spoiled': a cast ballot must not publish its nonce"]);
    expect((await post('/api/ballots', JSON.stringify(spoiled))).status).toBe(201);

    const stored = JSON.parse(
      await readFile(join(dir, 'ballots', `${opened.device}.json`), 'utf8'),
    ) as { ballots: { id: string }[] };
    expect(stored.ballots.map((b) => b.id)).toEqual(['b-honest', 'b-spoiled']);
    expect((await fetch(`${server.url}api/nothing`)).status).toBe(404);
  });
});
