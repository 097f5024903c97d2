/**
 * The DAP aggregator's HTTP routes (draft-09 section 4, paths relative to the
 * aggregator's base URL), as a Hono app. Errors are problem documents
 * (RFC 9457) with the draft's `type` URNs and the `taskid` member the client
 * library reads; a 5xx keeps its detail in the log, not the response.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AUTH_HEADER, MEDIA_TYPES, problemType } from '../../dap/version.js';
import type { DapAggregator } from './aggregator.js';
import { DapRequestError } from './errors.js';

export interface DapAppOptions {
  /** Bytes of one request body (an aggregation job of many reports is the largest). */
  readonly maxBody?: number;
  readonly log?: (line: string) => void;
  /** More routes on the same app, registered before the DAP routes (the survey pages). */
  readonly routes?: (app: Hono) => void;
}

function binary(c: Context, status: 200 | 201, type: string, body: Uint8Array): Response {
  return c.body(body as Uint8Array<ArrayBuffer>, status, { 'content-type': type });
}

async function bodyOf(c: Context, type: string): Promise<Uint8Array> {
  const got = c.req.header('content-type');
  if (got !== type)
    throw new DapRequestError(
      'invalidMessage',
      400,
      `expected content-type ${type}, got ${got ?? 'none'}`,
      c.req.param('task'),
    );
  return new Uint8Array(await c.req.arrayBuffer());
}

export function createDapApp(agg: DapAggregator, o: DapAppOptions = {}): Hono {
  const app = new Hono();
  const log = o.log ?? (() => undefined);
  app.use(
    '*',
    bodyLimit({
      maxSize: o.maxBody ?? 64 * 1024 * 1024,
      onError: (c) =>
        c.json(
          { type: problemType('invalidMessage'), title: 'request body too large', status: 413 },
          413,
        ),
    }),
  );
  app.onError((e, c) => {
    if (e instanceof DapRequestError) {
      const doc: Record<string, unknown> = {
        type: problemType(e.problem),
        title: e.message,
        status: e.status,
      };
      if (e.taskId !== undefined) doc.taskid = e.taskId;
      return c.body(JSON.stringify(doc), e.status, { 'content-type': 'application/problem+json' });
    }
    log(`dap: internal error on ${c.req.method} ${c.req.path}: ${(e as Error).stack ?? String(e)}`);
    return c.body(
      JSON.stringify({ type: 'about:blank', title: 'internal error', status: 500 }),
      500,
      {
        'content-type': 'application/problem+json',
      },
    );
  });

  o.routes?.(app);

  app.get('/hpke_config', async (c) =>
    binary(c, 200, MEDIA_TYPES.hpkeConfigList, await agg.hpkeConfigList(c.req.query('task_id'))),
  );
  app.put('/tasks/:task/reports', async (c) => {
    await agg.upload(c.req.param('task'), await bodyOf(c, MEDIA_TYPES.report));
    return c.body(null, 201);
  });
  app.put('/tasks/:task/aggregation_jobs/:job', async (c) => {
    const body = await bodyOf(c, MEDIA_TYPES.aggregationJobInitReq);
    const out = await agg.helperInit(
      c.req.param('task'),
      c.req.param('job'),
      c.req.header(AUTH_HEADER),
      body,
    );
    return binary(c, 200, MEDIA_TYPES.aggregationJobResp, out);
  });
  app.post('/tasks/:task/aggregate_shares', async (c) => {
    const body = await bodyOf(c, MEDIA_TYPES.aggregateShareReq);
    const out = await agg.helperAggregateShare(
      c.req.param('task'),
      c.req.header(AUTH_HEADER),
      body,
    );
    return binary(c, 200, MEDIA_TYPES.aggregateShare, out);
  });
  app.put('/tasks/:task/collection_jobs/:job', async (c) => {
    const body = await bodyOf(c, MEDIA_TYPES.collectReq);
    await agg.createCollection(
      c.req.param('task'),
      c.req.param('job'),
      c.req.header(AUTH_HEADER),
      body,
    );
    return c.body(null, 201);
  });
  app.post('/tasks/:task/collection_jobs/:job', async (c) => {
    const out = await agg.pollCollection(
      c.req.param('task'),
      c.req.param('job'),
      c.req.header(AUTH_HEADER),
    );
    if (out === null) return c.body(null, 202, { 'retry-after': '1' });
    return binary(c, 200, MEDIA_TYPES.collection, out);
  });
  app.delete('/tasks/:task/collection_jobs/:job', async (c) => {
    await agg.deleteCollection(c.req.param('task'), c.req.param('job'), c.req.header(AUTH_HEADER));
    return c.body(null, 204);
  });
  return app;
}
