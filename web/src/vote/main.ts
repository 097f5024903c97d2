/**
 * The voting page (docs/VOTE.md, "Voting in a browser"). It rebuilds the
 * election from its public transcript (src/vote/intake.ts), opens a chain of
 * confirmation codes with the ballot box (this page is one voting device),
 * and for each voter: the voter marks the ballot; this browser encrypts it
 * and proves every selection and contest limit (src/vote/ballot.ts, with
 * WebCrypto's CSPRNG); the page shows the confirmation code, which commits
 * the device to the ballot, and only then asks cast or spoil. A spoiled
 * ballot's nonce and choices go to the box, which re-encrypts them (Benaloh's
 * challenge) before it answers; the page then shows what the ballot held.
 * Plain DOM (no framework): every control is a native, labelled form
 * element, so the page works from the keyboard and with screen readers.
 */
import { webCryptoProvider } from '../../../src/random/provider.js';
import { Device, type Choices, type EncryptedBallot } from '../../../src/vote/ballot.js';
import type { Election } from '../../../src/vote/election.js';
import { parseElectionContext } from '../../../src/vote/intake.js';
import type { Contest } from '../../../src/vote/manifest.js';
import { ballotJson } from '../../../src/vote/record.js';
import { el } from '../dom.js';
import '../public-page.css';
import './vote.css';

const root = document.getElementById('vote')!;

async function call(path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new Error(json.error ?? `the ballot box answered ${r.status}`);
  return json;
}

function randomId(): string {
  const b = new Uint8Array(8);
  webCryptoProvider.randomFill(b);
  return `b-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

const limitText = (c: Contest) =>
  c.selectionLimit === 1 ? 'Vote for at most one.' : `Vote for up to ${c.selectionLimit}.`;

/** One fieldset per contest: checkboxes, or number fields where a selection takes several votes. */
function contestFieldset(c: Contest): HTMLFieldSetElement {
  const hint = el('p', { id: `hint-${c.id}`, class: 'hint' }, limitText(c));
  const fs = el(
    'fieldset',
    { 'data-contest': c.id, 'aria-describedby': hint.id },
    el('legend', {}, c.name),
    hint,
  );
  for (const s of c.selections) {
    const id = `sel-${c.id}-${s.id}`;
    if (c.optionLimit === 1) {
      const box = el('input', { type: 'checkbox', id, name: c.id, value: s.id });
      fs.append(el('div', { class: 'choice' }, box, el('label', { for: id }, s.name)));
    } else {
      const num = el('input', {
        type: 'number',
        id,
        name: c.id,
        value: '0',
        min: '0',
        max: String(c.optionLimit),
        step: '1',
        inputmode: 'numeric',
      });
      fs.append(el('div', { class: 'choice' }, el('label', { for: id }, `${s.name} (votes)`), num));
    }
  }
  return fs;
}

function readChoices(form: HTMLFormElement, election: Election): Choices {
  const out: Record<string, Record<string, number>> = {};
  for (const c of election.manifest.contests) {
    out[c.id] = {};
    for (const s of c.selections) {
      const input = form.querySelector<HTMLInputElement>(`#sel-${c.id}-${s.id}`)!;
      const v = input.type === 'checkbox' ? (input.checked ? 1 : 0) : Number(input.value);
      if (v !== 0) out[c.id]![s.id] = v;
    }
  }
  return out;
}

/** The choices of a ballot in words, for the voter to compare with what they marked. */
function choicesList(election: Election, choices: Choices): HTMLUListElement {
  const ul = el('ul', { class: 'choices' });
  for (const c of election.manifest.contests) {
    const marked = c.selections
      .filter((s) => (choices[c.id]?.[s.id] ?? 0) > 0)
      .map((s) => {
        const v = choices[c.id]![s.id]!;
        return v === 1 ? s.name : `${s.name} (${v})`;
      });
    ul.append(el('li', {}, `${c.name}: ${marked.length ? marked.join(', ') : 'no vote'}`));
  }
  return ul;
}

function status(message: string, kind: 'info' | 'error' = 'info'): HTMLElement {
  return el('p', { role: kind === 'error' ? 'alert' : 'status', class: kind }, message);
}

