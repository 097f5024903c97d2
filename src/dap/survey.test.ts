import { describe, expect, it } from 'vitest';
import {
  answersToBucket,
  bucketToAnswers,
  checkSurveyVdaf,
  MAX_SURVEY_BUCKETS,
  parseSurvey,
  surveyBuckets,
  surveyMarginals,
  surveyVdaf,
  SurveyError,
} from './survey.js';

const S = parseSurvey({
  title: 'T',
  questions: [
    { id: 'a', text: 'A?', options: ['x', 'y', 'z'] },
    { id: 'b', text: 'B?', options: ['p', 'q'] },
    { id: 'c', text: 'C?', options: ['1', '2', '3', '4'] },
  ],
});

describe('survey encoding', () => {
  it('numbers every combination of answers once, first question most significant', () => {
    expect(surveyBuckets(S)).toBe(24);
    const seen = new Set<number>();
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 2; b++)
        for (let c = 0; c < 4; c++) {
          const k = answersToBucket(S, [a, b, c]);
          expect(k).toBe(a * 8 + b * 4 + c);
          expect(bucketToAnswers(S, k)).toEqual([a, b, c]);
          seen.add(k);
        }
    expect(seen.size).toBe(24);
    expect(surveyVdaf(S)).toEqual({ type: 'histogram', length: 24, chunkLength: 5 });
  });

  it('sums each question from the joint histogram as a plaintext count does', () => {
    const answers = Array.from({ length: 200 }, () => {
      const r = crypto.getRandomValues(new Uint8Array(3));
      return [r[0]! % 3, r[1]! % 2, r[2]! % 4];
    });
    const h = new Array<number>(24).fill(0);
    for (const a of answers) h[answersToBucket(S, a)]!++;
    const want = S.questions.map((q, i) =>
      q.options.map((_, j) => answers.filter((a) => a[i] === j).length),
    );
    expect(surveyMarginals(S, h)).toEqual(want);
    expect(surveyMarginals(S, new Array<number>(24).fill(0))).toEqual([
      [0, 0, 0],
      [0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('refuses answers and histograms that do not fit, naming the question', () => {
    expect(() => answersToBucket(S, [0, 0])).toThrow('expected 3 answers, got 2');
    expect(() => answersToBucket(S, [0, 2, 0])).toThrow("question 'b' has no option 2");
    expect(() => answersToBucket(S, [-1, 0, 0])).toThrow("question 'a' has no option -1");
    expect(() => answersToBucket(S, [0.5, 0, 0])).toThrow(SurveyError);
    expect(() => bucketToAnswers(S, 24)).toThrow('outside');
    expect(() => surveyMarginals(S, [1])).toThrow('expected 24 buckets');
  });

  it('refuses malformed survey documents with the field named', () => {
    const q = (o: object) => ({
      title: 'T',
      questions: [{ id: 'a', text: 'A', options: ['1', '2'], ...o }],
    });
    expect(() => parseSurvey(null)).toThrow('survey: expected an object');
    expect(() => parseSurvey({ title: '', questions: [] })).toThrow('survey.title');
    expect(() => parseSurvey({ title: 'T', questions: [] })).toThrow('survey.questions');
    expect(() => parseSurvey(q({ id: 'A b' }))).toThrow('survey.questions[0].id');
    expect(() => parseSurvey(q({ options: ['1'] }))).toThrow('at least two options');
    expect(() => parseSurvey(q({ options: ['1', '1'] }))).toThrow('listed twice');
    expect(() => parseSurvey(q({ options: ['1', 2] }))).toThrow('options[1]');
    expect(() =>
      parseSurvey({ title: 'T', questions: [q({}).questions[0], q({}).questions[0]] }),
    ).toThrow("'a' is used twice");
    const big = Array.from({ length: 13 }, (_, i) => ({
      id: `q${i}`,
      text: 'Q',
      options: ['y', 'n'],
    }));
    expect(() => parseSurvey({ title: 'T', questions: big })).toThrow(
      `8192 combinations of answers, at most ${MAX_SURVEY_BUCKETS}`,
    );
    expect(() => checkSurveyVdaf(S, { type: 'histogram', length: 23, chunkLength: 5 })).toThrow(
      'histogram of 24 buckets',
    );
    expect(() => checkSurveyVdaf(S, { type: 'count' })).toThrow('got count');
  });
});
