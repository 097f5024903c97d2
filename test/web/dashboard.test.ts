/**
 * The dashboard end to end in Debian's Chromium (driven by playwright-core),
 * against three hospital nodes started in this process: an owner signs in and
 * approves a proposal through the confirmation step, the run is watched to
 * completion on the Runs page, the Results page draws one Kaplan-Meier curve
 * and one confidence band per group, writes the API's intervals on the t-test,
 * correlation and regression charts, shows exactly the numbers the API
 * released and downloads them as JSON and CSV, an analyst sees
 * no approve button and no settings, and a tampered audit entry shows as a
 * failed verification after "Re-verify", and a run that cannot start (a
 * node is down) shows as failed with the node's reason. axe-core checks every page (no
 * serious or critical violations); screenshots go to test-artifacts/dashboard/.
 *
 * Skipped (with a message) only outside CI when `chromium` is not installed;
 * in CI (CI set) a missing browser fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_TESTS_RUN,
  expectAccessible,
  launchChromium,
  noteSkipped,
  requireChromium,
} from './chromium.js';
import { studentTQuantile } from '../../src/analytics/distributions.js';
import { formatNumber } from '../../src/analytics/study/report.js';
import type { AnalysisOutcome, StudyOutcome } from '../../src/analytics/study/result.js';
import { NodeClient } from '../../src/node/client.js';
import { runEnded, studyText, threeHospitals, type Federation } from '../node/helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');
noteSkipped('test/web/dashboard.test.ts');

const SURVIVAL = {
  id: 'survival',
  title: 'Kaplan-Meier survival per arm',
  type: 'kaplan-meier',
  time: 'survival_days',
  event: 'death',
  by: 'arm',
  times: [30, 90, 180, 270, 360],
};
const V1 = [{ id: 'patients', type: 'count', by: 'arm' }, SURVIVAL];
const V2 = [
  ...V1,
  { id: 'outcome', title: 'Recovery by arm', type: 'crosstab', rows: 'arm', cols: 'recovered' },
  {
    id: 'recovery-dp',
    title: 'Recovery rate per arm, with differential privacy',
    type: 'rate',
    column: 'recovered',
    by: 'arm',
    dp: { epsilon: 0.5 },
  },
  {
    id: 'recovery-t',
    title: 'Welch t-test of recovery time',
    type: 't-test',
    column: 'recovery_days',
    by: 'arm',
  },
  {
    id: 'survival-lm',
    title: 'Linear regression of survival time on age and arm',
    type: 'linear-regression',
    outcome: 'survival_days',
    predictors: ['age', 'arm'],
  },
  {
    id: 'age-survival-r',
    title: 'Correlation of age and survival time',
    type: 'correlation',
    x: 'age',
    y: 'survival_days',
  },
];

interface ProposalView {
  id: string;
  hash: string;
  status: string;
}
interface ResultView {
  run: string;
  outcome: StudyOutcome;
}

/** What the results tables must show for an outcome: statistic, group, value as the page formats it. */
function expectedRows(o: StudyOutcome): Record<string, string[][]> {
  return Object.fromEntries(
    o.analyses.map((a) => [
      a.id,
      a.rows.map((r) => [
        r.statistic,
        r.group ?? '',
        r.suppressed ? `suppressed (< ${o.minCellSize})` : formatNumber(r.value),
      ]),
    ]),
  );
}

/** The statistic, group and value cells of every results table on the page. */
async function shownRows(page: Page): Promise<Record<string, string[][]>> {
  return page.$$eval('table[data-analysis]', (tables) =>
    Object.fromEntries(
      tables.map((t) => [
        t.getAttribute('data-analysis')!,
        Array.from(t.querySelectorAll('tbody tr')).map((tr) =>
          Array.from(tr.querySelectorAll('th, td'))
            .slice(0, 3)
            .map((c) => c.textContent!.trim()),
        ),
      ]),
    ),
  );
}

/** The cells of a table's body rows (header cell first), as shown. */
async function cellsOf(page: Page, selector: string): Promise<string[][]> {
  return page.$$eval(`${selector} tbody tr`, (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => c.textContent!.trim())),
  );
}

