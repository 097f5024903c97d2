/**
 * Issue 17 item 3: contributors answer a survey in a browser, end to end in
 * Debian's Chromium (playwright-core). A Leader and a Helper (Entente's DAP
 * aggregators, each its own HTTP server on 127.0.0.1 with its own PGlite
 * database) serve a task made by `entente dap task new --survey FILE`; the
 * Leader serves the survey page (built from web/ with the dashboard's Vite
 * configuration into a temporary folder, so the test never depends on a stale
 * web/dist). The page uploads each respondent's answers through
 * @divviup/dap's client in the browser and shows what left it; the test
 * checks that against the requests the browser really made (the report's
 * bytes to the Leader, only key fetches to the Helper), then collects with
 * `entente dap collect` and the histogram must equal the answers given.
 *
 * Skipped (with a message) only outside CI when `chromium` is not installed;
 * in CI (CI set) a missing browser fails.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { dapCommand } from '../../src/cli/dap.js';
import { decodeReport } from '../../src/dap/messages.js';
import { answersToBucket, parseSurvey, surveyBuckets } from '../../src/dap/survey.js';
import { taskFromJson } from '../../src/dap/task.js';
import { serveDap, type RunningDap } from '../../src/node/dap/server.js';
import { surveyRoutes } from '../../src/node/dap/survey-pages.js';
import { openStore, type Store } from '../../src/node/store/store.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
noteSkipped('test/web/survey.test.ts');

const SURVEY = {
  title: 'Living in Eastbrook',
  questions: [
    { id: 'district', text: 'Where do you live?', options: ['Old Town', 'Harbour', 'Hillside'] },
    {
      id: 'transport',
      text: 'How satisfied are you with public transport?',
      options: ['Very unhappy', 'Unhappy', 'Happy', 'Very happy'],
    },
  ],
};

/** What each respondent picks (option indices): first and last options, and a repeat. */
const ANSWERS = [
  [0, 0],
  [2, 3],
  [1, 2],
  [2, 3],
  [0, 1],
];

const flags = (o: Record<string, string | number>) =>
  new Map(Object.entries(o).map(([k, v]) => [k, String(v)]));

