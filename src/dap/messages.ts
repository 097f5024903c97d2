/**
 * The draft-09 messages this aggregator sends and receives (draft-ietf-ppm-dap-09
 * sections 4.2-4.4), each as a plain object with an encoder and a decoder over
 * the TLS syntax of codec.ts. Only time-interval tasks are supported: the
 * query type in a Query, BatchSelector or PartialBatchSelector must be 1.
 */
import { DapDecodeError, decodeAll, encodeWith, type Reader, type Writer } from './codec.js';

export const TASK_ID_LEN = 32;
export const REPORT_ID_LEN = 16;
export const JOB_ID_LEN = 16;
export const CHECKSUM_LEN = 32;
/** QueryType time_interval (draft-09 section 4.1). fixed_size (2) is not implemented. */
export const TIME_INTERVAL = 1;

export interface HpkeConfig {
  readonly id: number;
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly publicKey: Uint8Array;
}

export interface HpkeCiphertext {
  readonly configId: number;
  readonly enc: Uint8Array;
  readonly payload: Uint8Array;
}

export interface ReportMetadata {
  readonly reportId: Uint8Array;
  /** Seconds since the epoch, rounded down to the task's time precision by the client. */
  readonly time: number;
}

export interface Report {
  readonly metadata: ReportMetadata;
  readonly publicShare: Uint8Array;
  readonly leaderShare: HpkeCiphertext;
  readonly helperShare: HpkeCiphertext;
}

export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface PlaintextInputShare {
  readonly extensions: readonly Extension[];
  readonly payload: Uint8Array;
}

export interface Interval {
  readonly start: number;
  readonly duration: number;
}

export interface ReportShare {
  readonly metadata: ReportMetadata;
  readonly publicShare: Uint8Array;
  readonly encryptedInputShare: HpkeCiphertext;
}

export interface PrepareInit {
  readonly reportShare: ReportShare;
  /** The Leader's first ping-pong message (VDAF-08 section 5.8), encoded. */
  readonly payload: Uint8Array;
}

export interface AggregationJobInitReq {
  readonly aggParam: Uint8Array;
  readonly prepareInits: readonly PrepareInit[];
}

/** draft-09 section 4.4.1.1: why the Helper (or Leader) rejected one report. */
export const PREPARE_ERROR = {
  batchCollected: 0,
  reportReplayed: 1,
  reportDropped: 2,
  hpkeUnknownConfigId: 3,
  hpkeDecryptError: 4,
  vdafPrepError: 5,
  batchSaturated: 6,
  taskExpired: 7,
  invalidMessage: 8,
  reportTooEarly: 9,
} as const;
export type PrepareErrorName = keyof typeof PREPARE_ERROR;
const PREPARE_ERROR_NAMES = Object.fromEntries(
  Object.entries(PREPARE_ERROR).map(([k, v]) => [v, k as PrepareErrorName]),
) as Record<number, PrepareErrorName>;

export type PrepareResp =
  | { readonly reportId: Uint8Array; readonly result: 'continue'; readonly payload: Uint8Array }
  | { readonly reportId: Uint8Array; readonly result: 'finished' }
  | { readonly reportId: Uint8Array; readonly result: 'reject'; readonly error: PrepareErrorName };

export interface AggregationJobResp {
  readonly prepareResps: readonly PrepareResp[];
}

export interface CollectionReq {
  readonly query: Interval;
  readonly aggParam: Uint8Array;
}

export interface Collection {
  readonly reportCount: number;
  readonly interval: Interval;
  readonly leaderShare: HpkeCiphertext;
  readonly helperShare: HpkeCiphertext;
}

export interface AggregateShareReq {
  readonly batchInterval: Interval;
  readonly aggParam: Uint8Array;
  readonly reportCount: number;
  readonly checksum: Uint8Array;
}

export interface AggregateShare {
  readonly encryptedShare: HpkeCiphertext;
}

