/**
 * The survey page (docs/DAP.md, "Survey page"), served by a DAP Leader at
 * /surveys/TASK/. It reads the task's public parameters and questions from
 * config.json (as provisioned with the task), and for each submission: the
 * contributor's answers become one Prio3Histogram measurement (the bucket of
 * their combination, src/dap/survey.ts); @divviup/dap's client, unmodified,
 * fetches both aggregators' public keys, splits the measurement into two
 * shares with a proof of validity (VDAF draft-08), HPKE-encrypts one share to
 * each aggregator and uploads the report to the Leader (DAP draft-09). The
 * page then shows what left the browser: the report's parts and their sizes,
 * and where they went. It never shows or sends the answers in the clear.
 * Plain DOM: every control is a native, labelled form element.
 */
import { DAPError, Task } from '@divviup/dap';
import { decodeReport } from '../../../src/dap/messages.js';
import {
  answersToBucket,
  checkSurveyVdaf,
  parseSurvey,
  type Survey,
  type SurveyQuestion,
} from '../../../src/dap/survey.js';
import { el } from '../dom.js';
import '../public-page.css';
import './survey.css';

const root = document.getElementById('survey')!;

interface Config {
  readonly id: string;
  readonly type: 'histogram';
  readonly length: number;
  readonly chunkLength: number;
  readonly leader: string;
  readonly helper: string;
  readonly timePrecisionSeconds: number;
  readonly survey: Survey;
}

async function loadConfig(): Promise<Config> {
  const r = await fetch('config.json', { cache: 'no-store' });
  if (!r.ok) throw new Error(`the survey's configuration is not available (HTTP ${r.status})`);
  const c = (await r.json()) as Config;
  const survey = parseSurvey(c.survey);
  checkSurveyVdaf(survey, { type: 'histogram', length: c.length, chunkLength: c.chunkLength });
  return { ...c, survey };
}

function questionFieldset(q: SurveyQuestion): HTMLFieldSetElement {
  return el(
    'fieldset',
    { 'data-question': q.id },
    el('legend', {}, q.text),
    ...q.options.map((o, i) =>
      el(
        'label',
        { for: `q-${q.id}-${i}` },
        el('input', { type: 'radio', name: q.id, id: `q-${q.id}-${i}`, value: String(i) }),
        ` ${o}`,
      ),
    ),
  );
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** What left the browser, from the encoded report itself (never from the answers). */
function sentPanel(c: Config, encoded: Uint8Array): HTMLElement {
  const r = decodeReport(encoded);
  const row = (term: string, value: string, key: string): Node[] => [
    el('dt', {}, term),
    el('dd', { 'data-field': key }, value),
  ];
  const panel = el(
    'section',
    {
      id: 'sent',
      'aria-labelledby': 'sent-title',
      'data-report-bytes': String(encoded.length),
      'data-leader-share-bytes': String(r.leaderShare.payload.length),
      'data-helper-share-bytes': String(r.helperShare.payload.length),
    },
    el('h2', { id: 'sent-title', tabindex: '-1' }, 'Sent. This is what left your browser'),
    el(
      'p',
      {},
      `One report of ${encoded.length} bytes, uploaded to the Leader. Your answers were not sent: ` +
        'they were split into two shares, each of which alone is random, and each share was ' +
        'encrypted to one aggregator.',
    ),
    el(
      'dl',
      {},
      ...row('Uploaded to (Leader)', `${c.leader}tasks/${c.id}/reports`, 'upload-url'),
      ...row(
        'Share for the Leader',
        `${r.leaderShare.payload.length} bytes, encrypted to the Leader's key (${c.leader})`,
        'leader-share',
      ),
      ...row(
        'Share for the Helper',
        `${r.helperShare.payload.length} bytes, encrypted to the Helper's key (${c.helper}); the Leader passes it on but cannot read it`,
        'helper-share',
      ),
      ...row(
        'Public share',
        `${r.publicShare.length} bytes (randomness for checking the proof; says nothing about the answers)`,
        'public-share',
      ),
      ...row('Report id', hex(r.metadata.reportId), 'report-id'),
      ...row(
        'Also fetched',
        `each aggregator's public key (GET hpke_config from ${c.leader} and ${c.helper})`,
        'keys',
      ),
    ),
  );
  return panel;
}

async function submit(task: Task<never, never>, bucket: number): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    const report = await task.generateReport(bucket as never);
    const encoded = Uint8Array.from(report.encode());
    try {
      await task.sendReport(report);
      return encoded;
    } catch (e) {
      // A rotated key: fetch the keys again and encrypt anew, once.
      if (attempt === 0 && e instanceof DAPError && e.shortType === 'outdatedConfig') {
        task.invalidateHpkeConfig();
        continue;
      }
      throw e;
    }
  }
}

function render(c: Config): void {
  const task = new Task({
    type: 'histogram',
    length: c.length,
    chunkLength: c.chunkLength,
    id: c.id,
    leader: c.leader,
    helper: c.helper,
    timePrecisionSeconds: c.timePrecisionSeconds,
  }) as unknown as Task<never, never>;
  document.title = `Survey: ${c.survey.title}`;
  const alert = el('div', { role: 'alert', hidden: '' });
  const button = el('button', { type: 'submit' }, 'Send my answers');
  const form = el(
    'form',
    { novalidate: '' },
    ...c.survey.questions.map(questionFieldset),
    alert,
    button,
  );
  const status = el('div', { 'aria-live': 'polite' });
  root.replaceChildren(
    el('h1', {}, c.survey.title),
    el(
      'p',
      { class: 'hint' },
      'Your answers are encrypted in this browser and split between two independent ' +
        'organisations, neither of which can read them alone; only totals over many ' +
        'respondents are ever released.',
    ),
    form,
    status,
  );
  root.setAttribute('aria-busy', 'false');

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    alert.hidden = true;
    const answers: number[] = [];
    for (const q of c.survey.questions) {
      const picked = form.querySelector<HTMLInputElement>(`input[name="${q.id}"]:checked`);
      if (!picked) {
        alert.textContent = `Please answer: ${q.text}`;
        alert.hidden = false;
        return;
      }
      answers.push(Number(picked.value));
    }
    button.disabled = true;
    root.setAttribute('aria-busy', 'true');
    status.replaceChildren(el('p', {}, 'Encrypting and sending…'));
    submit(task, answersToBucket(c.survey, answers))
      .then((encoded) => {
        form.reset();
        const panel = sentPanel(c, encoded);
        status.replaceChildren(panel);
        panel.querySelector<HTMLElement>('#sent-title')!.focus();
      })
      .catch((e: unknown) => {
        status.replaceChildren();
        alert.textContent = `Not sent: ${(e as Error).message}`;
        alert.hidden = false;
      })
      .finally(() => {
        button.disabled = false;
        root.setAttribute('aria-busy', 'false');
      });
  });
}

loadConfig().then(render, (e: unknown) => {
  root.setAttribute('aria-busy', 'false');
  root.replaceChildren(
    el('h1', {}, 'Survey'),
    el('p', { role: 'alert' }, `The survey cannot be shown: ${(e as Error).message}`),
  );
});
