import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { taskFromJson, taskToJson } from '../dap/task.js';
import { parseVdafFlag } from './dap.js';
import { UsageError } from './exit.js';
import { main } from './main.js';

describe('entente dap', () => {
  it('parses --vdaf and refuses what it cannot run', () => {
    expect(parseVdafFlag('count')).toEqual({ type: 'count' });
    expect(parseVdafFlag('sum:8')).toEqual({ type: 'sum', bits: 8 });
    expect(parseVdafFlag('sumvec:240:16:20')).toEqual({
      type: 'sumVec',
      length: 240,
      bits: 16,
      chunkLength: 20,
    });
    expect(parseVdafFlag('histogram:100:10')).toEqual({
      type: 'histogram',
      length: 100,
      chunkLength: 10,
    });
    for (const bad of ['sum', 'sum:0', 'sum:65', 'histogram:10', 'count:1', 'median', 'sumvec:1:2'])
      expect(() => parseVdafFlag(bad)).toThrow(UsageError);
  });

  it('task new writes task files each aggregator accepts, secrets with mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entente-dap-cli-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const out = join(dir, 't');
      expect(
        await main([
          'dap',
          'task',
          'new',
          '--vdaf',
          'histogram:4:2',
          '--leader',
          'https://l.example/dap',
          '--helper',
          'https://h.example/',
          '--out',
          out,
          '--min-batch-size',
          '10',
          '--epsilon',
          '0.5',
        ]),
      ).toBe(0);
      const leader = taskFromJson(await readFile(join(out, 'leader.json'), 'utf8'));
      const helper = taskFromJson(await readFile(join(out, 'helper.json'), 'utf8'));
      expect(leader.role).toBe('leader');
      expect(helper.role).toBe('helper');
      expect(leader.leaderUrl).toBe('https://l.example/dap/');
      expect(leader.id).toEqual(helper.id);
      expect(leader.verifyKey).toEqual(helper.verifyKey);
      expect(leader.aggregatorToken).toBe(helper.aggregatorToken);
      expect(leader.hpke.privateKey).not.toEqual(helper.hpke.privateKey);
      expect(leader.minBatchSize).toBe(10);
      expect(leader.dpEpsilon).toBe(0.5);
      expect(helper.collectorToken).toBeUndefined();
      for (const f of ['leader.json', 'helper.json', 'collector.json'])
        expect((await stat(join(out, f))).mode & 0o777).toBe(0o600);
      const client = JSON.parse(await readFile(join(out, 'client.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(client).toMatchObject({
        type: 'histogram',
        length: 4,
        chunkLength: 2,
        timePrecisionSeconds: 3600,
      });
      expect(JSON.stringify(client)).not.toMatch(/private|token|verify/);
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("task new --survey puts the questions in the Leader's task and sizes the histogram from them", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entente-dap-survey-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const survey = {
      title: 'Parks',
      questions: [
        { id: 'district', text: 'Where?', options: ['North', 'South', 'East'] },
        { id: 'parks', text: 'Parks?', options: ['bad', 'fine', 'good', 'great', 'superb'] },
      ],
    };
    const args = (out: string, file: string, ...more: string[]) => [
      'dap',
      'task',
      'new',
      '--survey',
      file,
      '--leader',
      'https://l.example/',
      '--helper',
      'https://h.example/',
      '--out',
      join(dir, out),
      ...more,
    ];
    try {
      const file = join(dir, 'survey.json');
      await writeFile(file, JSON.stringify(survey));
      expect(await main(args('t', file))).toBe(0);
      expect(log.mock.calls.at(-1)![0]).toMatch(
        /survey page will be https:\/\/l\.example\/surveys\/[\w-]{43}\//,
      );
      const leader = taskFromJson(await readFile(join(dir, 't', 'leader.json'), 'utf8'));
      const helper = taskFromJson(await readFile(join(dir, 't', 'helper.json'), 'utf8'));
      expect(leader.survey).toEqual(survey);
      expect(leader.vdaf).toEqual({ type: 'histogram', length: 15, chunkLength: 4 });
      expect(helper.vdaf).toEqual(leader.vdaf);
      expect(helper.survey).toBeUndefined();
      // A task whose histogram does not match its questions is refused where it is read.
      const wrong = taskToJson({
        ...leader,
        vdaf: { type: 'histogram', length: 14, chunkLength: 4 },
      });
      expect(() => taskFromJson(wrong)).toThrow(
        "task: survey: the task's VDAF must be a histogram of 15 buckets",
      );

      await expect(main(args('u', file, '--vdaf', 'count'))).rejects.toThrow(/drop --vdaf/);
      const bad = join(dir, 'bad.json');
      await writeFile(
        bad,
        JSON.stringify({ ...survey, questions: [{ id: 'x', text: 'X', options: ['only'] }] }),
      );
      await expect(main(args('v', bad))).rejects.toThrow(
        `${bad}: survey.questions[0].options: expected at least two options`,
      );
      await writeFile(bad, '{ not json');
      await expect(main(args('w', bad))).rejects.toThrow(`${bad}: `);
      await expect(main(args('x', join(dir, 'missing.json')))).rejects.toThrow(
        /cannot read \(ENOENT\)/,
      );
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown flags with the nearest one', async () => {
    await expect(main(['dap', 'serve', '--prot', '1'])).rejects.toThrow(/did you mean --port/);
  });
});