/** VDAF-08 section 5.8: the ping-pong topology's messages between the two aggregators. */
export type PingPong =
  | { readonly type: 'initialize'; readonly prepShare: Uint8Array }
  | { readonly type: 'continue'; readonly prepMsg: Uint8Array; readonly prepShare: Uint8Array }
  | { readonly type: 'finish'; readonly prepMsg: Uint8Array };

// ---- field codecs ----

function wHpkeConfig(w: Writer, c: HpkeConfig): void {
  w.u8(c.id).u16(c.kemId).u16(c.kdfId).u16(c.aeadId).opaque16(c.publicKey);
}
function rHpkeConfig(r: Reader): HpkeConfig {
  return {
    id: r.u8('HpkeConfig.id'),
    kemId: r.u16('HpkeConfig.kem_id'),
    kdfId: r.u16('HpkeConfig.kdf_id'),
    aeadId: r.u16('HpkeConfig.aead_id'),
    publicKey: r.opaque16('HpkeConfig.public_key', 1),
  };
}
function wCiphertext(w: Writer, c: HpkeCiphertext): void {
  w.u8(c.configId).opaque16(c.enc).opaque32(c.payload);
}
function rCiphertext(r: Reader, what: string): HpkeCiphertext {
  return {
    configId: r.u8(`${what}.config_id`),
    enc: r.opaque16(`${what}.enc`, 1),
    payload: r.opaque32(`${what}.payload`, 1),
  };
}
function wMetadata(w: Writer, m: ReportMetadata): void {
  w.fixed(m.reportId, REPORT_ID_LEN, 'report id').u64(m.time);
}
function rMetadata(r: Reader): ReportMetadata {
  return { reportId: r.fixed(REPORT_ID_LEN, 'report_id'), time: r.u64('time') };
}
function wInterval(w: Writer, i: Interval): void {
  w.u64(i.start).u64(i.duration);
}
function rInterval(r: Reader): Interval {
  return { start: r.u64('Interval.start'), duration: r.u64('Interval.duration') };
}
function rQueryType(r: Reader, what: string): void {
  const t = r.u8(`${what}.query_type`);
  if (t !== TIME_INTERVAL)
    throw new DapDecodeError(
      `${what}: query type ${t} is not supported (only time_interval, ${TIME_INTERVAL})`,
    );
}
function wExtension(w: Writer, e: Extension): void {
  w.u16(e.type).opaque16(e.data);
}
function rExtension(r: Reader): Extension {
  return { type: r.u16('Extension.extension_type'), data: r.opaque16('Extension.extension_data') };
}
function wReportShare(w: Writer, s: ReportShare): void {
  wMetadata(w, s.metadata);
  w.opaque32(s.publicShare);
  wCiphertext(w, s.encryptedInputShare);
}
function rReportShare(r: Reader): ReportShare {
  return {
    metadata: rMetadata(r),
    publicShare: r.opaque32('public_share'),
    encryptedInputShare: rCiphertext(r, 'encrypted_input_share'),
  };
}
function wPrepareResp(w: Writer, p: PrepareResp): void {
  w.fixed(p.reportId, REPORT_ID_LEN, 'report id');
  if (p.result === 'continue') w.u8(0).opaque32(p.payload);
  else if (p.result === 'finished') w.u8(1);
  else w.u8(2).u8(PREPARE_ERROR[p.error]);
}
function rPrepareResp(r: Reader): PrepareResp {
  const reportId = r.fixed(REPORT_ID_LEN, 'PrepareResp.report_id');
  const t = r.u8('PrepareResp.prepare_resp_result');
  if (t === 0) return { reportId, result: 'continue', payload: r.opaque32('PrepareResp.payload') };
  if (t === 1) return { reportId, result: 'finished' };
  if (t === 2) {
    const e = r.u8('PrepareResp.prepare_error');
    const error = PREPARE_ERROR_NAMES[e];
    if (error === undefined) throw new DapDecodeError(`PrepareResp: unknown prepare error ${e}`);
    return { reportId, result: 'reject', error };
  }
  throw new DapDecodeError(`PrepareResp: unknown result ${t}`);
}

// ---- whole messages ----

export const encodeHpkeConfigList = (l: readonly HpkeConfig[]): Uint8Array =>
  encodeWith(l, (w, v) => w.vector(2, v, wHpkeConfig));