async function start(): Promise<void> {
  const election = parseElectionContext(await call('/api/election'));
  const opened = (await call('/api/devices', {})) as { device: string; previousCode: string };
  const device = new Device(election, opened.device, webCryptoProvider, opened.previousCode);
  document.title = `Vote: ${election.manifest.name}`;
  const heading = el('h1', { tabindex: '-1' }, election.manifest.name);
  const area = el('div');
  root.replaceChildren(
    heading,
    el(
      'p',
      { class: 'hint' },
      'Your ballot is encrypted in this browser before it leaves it. Device ',
      el('code', { 'data-device': '' }, device.id),
      '.',
    ),
    area,
  );
  root.setAttribute('aria-busy', 'false');
  showBallot();

  function showBallot(notice?: HTMLElement): void {
    const error = el('div', { 'aria-live': 'assertive' });
    const form = el(
      'form',
      { 'aria-label': 'Ballot', novalidate: '' },
      ...election.manifest.contests.map(contestFieldset),
      error,
      el('button', { type: 'submit', id: 'encrypt' }, 'Encrypt my ballot'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const choices = readChoices(form, election);
      let ballot: EncryptedBallot;
      const t0 = performance.now();
      try {
        ballot = device.encrypt(randomId(), choices);
      } catch (e) {
        error.replaceChildren(status((e as Error).message, 'error'));
        return;
      }
      showCode(ballot, choices, performance.now() - t0);
    });
    area.replaceChildren(...(notice ? [notice] : []), form);
    form.querySelector('input')?.focus();
  }

  function showCode(ballot: EncryptedBallot, choices: Choices, ms: number): void {
    const title = el('h2', { tabindex: '-1', id: 'code-title' }, 'Your confirmation code');
    const cast = el('button', { type: 'button', id: 'cast' }, 'Cast this ballot');
    const spoil = el(
      'button',
      { type: 'button', id: 'spoil', class: 'secondary' },
      'Spoil it and check the encryption',
    );
    const result = el('div', { 'aria-live': 'polite' });
    area.replaceChildren(
      el(
        'section',
        { 'aria-labelledby': title.id },
        title,
        el('p', { class: 'code', id: 'code', 'data-code': ballot.code }, ballot.code),
        el(
          'p',
          { class: 'hint', id: 'timing', 'data-ms': ms.toFixed(1) },
          `Encrypted and proved in this browser in ${Math.round(ms)} ms.`,
        ),
        el(
          'p',
          {},
          'Write the code down. Cast the ballot to count it; or spoil it to see that it ' +
            'holds your choices (a spoiled ballot is not counted, and you vote again).',
        ),
        el('div', { class: 'actions' }, cast, spoil),
        result,
      ),
    );
    title.focus();
    const settle = async (how: 'cast' | 'spoil') => {
      cast.disabled = spoil.disabled = true;
      const b = how === 'cast' ? device.cast(ballot) : device.spoil(ballot);
      // For a spoiled ballot, the choices shown are the ones the box holds
      // under this code (and re-encrypted), not this page's own copy.
      let published: Choices = choices;
      try {
        await call('/api/ballots', ballotJson(b));
        if (how === 'spoil')
          published = ((await call(`/api/ballots/${ballot.code}`)) as { choices: Choices }).choices;
      } catch (e) {
        result.replaceChildren(
          status(`The ballot box refused the ballot: ${(e as Error).message}`, 'error'),
        );
        return;
      }
      if (how === 'cast')
        showBallot(
          el(
            'div',
            { class: 'done', id: 'receipt', 'data-state': 'cast', 'data-code': ballot.code },
            status(`Cast. Your confirmation code is ${ballot.code}.`),
            el(
              'p',
              {},
              'Look it up in the election record when it is published: if it is there and the record verifies, your ballot was counted as encrypted.',
            ),
          ),
        );
      else
        showBallot(
          el(
            'div',
            { class: 'done', id: 'receipt', 'data-state': 'spoiled', 'data-code': ballot.code },
            status(
              `Spoiled. The ballot box re-encrypted these choices with the ballot's published nonce and found the ciphertexts of code ${ballot.code}:`,
            ),
            choicesList(election, published),
            el(
              'p',
              {},
              'If these are not what you marked, tell an election official. The spoiled ballot is published in the election record, where anyone can check it again (entente verify election). It is not counted: mark your ballot again below.',
            ),
          ),
        );
    };
    cast.addEventListener('click', () => void settle('cast'));
    spoil.addEventListener('click', () => void settle('spoil'));
  }
}

start().catch((e: unknown) => {
  root.setAttribute('aria-busy', 'false');
  root.replaceChildren(
    el('h1', {}, 'Vote'),
    status(`The voting page could not start: ${(e as Error).message}`, 'error'),
  );
});
