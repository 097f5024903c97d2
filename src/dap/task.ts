/**
 * A DAP task as provisioned at an aggregator: its id, VDAF, both aggregators'
 * URLs, the shared VDAF verification key, the bearer tokens, the aggregator's
 * own HPKE keypair, the Collector's HPKE configuration, and the batch rules
 * (time precision, minimum batch size, how often a batch may be collected,
 * optional DP noise). Stored and exchanged as JSON with base64url bytes; the
 * parser names the field it refuses. The JSON holds secrets (verification
 * key, tokens, private key): it is never logged.
 */
import { fromBase64Url, toBase64Url } from './codec.js';
import type { HpkeKeypair } from './hpke.js';
import type { HpkeConfig } from './messages.js';
import { TASK_ID_LEN } from './messages.js';
import { checkSurveyVdaf, parseSurvey, SurveyError, type Survey } from './survey.js';
import type { VdafSpec } from './vdaf.js';

export type DapRole = 'leader' | 'helper';

export interface DapTask {
  readonly id: Uint8Array;
  readonly role: DapRole;
  readonly vdaf: VdafSpec;
  /** Base URLs ending in '/', as the client library builds paths below them. */
  readonly leaderUrl: string;
  readonly helperUrl: string;
  /** The VDAF verification key both aggregators share (16 bytes for Prio3 with TurboSHAKE128). */
  readonly verifyKey: Uint8Array;
  /** The token the Leader presents to the Helper (DAP-Auth-Token). */
  readonly aggregatorToken: string;
  /** The token the Collector presents to the Leader; unused by the Helper. */
  readonly collectorToken: string | undefined;
  readonly hpke: HpkeKeypair;
  readonly collectorHpkeConfig: HpkeConfig;
  /** Report timestamps are rounded to this many seconds; batch intervals are multiples of it. */
  readonly timePrecision: number;
  readonly minBatchSize: number;
  /** How many times a batch's aggregate share may be released (draft-09 max_batch_query_count). */
  readonly maxBatchQueryCount: number;
  /** Reports older than this many seconds are refused at upload (0: no limit). */
  readonly reportMaxAge: number;
  /** Reports this many seconds in the future are refused (clock skew allowance). */
  readonly clockSkew: number;
  /** Discrete Laplace noise added by this aggregator to its aggregate share, if set. */
  readonly dpEpsilon: number | undefined;
  /** The questions of a survey page the Leader serves for this task (src/dap/survey.ts), if any. */
  readonly survey?: Survey;
}

/** A task file or row that does not parse: names the field. */
export class DapTaskError extends Error {
  override readonly name = 'DapTaskError';
}

interface TaskJson {
  id: string;
  role: DapRole;
  vdaf: VdafSpec;
  leader_url: string;
  helper_url: string;
  verify_key: string;
  aggregator_token: string;
  collector_token?: string;
  hpke_config: { id: number; kem_id: number; kdf_id: number; aead_id: number; public_key: string };
  hpke_private_key: string;
  collector_hpke_config: {
    id: number;
    kem_id: number;
    kdf_id: number;
    aead_id: number;
    public_key: string;
  };
  time_precision: number;
  min_batch_size: number;
  max_batch_query_count: number;
  report_max_age: number;
  clock_skew: number;
  dp_epsilon?: number;
  survey?: Survey;
}

const cfgJson = (c: HpkeConfig): TaskJson['hpke_config'] => ({
  id: c.id,
  kem_id: c.kemId,
  kdf_id: c.kdfId,
  aead_id: c.aeadId,
  public_key: toBase64Url(c.publicKey),
});

export function taskToJson(t: DapTask): string {
  const j: TaskJson = {
    id: toBase64Url(t.id),
    role: t.role,
    vdaf: t.vdaf,
    leader_url: t.leaderUrl,
    helper_url: t.helperUrl,
    verify_key: toBase64Url(t.verifyKey),
    aggregator_token: t.aggregatorToken,
    ...(t.collectorToken !== undefined ? { collector_token: t.collectorToken } : {}),
    hpke_config: cfgJson(t.hpke.config),
    hpke_private_key: toBase64Url(t.hpke.privateKey),
    collector_hpke_config: cfgJson(t.collectorHpkeConfig),
    time_precision: t.timePrecision,
    min_batch_size: t.minBatchSize,
    max_batch_query_count: t.maxBatchQueryCount,
    report_max_age: t.reportMaxAge,
    clock_skew: t.clockSkew,
    ...(t.dpEpsilon !== undefined ? { dp_epsilon: t.dpEpsilon } : {}),
    ...(t.survey !== undefined ? { survey: t.survey } : {}),
  };
  return JSON.stringify(j, null, 2);
}