export const decodeHpkeConfigList = (b: Uint8Array): HpkeConfig[] =>
  decodeAll(b, 'HpkeConfigList', (r) => r.vector(2, 'configs', rHpkeConfig, 1));

export const encodeHpkeConfig = (c: HpkeConfig): Uint8Array => encodeWith(c, wHpkeConfig);
export const decodeHpkeConfig = (b: Uint8Array): HpkeConfig =>
  decodeAll(b, 'HpkeConfig', rHpkeConfig);

export const encodeHpkeCiphertext = (c: HpkeCiphertext): Uint8Array => encodeWith(c, wCiphertext);
export const decodeHpkeCiphertext = (b: Uint8Array): HpkeCiphertext =>
  decodeAll(b, 'HpkeCiphertext', (r) => rCiphertext(r, 'HpkeCiphertext'));

export const encodeReportMetadata = (m: ReportMetadata): Uint8Array => encodeWith(m, wMetadata);
export const decodeReportMetadata = (b: Uint8Array): ReportMetadata =>
  decodeAll(b, 'ReportMetadata', rMetadata);

export const encodeReport = (rep: Report): Uint8Array =>
  encodeWith(rep, (w, v) => {
    wMetadata(w, v.metadata);
    w.opaque32(v.publicShare);
    wCiphertext(w, v.leaderShare);
    wCiphertext(w, v.helperShare);
  });
export const decodeReport = (b: Uint8Array): Report =>
  decodeAll(b, 'Report', (r) => ({
    metadata: rMetadata(r),
    publicShare: r.opaque32('public_share'),
    leaderShare: rCiphertext(r, 'leader_encrypted_input_share'),
    helperShare: rCiphertext(r, 'helper_encrypted_input_share'),
  }));

export const encodePlaintextInputShare = (p: PlaintextInputShare): Uint8Array =>
  encodeWith(p, (w, v) => w.vector(2, v.extensions, wExtension).opaque32(v.payload));
export const decodePlaintextInputShare = (b: Uint8Array): PlaintextInputShare =>
  decodeAll(b, 'PlaintextInputShare', (r) => ({
    extensions: r.vector(2, 'extensions', rExtension),
    payload: r.opaque32('payload'),
  }));

/** The AAD of an input share's encryption: task id, metadata, public share. */
export const encodeInputShareAad = (
  taskId: Uint8Array,
  metadata: ReportMetadata,
  publicShare: Uint8Array,
): Uint8Array =>
  encodeWith(null, (w) => {
    w.fixed(taskId, TASK_ID_LEN, 'task id');
    wMetadata(w, metadata);
    w.opaque32(publicShare);
  });

export const encodeAggregationJobInitReq = (m: AggregationJobInitReq): Uint8Array =>
  encodeWith(m, (w, v) => {
    w.opaque32(v.aggParam).u8(TIME_INTERVAL);
    w.vector(4, v.prepareInits, (w2, p) => {
      wReportShare(w2, p.reportShare);
      w2.opaque32(p.payload);
    });
  });
export const decodeAggregationJobInitReq = (b: Uint8Array): AggregationJobInitReq =>
  decodeAll(b, 'AggregationJobInitReq', (r) => {
    const aggParam = r.opaque32('agg_param');
    rQueryType(r, 'part_batch_selector');
    const prepareInits = r.vector(
      4,
      'prepare_inits',
      (r2) => ({ reportShare: rReportShare(r2), payload: r2.opaque32('PrepareInit.payload') }),
      1,
    );
    return { aggParam, prepareInits };
  });

export const encodePrepareResp = (p: PrepareResp): Uint8Array => encodeWith(p, wPrepareResp);
export const decodePrepareResp = (b: Uint8Array): PrepareResp =>
  decodeAll(b, 'PrepareResp', rPrepareResp);

export const encodeAggregationJobResp = (m: AggregationJobResp): Uint8Array =>
  encodeWith(m, (w, v) => w.vector(4, v.prepareResps, wPrepareResp));
