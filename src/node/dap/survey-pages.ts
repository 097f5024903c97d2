/**
 * The survey page of a DAP task, served by the Leader beside its DAP routes
 * (issue 17 item 3). The page (web/survey.html, built with the dashboard into
 * web/dist) reads the task's public parameters and questions from
 * `config.json`, encodes the contributor's answers as one Prio3Histogram
 * measurement and uploads it through @divviup/dap in the browser: the answers
 * never leave the browser in the clear, only the two input shares, each
 * HPKE-encrypted to one aggregator.
 *
 *   GET /surveys/TASK/              the page (and /assets/* its script and styles)
 *   GET /surveys/TASK/config.json   { id, type, length, chunkLength, leader, helper,
 *                                     timePrecisionSeconds, survey }: what the client's
 *                                     Task takes, and the questions
 *
 * Everything comes from the task as provisioned at this aggregator (its
 * `survey` member, src/dap/survey.ts); a task without one has no page. The
 * Helper mounts the same routes for their CORS header on GET /hpke_config,
 * which the page fetches from the Helper's origin.
 */
import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { taskFromJson, type DapTask } from '../../dap/task.js';
import { SECURITY_HEADERS, staticFile, WEB_DIST } from '../http/static.js';
import type { NodeDb } from '../store/schema.js';

export interface SurveyPagesOptions {
  readonly db: NodeDb;
  /** The folder holding survey.html and assets/ (default: the built dashboard, web/dist). */
  readonly pageRoot?: string;
}

const TASK_ID = /^[A-Za-z0-9_-]{43}$/;

async function surveyTask(db: NodeDb, id: string): Promise<DapTask | undefined> {
  if (!TASK_ID.test(id)) return undefined;
  const row = await db
    .selectFrom('dap_tasks')
    .select(['config_json'])
    .where('task_id', '=', id)
    .where('role', '=', 'leader')
    .executeTakeFirst();
  if (!row) return undefined;
  const task = taskFromJson(row.config_json);
  return task.survey ? task : undefined;
}

/** The page's CSP: its own scripts only; it may talk to this Leader and to the task's Helper. */
function csp(task: DapTask): string {
  const origins = [...new Set([new URL(task.leaderUrl).origin, new URL(task.helperUrl).origin])];
  return SECURITY_HEADERS['Content-Security-Policy']!.replace(
    "connect-src 'self'",
    `connect-src 'self' ${origins.join(' ')}`,
  );
}

/** Registers the survey routes on an aggregator's app (DapAppOptions.routes). */
export function surveyRoutes(o: SurveyPagesOptions): (app: Hono) => void {
  const root = o.pageRoot ?? WEB_DIST;
  return (app) => {
    // A browser client fetches each aggregator's public key from the page's origin.
    app.use('/hpke_config', cors({ origin: '*', allowMethods: ['GET'] }));

    app.get('/surveys/:task/config.json', async (c) => {
      const task = await surveyTask(o.db, c.req.param('task'));
      if (!task) return c.json({ error: 'no survey for this task' }, 404);
      return c.json(
        {
          ...task.vdaf,
          id: c.req.param('task'),
          leader: task.leaderUrl,
          helper: task.helperUrl,
          timePrecisionSeconds: task.timePrecision,
          survey: task.survey,
        },
        200,
        { ...SECURITY_HEADERS, 'cache-control': 'no-store' },
      );
    });
    app.get('/surveys/:task', (c) => c.redirect(`/surveys/${c.req.param('task')}/`, 301));
    app.get('/surveys/:task/', async (c) => {
      const task = await surveyTask(o.db, c.req.param('task'));
      if (!task) return c.text('no survey for this task', 404, SECURITY_HEADERS);
      const f = await staticFile('/survey.html', root);
      if (!f)
        return c.text(
          "the survey page is not built (web/dist/survey.html): run 'npm run build:web'",
          503,
          SECURITY_HEADERS,
        );
      return c.body(f.body as Uint8Array<ArrayBuffer>, 200, {
        ...SECURITY_HEADERS,
        'Content-Security-Policy': csp(task),
        'content-type': f.type,
        'cache-control': 'no-store',
      });
    });
    app.get('/assets/*', async (c) => {
      const f = await staticFile(c.req.path, root);
      if (!f) return c.text('not found', 404, SECURITY_HEADERS);
      return c.body(f.body as Uint8Array<ArrayBuffer>, 200, {
        ...SECURITY_HEADERS,
        'content-type': f.type,
        'cache-control': f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    });
  };
}