function need<T>(ok: boolean, v: T, field: string, what: string): T {
  if (!ok) throw new DapTaskError(`task: ${field} must be ${what}`);
  return v;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const posInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const nonNegInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function bytes(o: Record<string, unknown>, f: string, len?: number): Uint8Array {
  const v = o[f];
  if (typeof v !== 'string') throw new DapTaskError(`task: ${f} must be a base64url string`);
  try {
    const b = fromBase64Url(v, len ?? Math.floor((v.length * 3) / 4), f);
    return b;
  } catch (e) {
    throw new DapTaskError(`task: ${(e as Error).message}`);
  }
}

function url(o: Record<string, unknown>, f: string): string {
  const v = o[f];
  if (typeof v !== 'string') throw new DapTaskError(`task: ${f} must be a URL`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new DapTaskError(`task: ${f} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new DapTaskError(`task: ${f} must be http(s)`);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.toString();
}

function hpkeConfig(o: Record<string, unknown>, f: string): HpkeConfig {
  const c = o[f];
  if (!isObj(c)) throw new DapTaskError(`task: ${f} must be an object`);
  for (const k of ['id', 'kem_id', 'kdf_id', 'aead_id'])
    need(nonNegInt(c[k]) && (c[k] as number) <= 0xffff, 0, `${f}.${k}`, 'an integer');
  need((c.id as number) <= 255, 0, `${f}.id`, 'at most 255');
  return {
    id: c.id as number,
    kemId: c.kem_id as number,
    kdfId: c.kdf_id as number,
    aeadId: c.aead_id as number,
    publicKey: bytes(c, 'public_key', 32),
  };
}

export function parseVdafSpec(v: unknown): VdafSpec {
  if (!isObj(v)) throw new DapTaskError('task: vdaf must be an object');
  const int = (f: string, max: number): number =>
    need(
      posInt(v[f]) && (v[f] as number) <= max,
      v[f] as number,
      `vdaf.${f}`,
      `an integer in [1, ${max}]`,
    );
  switch (v.type) {
    case 'count':
      return { type: 'count' };
    case 'sum':
      return { type: 'sum', bits: int('bits', 64) };
    case 'sumVec':
      return {
        type: 'sumVec',
        length: int('length', 1 << 20),
        bits: int('bits', 64),
        chunkLength: int('chunkLength', 1 << 20),
      };
    case 'histogram':
      return {
        type: 'histogram',
        length: int('length', 1 << 20),
        chunkLength: int('chunkLength', 1 << 20),
      };
    default:
      throw new DapTaskError(`task: vdaf.type must be count, sum, sumVec or histogram`);
  }
}

export function taskFromJson(text: string): DapTask {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new DapTaskError(`task: not JSON (${(e as Error).message})`);
  }
  if (!isObj(o)) throw new DapTaskError('task: expected an object');
  const role = need(
    o.role === 'leader' || o.role === 'helper',
    o.role as DapRole,
    'role',
    "'leader' or 'helper'",
  );
  const tok = (f: string): string =>
    need(
      typeof o[f] === 'string' && /^[\x21-\x7e]{16,}$/.test(o[f]),
      o[f] as string,
      f,
      'a token of 16 or more printable characters',
    );
  const hpke = hpkeConfig(o, 'hpke_config');
  const dp = o.dp_epsilon;
  const vdaf = parseVdafSpec(o.vdaf);
  let survey: Survey | undefined;
  if (o.survey !== undefined)
    try {
      survey = parseSurvey(o.survey, 'survey');
      checkSurveyVdaf(survey, vdaf);
    } catch (e) {
      if (e instanceof SurveyError) throw new DapTaskError(`task: ${e.message}`);
      throw e;
    }
  return {
    id: bytes(o, 'id', TASK_ID_LEN),
    role,
    vdaf,
    leaderUrl: url(o, 'leader_url'),
    helperUrl: url(o, 'helper_url'),
    verifyKey: bytes(o, 'verify_key', 16),
    aggregatorToken: tok('aggregator_token'),
    collectorToken: role === 'leader' ? tok('collector_token') : undefined,
    hpke: { config: hpke, privateKey: bytes(o, 'hpke_private_key', 32) },
    collectorHpkeConfig: hpkeConfig(o, 'collector_hpke_config'),
    timePrecision: need(
      posInt(o.time_precision),
      o.time_precision as number,
      'time_precision',
      'a positive number of seconds',
    ),
    minBatchSize: need(
      posInt(o.min_batch_size),
      o.min_batch_size as number,
      'min_batch_size',
      'a positive integer',
    ),
    maxBatchQueryCount: need(
      posInt(o.max_batch_query_count),
      o.max_batch_query_count as number,
      'max_batch_query_count',
      'a positive integer',
    ),
    reportMaxAge: need(
      nonNegInt(o.report_max_age),
      o.report_max_age as number,
      'report_max_age',
      'a number of seconds (0: none)',
    ),
    clockSkew: need(
      nonNegInt(o.clock_skew),
      o.clock_skew as number,
      'clock_skew',
      'a number of seconds',
    ),
    dpEpsilon:
      dp === undefined
        ? undefined
        : need(
            typeof dp === 'number' && dp > 0 && dp <= 64,
            dp as number,
            'dp_epsilon',
            'a number in (0, 64]',
          ),
    ...(survey !== undefined ? { survey } : {}),
  };
}