export const decodeAggregationJobResp = (b: Uint8Array): AggregationJobResp =>
  decodeAll(b, 'AggregationJobResp', (r) => ({
    prepareResps: r.vector(4, 'prepare_resps', rPrepareResp, 1),
  }));

export const encodeCollectionReq = (m: CollectionReq): Uint8Array =>
  encodeWith(m, (w, v) => {
    w.u8(TIME_INTERVAL);
    wInterval(w, v.query);
    w.opaque32(v.aggParam);
  });
export const decodeCollectionReq = (b: Uint8Array): CollectionReq =>
  decodeAll(b, 'CollectionReq', (r) => {
    rQueryType(r, 'Query');
    return { query: rInterval(r), aggParam: r.opaque32('agg_param') };
  });

export const encodeCollection = (m: Collection): Uint8Array =>
  encodeWith(m, (w, v) => {
    w.u8(TIME_INTERVAL).u64(v.reportCount);
    wInterval(w, v.interval);
    wCiphertext(w, v.leaderShare);
    wCiphertext(w, v.helperShare);
  });
export const decodeCollection = (b: Uint8Array): Collection =>
  decodeAll(b, 'Collection', (r) => {
    rQueryType(r, 'part_batch_selector');
    return {
      reportCount: r.u64('report_count'),
      interval: rInterval(r),
      leaderShare: rCiphertext(r, 'leader_encrypted_agg_share'),
      helperShare: rCiphertext(r, 'helper_encrypted_agg_share'),
    };
  });

export const encodeAggregateShareReq = (m: AggregateShareReq): Uint8Array =>
  encodeWith(m, (w, v) => {
    w.u8(TIME_INTERVAL);
    wInterval(w, v.batchInterval);
    w.opaque32(v.aggParam).u64(v.reportCount).fixed(v.checksum, CHECKSUM_LEN, 'checksum');
  });
export const decodeAggregateShareReq = (b: Uint8Array): AggregateShareReq =>
  decodeAll(b, 'AggregateShareReq', (r) => {
    rQueryType(r, 'batch_selector');
    return {
      batchInterval: rInterval(r),
      aggParam: r.opaque32('agg_param'),
      reportCount: r.u64('report_count'),
      checksum: r.fixed(CHECKSUM_LEN, 'checksum'),
    };
  });

export const encodeAggregateShare = (m: AggregateShare): Uint8Array =>
  encodeWith(m.encryptedShare, wCiphertext);
export const decodeAggregateShare = (b: Uint8Array): AggregateShare =>
  decodeAll(b, 'AggregateShare', (r) => ({
    encryptedShare: rCiphertext(r, 'encrypted_aggregate_share'),
  }));

/** The AAD of an aggregate share's encryption: task id, agg param, batch selector. */
export const encodeAggregateShareAad = (
  taskId: Uint8Array,
  aggParam: Uint8Array,
  batchInterval: Interval,
): Uint8Array =>
  encodeWith(null, (w) => {
    w.fixed(taskId, TASK_ID_LEN, 'task id').opaque32(aggParam).u8(TIME_INTERVAL);
    wInterval(w, batchInterval);
  });

export const encodePingPong = (m: PingPong): Uint8Array =>
  encodeWith(m, (w, v) => {
    if (v.type === 'initialize') w.u8(0).opaque32(v.prepShare);
    else if (v.type === 'continue') w.u8(1).opaque32(v.prepMsg).opaque32(v.prepShare);
    else w.u8(2).opaque32(v.prepMsg);
  });
export const decodePingPong = (b: Uint8Array): PingPong =>
  decodeAll(b, 'PingPongMessage', (r) => {
    const t = r.u8('type');
    if (t === 0) return { type: 'initialize', prepShare: r.opaque32('prep_share') };
    if (t === 1)
      return {
        type: 'continue',
        prepMsg: r.opaque32('prep_msg'),
        prepShare: r.opaque32('prep_share'),
      };
    if (t === 2) return { type: 'finish', prepMsg: r.opaque32('prep_msg') };
    throw new DapDecodeError(`PingPongMessage: unknown type ${t}`);
  });