describe.skipIf(!BROWSER_TESTS_RUN)('a survey answered in a browser', () => {
  let tmp: string;
  let stores: Store[] = [];
  let leader: RunningDap;
  let helper: RunningDap;
  let browser: Browser;
  let page: Page;
  let taskId: string;
  const problems: string[] = [];
  const requests: { method: string; url: string; body: Buffer | null }[] = [];

  beforeAll(async () => {
    requireChromium();
    tmp = await mkdtemp(join(tmpdir(), 'entente-survey-web-'));
    const { build } = await import('vite');
    await build({
      root: join(ROOT, 'web'),
      configFile: join(ROOT, 'web', 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir: join(tmp, 'page'), emptyOutDir: true },
    });
    stores = [
      await openStore({ kind: 'pglite', dir: undefined }),
      await openStore({ kind: 'pglite', dir: undefined }),
    ];
    const pageRoot = join(tmp, 'page');
    helper = await serveDap({ db: stores[1]!.db, routes: surveyRoutes({ db: stores[1]!.db }) });
    leader = await serveDap({
      db: stores[0]!.db,
      jobSize: 4,
      routes: surveyRoutes({ db: stores[0]!.db, pageRoot }),
    });

    // The task, with its questions, as an operator makes it.
    await writeFile(join(tmp, 'survey.json'), JSON.stringify(SURVEY));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(
        await dapCommand(
          ['task', 'new'],
          flags({
            survey: join(tmp, 'survey.json'),
            leader: leader.url,
            helper: helper.url,
            out: join(tmp, 'task'),
            'min-batch-size': 3,
          }),
        ),
      ).toBe(0);
    } finally {
      log.mockRestore();
    }
    const leaderTask = taskFromJson(await readFile(join(tmp, 'task', 'leader.json'), 'utf8'));
    const helperTask = taskFromJson(await readFile(join(tmp, 'task', 'helper.json'), 'utf8'));
    expect(helperTask.survey).toBeUndefined();
    await leader.aggregator.provision(leaderTask);
    await helper.aggregator.provision(helperTask);
    taskId = JSON.parse(await readFile(join(tmp, 'task', 'client.json'), 'utf8')).id as string;

    browser = await launchChromium();
    const context = await browser.newContext();
    // Only the two aggregators may be reached; anything else is refused (and fails the test).
    const allowed = [new URL(leader.url).origin, new URL(helper.url).origin];
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (allowed.includes(new URL(u).origin)) return route.continue();
      problems.push(`off-site request: ${u}`);
      return route.abort();
    });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) =>
      requests.push({ method: r.method(), url: r.url(), body: r.postDataBuffer() }),
    );
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await leader?.close();
    await helper?.close();
    for (const s of stores) await s.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 60_000);

  const axe = (name: string) => expectAccessible(page, name);

  it('respondents answer in the page; the Collector gets exactly their histogram', async () => {
    const started = Math.floor(Date.now() / 1000);
    await page.goto(`${leader.url}surveys/${taskId}/`);
    const send = page.getByRole('button', { name: 'Send my answers' });
    await send.waitFor();
    expect(await page.title()).toBe('Survey: Living in Eastbrook');
    await axe('the survey');

    // A question left out: refused in the page, naming it; nothing is sent.
    await page.getByLabel('Harbour').check();
    await send.click();
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toBe('Please answer: How satisfied are you with public transport?');
    expect(requests.filter((r) => r.method === 'PUT')).toEqual([]);

    const reported: number[] = [];
    for (const [n, a] of ANSWERS.entries()) {
      for (const [i, q] of SURVEY.questions.entries())
        await page.getByLabel(q.options[a[i]!]!, { exact: true }).check();
      await send.click();
      const sent = page.locator(`#sent[data-report-bytes]`);
      await expect.poll(() => requests.filter((r) => r.method === 'PUT').length).toBe(n + 1);
      await sent.waitFor();
      // What the page says left the browser is what did: the report's bytes, to the Leader.
      const put = requests.filter((r) => r.method === 'PUT')[n]!;
      expect(put.url).toBe(`${leader.url}tasks/${taskId}/reports`);
      const report = decodeReport(new Uint8Array(put.body!));
      expect(Number(await sent.getAttribute('data-report-bytes'))).toBe(put.body!.length);
      expect(Number(await sent.getAttribute('data-leader-share-bytes'))).toBe(
        report.leaderShare.payload.length,
      );
      expect(Number(await sent.getAttribute('data-helper-share-bytes'))).toBe(
        report.helperShare.payload.length,
      );
      expect(await sent.locator('[data-field=upload-url]').textContent()).toBe(put.url);
      expect(await sent.locator('[data-field=helper-share]').textContent()).toContain(helper.url);
      // The answers are not shown back, nor sent in the clear anywhere.
      const shown = (await sent.textContent())!;
      for (const q of SURVEY.questions) for (const o of q.options) expect(shown).not.toContain(o);
      reported.push(report.leaderShare.payload.length);
      // The form is cleared for the next respondent.
      expect(await page.locator('input:checked').count()).toBe(0);
      if (n === 0) await axe('the receipt');
    }
    expect(problems).toEqual([]);
    // The browser talked to the Helper only to fetch its public key, and to the Leader for
    // the page, its key and the reports.
    const helperOrigin = new URL(helper.url).origin;
    const toHelper = requests.filter((r) => r.url.startsWith(helperOrigin));
    expect(toHelper.length).toBeGreaterThan(0);
    for (const r of toHelper) {
      expect(r.method).toBe('GET');
      expect(r.url).toBe(`${helper.url}hpke_config?task_id=${taskId}`);
    }
    // Every share is encrypted afresh: same answers, same sizes, different bytes.
    expect(new Set(reported).size).toBe(1);
    const puts = requests.filter((r) => r.method === 'PUT').map((r) => r.body!.toString('hex'));
    expect(new Set(puts).size).toBe(ANSWERS.length);

    // The Collector, with the CLI.
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    try {
      expect(
        await dapCommand(
          ['collect'],
          flags({
            collector: join(tmp, 'task', 'collector.json'),
            start: started - (started % 3600),
            // Two hours: a run that crosses the hour still lands in the interval.
            duration: 7200,
            'timeout-ms': 30_000,
          }),
        ),
      ).toBe(0);
    } finally {
      log.mockRestore();
    }
    const got = JSON.parse(out[0]!) as { report_count: number; aggregate: string[] };
    const survey = parseSurvey(SURVEY);
    const want = new Array<number>(surveyBuckets(survey)).fill(0);
    for (const a of ANSWERS) want[answersToBucket(survey, a)]!++;
    expect(got.report_count).toBe(ANSWERS.length);
    expect(got.aggregate.map(Number)).toEqual(want);
    expect(await leader.aggregator.rejections(taskId)).toEqual({});
  }, 180_000);

  it('has no page for an unknown task or a task without questions; the Helper serves no page', async () => {
    const none = `${'A'.repeat(42)}E`;
    expect((await fetch(`${leader.url}surveys/${none}/`)).status).toBe(404);
    expect((await fetch(`${leader.url}surveys/${none}/config.json`)).status).toBe(404);
    expect((await fetch(`${leader.url}surveys/not-a-task/`)).status).toBe(404);
    expect((await fetch(`${helper.url}surveys/${taskId}/`)).status).toBe(404);
    const cfg = await fetch(`${leader.url}surveys/${taskId}/config.json`);
    expect(cfg.status).toBe(200);
    const c = (await cfg.json()) as Record<string, unknown>;
    // Only the public parameters: nothing of the task's secrets.
    expect(Object.keys(c).sort()).toEqual(
      [
        'chunkLength',
        'helper',
        'id',
        'leader',
        'length',
        'survey',
        'timePrecisionSeconds',
        'type',
      ].sort(),
    );
    // The page may connect to the two aggregators and nowhere else.
    const csp = (await fetch(`${leader.url}surveys/${taskId}/`)).headers.get(
      'content-security-policy',
    )!;
    expect(csp).toContain(
      `connect-src 'self' ${new URL(leader.url).origin} ${new URL(helper.url).origin};`,
    );
  });
});
