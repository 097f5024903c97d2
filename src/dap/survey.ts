/**
 * A survey carried by a DAP task: the questions a contributor answers and
 * their options, provisioned with the task (the `survey` member of the
 * Leader's task file) and served to the survey page. One respondent's answers
 * are one Prio3Histogram measurement: the index of the combination of options
 * chosen, counted in mixed radix with the first question most significant.
 * Prio3Histogram's proof makes every report exactly one bucket, so a
 * contributor cannot answer twice or twice as loudly, and the collected
 * histogram is the joint distribution of the answers, from which each
 * question's counts follow.
 *
 * Public: nothing here is secret, and it runs in browsers (the survey page
 * encodes the answers with it).
 */
import type { VdafSpec } from './vdaf.js';

export interface SurveyQuestion {
  readonly id: string;
  readonly text: string;
  readonly options: readonly string[];
}

export interface Survey {
  readonly title: string;
  readonly questions: readonly SurveyQuestion[];
}

/** A survey document that does not parse, or answers that do not fit it: names the field. */
export class SurveyError extends Error {
  override readonly name = 'SurveyError';
}

/** A bound on the joint histogram, so the client's proof stays small enough for a browser. */
export const MAX_SURVEY_BUCKETS = 4096;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.trim().length > 0 && v.length <= max;

export function parseSurvey(v: unknown, where = 'survey'): Survey {
  if (!isObj(v)) throw new SurveyError(`${where}: expected an object`);
  if (!text(v.title, 200))
    throw new SurveyError(`${where}.title: expected a text of 1 to 200 characters`);
  if (!Array.isArray(v.questions) || v.questions.length === 0)
    throw new SurveyError(`${where}.questions: expected a non-empty array`);
  const ids = new Set<string>();
  const questions = v.questions.map((q: unknown, i): SurveyQuestion => {
    const at = `${where}.questions[${i}]`;
    if (!isObj(q)) throw new SurveyError(`${at}: expected an object`);
    if (typeof q.id !== 'string' || !/^[a-z][a-z0-9_-]{0,39}$/.test(q.id))
      throw new SurveyError(`${at}.id: expected a name of lowercase letters, digits, _ and -`);
    if (ids.has(q.id)) throw new SurveyError(`${at}.id: '${q.id}' is used twice`);
    ids.add(q.id);
    if (!text(q.text, 500))
      throw new SurveyError(`${at}.text: expected a text of 1 to 500 characters`);
    if (!Array.isArray(q.options) || q.options.length < 2)
      throw new SurveyError(`${at}.options: expected at least two options`);
    q.options.forEach((o: unknown, j) => {
      if (!text(o, 200)) throw new SurveyError(`${at}.options[${j}]: expected a short text`);
    });
    if (new Set(q.options).size !== q.options.length)
      throw new SurveyError(`${at}.options: an option is listed twice`);
    return { id: q.id, text: q.text as string, options: [...(q.options as string[])] };
  });
  const s = { title: v.title as string, questions };
  if (surveyBuckets(s) > MAX_SURVEY_BUCKETS)
    throw new SurveyError(
      `${where}: ${surveyBuckets(s)} combinations of answers, at most ${MAX_SURVEY_BUCKETS}`,
    );
  return s;
}

/** The number of combinations of answers: the histogram's length. */
export function surveyBuckets(s: Survey): number {
  return s.questions.reduce((n, q) => n * q.options.length, 1);
}

/** The task's VDAF for a survey: a histogram over the combinations, chunked near sqrt(length). */
export function surveyVdaf(s: Survey): VdafSpec {
  const length = surveyBuckets(s);
  return { type: 'histogram', length, chunkLength: Math.max(1, Math.round(Math.sqrt(length))) };
}

/** Refuses a task whose VDAF is not a histogram of exactly the survey's combinations. */
export function checkSurveyVdaf(s: Survey, v: VdafSpec): void {
  if (v.type !== 'histogram' || v.length !== surveyBuckets(s))
    throw new SurveyError(
      `survey: the task's VDAF must be a histogram of ${surveyBuckets(s)} buckets (one per combination of answers), got ${v.type}${v.type === 'histogram' ? ` of ${v.length}` : ''}`,
    );
}

/** The bucket of one respondent's answers (option indices, one per question). */
export function answersToBucket(s: Survey, answers: readonly number[]): number {
  if (answers.length !== s.questions.length)
    throw new SurveyError(`answers: expected ${s.questions.length} answers, got ${answers.length}`);
  let b = 0;
  s.questions.forEach((q, i) => {
    const a = answers[i]!;
    if (!Number.isInteger(a) || a < 0 || a >= q.options.length)
      throw new SurveyError(`answers: question '${q.id}' has no option ${a}`);
    b = b * q.options.length + a;
  });
  return b;
}

/** The answers a bucket stands for. */
export function bucketToAnswers(s: Survey, bucket: number): number[] {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= surveyBuckets(s))
    throw new SurveyError(`bucket ${bucket} is outside the survey's ${surveyBuckets(s)}`);
  const out = new Array<number>(s.questions.length);
  for (let i = s.questions.length - 1; i >= 0; i--) {
    const k = s.questions[i]!.options.length;
    out[i] = bucket % k;
    bucket = Math.floor(bucket / k);
  }
  return out;
}

/** Each question's counts per option, summed from the joint histogram. */
export function surveyMarginals(s: Survey, histogram: readonly number[]): number[][] {
  if (histogram.length !== surveyBuckets(s))
    throw new SurveyError(
      `histogram: expected ${surveyBuckets(s)} buckets, got ${histogram.length}`,
    );
  const out = s.questions.map((q) => new Array<number>(q.options.length).fill(0));
  histogram.forEach((n, b) => bucketToAnswers(s, b).forEach((a, i) => (out[i]![a]! += n)));
  return out;
}