/** The released value of a row of an analysis (null when withheld). */
function valueOf(a: AnalysisOutcome, statistic: string, group?: string): number | null {
  const r = a.rows.find(
    (x) => x.statistic === statistic && (group === undefined || x.group === group),
  );
  if (!r) throw new Error(`${a.id} has no row ${statistic} ${group ?? ''}`);
  return r.suppressed ? null : r.value;
}

/** RFC 4180 fields of CSV text (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const lines: string[][] = [];
  let line: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      line.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      line.push(field);
      lines.push(line);
      line = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || line.length > 0) lines.push([...line, field]);
  return lines;
}

describe.skipIf(!BROWSER_TESTS_RUN)('the dashboard in Chromium', () => {
  let f: Federation;
  let browser: Browser;
  let v2: ProposalView;
  const contexts: BrowserContext[] = [];
  /** Console errors and page errors (a CSP refusal shows here), per page. */
  const problems: string[] = [];
  let shot = 0;

  beforeAll(async () => {
    requireChromium();
    // Cheap when web/dist is up to date (npm install built it).
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (b.status !== 0) throw new Error(`npm run build:web failed:\n${b.stdout}\n${b.stderr}`);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    f = await threeHospitals(150);
    const v1 = await f.analyst.post<ProposalView>('/v1/proposals', { study: studyText(V1) });
    v2 = await f.analyst.post<ProposalView>('/v1/proposals', {
      study: studyText(V2),
      supersedes: v1.id,
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await f?.close();
  }, 60_000);

  async function open(url: string): Promise<Page> {
    // The nodes' certificates are self-signed. The test pins nothing: the browser talks only to
    // nodes this test started on 127.0.0.1 a moment ago, so there is no one to impersonate them.
    // Real users reach a node over a certificate they trust (pinned by the CLI, or installed).
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.setDefaultNavigationTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${page.url()}: console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    await page.goto(`${url}/`);
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function goTo(page: Page, link: string, heading: RegExp): Promise<void> {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: link }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  /** A full-page screenshot, numbered in the order taken. */
  async function screenshot(page: Page, name: string): Promise<void> {
    shot += 1;
    await page.screenshot({
      path: join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
      timeout: 20_000,
    });
  }

  it('an owner signs in, reviews and approves; the run is watched to completion; results match the API', async () => {
    const owner = f.profiles.owner[0]!;
    const page = await open(f.nodes[0]!.url);
    await page.getByRole('heading', { level: 1, name: /Sign in/ }).waitFor();
    await screenshot(page, 'sign-in');
    await expectAccessible(page, 'sign in');
    await signIn(page, owner.token);

    // Overview: the datasets with their hash, the budget, the pending proposal.
    await page.getByRole('heading', { level: 1, name: /Overview/ }).waitFor();
    const datasets = await f.owners[0]!.get<{ content_hash: string }[]>('/v1/datasets');
    await page.getByText(datasets[0]!.content_hash).waitFor();
    const pending = page.locator('[data-list="pending"] li', { hasText: v2.id });
    await expect(pending.textContent()).resolves.toMatch(/awaiting your decision/);
    await page.locator('figure[data-chart="budget"] svg').first().waitFor();
    await screenshot(page, 'overview-owner');
    await expectAccessible(page, 'overview');

    // Keyboard: the skip link is the first stop and moves focus to the page.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');

    // Proposal review: the release summary, the diff against v1, the decisions.
    await pending.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: /Proposal:/ }).waitFor();
    expect(await page.locator('table[data-table="release"] tbody tr').count()).toBe(V2.length);
    await expect(page.locator('[data-list="diff-analyses"]').textContent()).resolves.toContain(
      'Analyses added: outcome, recovery-dp, recovery-t, survival-lm, age-survival-r',
    );
    await screenshot(page, 'proposal-review');
    await expectAccessible(page, 'proposal review');

    // Approve through the confirmation dialog, confirmed with the keyboard.
    await page.getByRole('button', { name: 'Approve…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve this proposal?' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain(v2.hash.slice(0, 16));
    await screenshot(page, 'approve-confirmation');
    await expectAccessible(page, 'approval dialog');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Confirm approval');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'approved proposal' }).waitFor();
    await page
      .locator('table[data-table="decisions"] tr[data-node="hospital-a"]', { hasText: 'approved' })
      .waitFor();
    // Decided: the decision controls are gone.
    await page.getByRole('button', { name: 'Approve…' }).waitFor({ state: 'detached' });
    const seen = await f.owners[0]!.get<{ decisions: { node: string; decision: string }[] }>(
      `/v1/proposals/${v2.id}`,
    );
    expect(seen.decisions).toContainEqual(
      expect.objectContaining({ node: 'hospital-a', decision: 'approve' }),
    );

    // The Runs page is open before the run exists; the other owners approve by API.
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await goTo(page, 'Runs', /^Runs$/);
    for (const o of f.owners.slice(1))
      await o.post(`/v1/proposals/${v2.id}/approve`, { hash: v2.hash });
    const run = page.locator('section[data-run]').first();
    await run.waitFor({ timeout: 30_000 });
    const firstSeen = await run.getAttribute('data-state');
    await page.locator('section[data-run][data-state="released"]').waitFor({ timeout: 150_000 });
    const runs = await runEnded(f, v2.id, 30_000);
    expect(runs.map((r) => r.state)).toEqual(['released', 'released', 'released']);
    await expect(run.textContent()).resolves.toContain(`All ${V2.length} analyses done`);
    // A run first listed while live is followed through its event stream.
    if (firstSeen === 'queued' || firstSeen === 'running')
      expect(asked).toContain(`/v1/runs/${runs[0]!.id}/events`);
    await screenshot(page, 'runs');
    await expectAccessible(page, 'runs');

    // Results: the Kaplan-Meier plot has one line per group; the tables show the API's numbers.
    await run.getByRole('link', { name: 'Read the results' }).click();
    await page.getByRole('heading', { level: 1, name: /Results:/ }).waitFor();
    const result = await f.analyst.get<ResultView>(`/v1/results/${runs[0]!.id}`);
    const km = result.outcome.analyses.find((a) => a.id === 'survival')!;
    expect(km.curves?.length).toBe(2);
    const plot = page.locator('figure[data-chart="kaplan-meier"] svg');
    await plot.first().waitFor();
    expect(await plot.locator('g[aria-label="line"] path').count()).toBe(km.curves!.length);
    // One shaded confidence band per group, at the released level, named in the caption.
    expect(km.curves!.every((c) => c.lower?.some((v) => v !== null))).toBe(true);
    expect(await plot.locator('g[aria-label="area"] path').count()).toBe(km.curves!.length);
    await expect(
      page.locator('figure[data-chart="kaplan-meier"] figcaption').textContent(),
    ).resolves.toContain(`pointwise ${km.curves![0]!.confLevel! * 100}% confidence bands`);
    // The curves' table (the bands' text alternative) holds the API's points.
    const k = result.outcome.minCellSize;
    const shownNumber = (v: number | null | undefined) =>
      v === undefined ? '' : v === null ? `suppressed (< ${k})` : formatNumber(v);
    expect(await cellsOf(page, 'table[data-curves="survival"]')).toEqual(
      km.curves!.flatMap((c) =>
        c.times.map((t, i) => [
          c.group,
          String(t),
          ...[c.survival, c.lower, c.upper, c.atRisk, c.events, c.stdErr].map((xs) =>
            shownNumber(xs?.[i]),
          ),
        ]),
      ),
    );
    await page.locator('figure[data-chart="heatmap"] svg').first().waitFor();
    await page.locator('figure[data-chart="p-values"] svg').first().waitFor();

    // Interval charts: the numbers written on them and in their tables are the API's.
    const analysis = (id: string) => result.outcome.analyses.find((a) => a.id === id)!;
    const interval = async (
      kind: string,
      id: string,
      rows: (number | null)[][],
      labels: string[],
    ) => {
      const expected = rows.map((r, i) => [labels[i]!, ...r.map((v) => formatNumber(v))]);
      expect(await cellsOf(page, `table[data-intervals="${id}"]`)).toEqual(expected);
      const drawn = await page
        .locator(`section[data-analysis-section="${id}"] figure[data-chart="${kind}"] svg`)
        .first()
        .textContent();
      for (const [, v, lo, hi] of expected) expect(drawn).toContain(`${v} [${lo}, ${hi}]`);
    };
    const tt = analysis('recovery-t');
    const meanA = valueOf(tt, 'mean', 'arm = A')!;
    const meanB = valueOf(tt, 'mean', 'arm = B')!;
    await interval(
      't-interval',
      'recovery-t',
      [[meanA - meanB, valueOf(tt, 'CI lower', 'A - B'), valueOf(tt, 'CI upper', 'A - B')]],
      ['A - B'],
    );
    // The group means are drawn as bars, one per arm.
    expect(
      await page
        .locator(
          'section[data-analysis-section="recovery-t"] figure[data-chart="means"] g[aria-label="bar"] rect',
        )
        .count(),
    ).toBe(2);
    const cor = analysis('age-survival-r');
    const pair = 'age, survival_days';
    await interval(
      'correlation',
      'age-survival-r',
      [
        [
          valueOf(cor, 'correlation', pair),
          valueOf(cor, 'CI lower', pair),
          valueOf(cor, 'CI upper', pair),
        ],
      ],
      [pair],
    );
    // Linear regression: coefficient -+ t(0.975, residual df) x se, as R's confint.
    const lm = analysis('survival-lm');
    const df = valueOf(lm, 'residual df', 'model')!;
    const q = studentTQuantile(0.975, df);
    expect(q).toBeGreaterThan(1.96);
    const terms = lm.rows.filter((r) => r.statistic === 'coefficient').map((r) => r.group!);
    expect(terms.length).toBe(3);
    await interval(
      'coefficients',
      'survival-lm',
      terms.map((t) => {
        const b = valueOf(lm, 'coefficient', t)!;
        const se = valueOf(lm, 'standard error', t)!;
        return [b, b - q * se, b + q * se];
      }),
      terms,
    );
    await expect(
      page.locator('section[data-analysis-section="survival-lm"] figcaption').textContent(),
    ).resolves.toContain(`t(0.975, ${formatNumber(df)} residual df)`);

    const expected = expectedRows(result.outcome);
    const shown = await shownRows(page);
    expect(Object.keys(shown).sort()).toEqual(Object.keys(expected).sort());
    expect(shown).toEqual(expected);
    // The comparison would catch a wrong number: one changed value no longer matches.
    const altered = structuredClone(result.outcome) as unknown as {
      analyses: { rows: { value: number | null; suppressed: boolean }[] }[];
    };
    const victim = altered.analyses[0]!.rows.find((r) => !r.suppressed)!;
    victim.value = (victim.value ?? 0) + 1;
    expect(shown).not.toEqual(expectedRows(altered as unknown as StudyOutcome));
    // Downloads: JSON is the API's result; CSV has a line per row, and each Kaplan-Meier row
    // carries its curve point (at risk, events, standard error, band, level) beside it.
    const [json] = await Promise.all([
      page.waitForEvent('download', { timeout: 20_000 }),
      page.getByRole('link', { name: 'Download JSON' }).click(),
    ]);
    expect(JSON.parse(readFileSync(await json.path(), 'utf8'))).toEqual(result);
    const [csv] = await Promise.all([
      page.waitForEvent('download', { timeout: 20_000 }),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const [header, ...lines] = parseCsv(readFileSync(await csv.path(), 'utf8'));
    expect(header).toEqual([
      'analysis',
      'title',
      'statistic',
      'group',
      'value',
      'suppressed',
      'precision',
      'atRisk',
      'events',
      'stdErr',
      'lower',
      'upper',
      'confLevel',
    ]);
    const rows = result.outcome.analyses.reduce((n, a) => n + a.rows.length, 0);
    expect(lines.length).toBe(rows);
    const csvCell = (v: number | null | undefined) =>
      v === null || v === undefined ? '' : String(v);
    const kmLines = lines.filter((l) => l[0] === 'survival');
    expect(kmLines.map((l) => [l[3], ...l.slice(7)])).toEqual(
      km.curves!.flatMap((c) =>
        c.times.map((t, i) => [
          `${c.group}, t = ${t}`,
          ...[c.atRisk, c.events, c.stdErr, c.lower, c.upper].map((xs) => csvCell(xs?.[i])),
          String(c.confLevel),
        ]),
      ),
    );
    expect(kmLines.some((l) => l[9] !== '' && l[10] !== '')).toBe(true);
    // Other analyses leave the curve columns empty.
    expect(
      lines.filter((l) => l[0] !== 'survival').every((l) => l.slice(7).every((x) => x === '')),
    ).toBe(true);
    await screenshot(page, 'results');
    for (const kind of [
      'kaplan-meier',
      'heatmap',
      'p-values',
      'means',
      't-interval',
      'correlation',
      'coefficients',
    ])
      await page
        .locator(`figure[data-chart="${kind}"]`)
        .first()
        .screenshot({ path: join(ARTIFACTS, `results-${kind}.png`), timeout: 20_000 });
    await expectAccessible(page, 'results');

    // Audit log: verified, and filtered by kind on the node.
    await goTo(page, 'Audit log', /Audit log/);
    await page.locator('[data-verdict="ok"]').waitFor({ timeout: 30_000 });
    await page.getByLabel('Kind').selectOption('proposal.approved');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('(kind proposal.approved)').waitFor();
    const kinds = await page.$$eval('table[data-table="audit"] tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-kind')),
    );
    const approvals = await f.auditors[0]!.get<unknown[]>('/v1/audit?kind=proposal.approved');
    expect(kinds.length).toBe(approvals.length);
    expect(kinds.length).toBeGreaterThanOrEqual(3);
    expect(new Set(kinds)).toEqual(new Set(['proposal.approved']));
    await screenshot(page, 'audit-owner');
    await expectAccessible(page, 'audit log');

    // Settings: add a user (its token shown once, and it works), change a dataset's policy.
    await goTo(page, 'Settings', /Settings/);
    await page.locator('table[data-table="users"] tr[data-user="analyst"]').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('ana2');
    await page.getByLabel('Role').selectOption('analyst');
    await page.getByRole('button', { name: 'Add user' }).click();
    const token = await page.getByLabel('Token of ana2').inputValue();
    expect(token).toMatch(/^ent_/);
    const me = await new NodeClient({ ...owner, token }).get<{ name: string; role: string }>(
      '/v1/me',
    );
    expect(me).toMatchObject({ name: 'ana2', role: 'analyst' });
    // Disabling it (behind a confirmation) revokes the token at once.
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.getByRole('button', { name: 'Disable ana2' }).click();
    await page.getByRole('dialog', { name: 'Disable ana2?' }).waitFor();
    await page.getByRole('button', { name: 'Confirm: disable' }).click();
    await page
      .locator('table[data-table="users"] tr[data-user="ana2"]', { hasText: 'disabled' })
      .waitFor();
    await expect(new NodeClient({ ...owner, token }).get('/v1/me')).rejects.toThrow(/401/);
    const policy = page.locator('form[data-policy="patients"]');
    await policy.getByLabel('Minimum cell size a study must use').fill('5');
    await policy.getByLabel('Most epsilon one run may spend').fill('1.5');
    await policy.getByRole('button', { name: /Save policy/ }).click();
    await policy.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const after =
      await f.owners[0]!.get<{ min_cell_size: number; max_epsilon_per_run: number }[]>(
        '/v1/datasets',
      );
    expect(after[0]).toMatchObject({ min_cell_size: 5, max_epsilon_per_run: 1.5 });
    await screenshot(page, 'settings');
    await expectAccessible(page, 'settings');

    // Signing out forgets the token.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(problems).toEqual([]);
  }, 300_000);

  it('an analyst sees no approve button and no settings, and asks for nothing it may not read', async () => {
    const page = await open(f.nodes[0]!.url);
    const asked: string[] = [];
    page.on('request', (r) => asked.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await signIn(page, f.profiles.analyst.token);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link', { name: 'Overview' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Settings' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Results' }).count()).toBe(1);
    await screenshot(page, 'overview-analyst');
    await expectAccessible(page, 'overview (analyst)');

    // A fresh proposal is pending: still no decision controls for an analyst.
    const p = await f.analyst.post<ProposalView>('/v1/proposals', { study: studyText(V1) });
    await page.goto(`${f.nodes[0]!.url}/#/proposals/${p.id}`);
    await page.getByRole('heading', { level: 1, name: /Proposal:/ }).waitFor();
    await page.locator('table[data-table="release"]').waitFor();
    expect(await page.getByRole('button', { name: /Approve|Refuse/ }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: /Your decision/ }).count()).toBe(0);
    await screenshot(page, 'proposal-analyst');
    await expectAccessible(page, 'proposal review (analyst)');

    // Typing the settings address shows that it is not available, and loads nothing of it.
    await page.goto(`${f.nodes[0]!.url}/#/settings`);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    await screenshot(page, 'settings-analyst');
    await expectAccessible(page, 'settings (analyst)');
    await page.goto(`${f.nodes[0]!.url}/#/audit`);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    const forbidden = asked.filter((a) =>
      /\/v1\/(users|audit)|\/approve$|\/refuse$|\/policy$/.test(a),
    );
    expect(forbidden).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);

  it('a tampered audit entry shows as a failed verification after Re-verify', async () => {
    const page = await open(f.nodes[1]!.url);
    const auditor = await f.auditors[1]!.get<{ name: string }>('/v1/me');
    expect(auditor.name).toBe('auditor');
    await signIn(page, f.auditors[1]!.profile.token);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    expect(await nav.getByRole('link', { name: 'Results' }).count()).toBe(0);
    await goTo(page, 'Audit log', /Audit log/);
    await page.locator('[data-verdict="ok"]').waitFor({ timeout: 30_000 });

    // Node B's operator edits entry 2 behind the node's back (the append-only trigger disabled).
    const db = f.nodes[1]!.node.db;
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db);
    try {
      await sql`update audit_log set body = ${'{"name":"someone else"}'} where seq = 2`.execute(db);
    } finally {
      await sql`alter table audit_log enable trigger audit_log_append_only`.execute(db);
    }
    await page.getByRole('button', { name: 'Re-verify' }).click();
    const failed = page.locator('[data-verdict="failed"]');
    await failed.waitFor({ timeout: 30_000 });
    await expect(failed.textContent()).resolves.toMatch(/Verification FAILED.*entry 2 fails/);
    // The entries were read again: entry 2 shows what it now says.
    await page
      .locator('table[data-table="audit"] tbody tr', { hasText: 'name: someone else' })
      .waitFor();
    await screenshot(page, 'audit-tampered');
    await expectAccessible(page, 'audit log (failed verification)');
    expect(problems).toEqual([]);
  }, 120_000);

  // Last: it stops node C.
  it('a run that cannot start shows as failed on the Runs page, naming the node and the reason', async () => {
    const p = await f.analyst.post<ProposalView>('/v1/proposals', { study: studyText(V1) });
    // B and C approve; node A must have both decisions before C goes away.
    for (const o of f.owners.slice(1))
      await o.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
    const until = Date.now() + 30_000;
    for (;;) {
      const seen = await f.owners[0]!.get<{ decisions: { node: string }[] }>(
        `/v1/proposals/${p.id}`,
      );
      if (seen.decisions.length >= 2) break;
      if (Date.now() > until) throw new Error(`node A saw ${seen.decisions.length} decisions`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await f.nodes[2]!.close();
    const page = await open(f.nodes[0]!.url);
    await signIn(page, f.profiles.owner[0]!.token);
    await goTo(page, 'Runs', /^Runs$/);
    await f.owners[0]!.post(`/v1/proposals/${p.id}/approve`, { hash: p.hash });
    const failed = page.locator('section[data-run][data-state="failed"]');
    await failed.first().waitFor({ timeout: 60_000 });
    const runs =
      await f.owners[0]!.get<{ proposal_id: string; state: string; reason: string }[]>('/v1/runs');
    const run = runs.find((r) => r.proposal_id === p.id)!;
    expect(run.state).toBe('failed');
    expect(run.reason).toMatch(/hospital-c/);
    // The page shows the node's own words for the failure.
    const shown = await failed.first().locator('[data-reason]').textContent();
    expect(shown).toBe(`Failed: ${run.reason}`);
    await screenshot(page, 'runs-failed');
    await expectAccessible(page, 'runs (a failed run)');
    expect(problems).toEqual([]);
  }, 120_000);
});
