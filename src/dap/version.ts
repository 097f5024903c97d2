/**
 * The DAP draft this layer speaks, in one place: the version string that
 * enters the HPKE `info` labels, the media types and the problem-document
 * types. A later draft changes this module and the codecs in messages.ts.
 *
 * draft-ietf-ppm-dap-09 (Geoghegan, Patton, Pitman, Rescorla, Wood), with
 * VDAF draft-irtf-cfrg-vdaf-08: the versions @divviup/dap 0.9.1 implements.
 */

export const DAP_VERSION = 'dap-09';

/** draft-09 section 4.1: the media type of each message body. */
export const MEDIA_TYPES = {
  hpkeConfigList: 'application/dap-hpke-config-list',
  report: 'application/dap-report',
  aggregationJobInitReq: 'application/dap-aggregation-job-init-req',
  aggregationJobResp: 'application/dap-aggregation-job-resp',
  collectReq: 'application/dap-collect-req',
  collection: 'application/dap-collection',
  aggregateShareReq: 'application/dap-aggregate-share-req',
  aggregateShare: 'application/dap-aggregate-share',
} as const;

/** draft-09 section 3.2: the header that carries a task's bearer token between parties. */
export const AUTH_HEADER = 'DAP-Auth-Token';

/** Roles as they are encoded in HPKE `info` strings (draft-09 section 4.1). */
export const ROLE = { collector: 0, client: 1, leader: 2, helper: 3 } as const;

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** HPKE info of a client's input share to `serverRole`: "dap-09 input share" || client || server. */
export function inputShareInfo(serverRole: 2 | 3): Uint8Array {
  return new Uint8Array([...ascii(`${DAP_VERSION} input share`), ROLE.client, serverRole]);
}

/** HPKE info of an aggregator's aggregate share: "dap-09 aggregate share" || server || collector. */
export function aggregateShareInfo(serverRole: 2 | 3): Uint8Array {
  return new Uint8Array([...ascii(`${DAP_VERSION} aggregate share`), serverRole, ROLE.collector]);
}

/** The problem types of draft-09 section 3.2 that this implementation returns. */
export type DapProblem =
  | 'invalidMessage'
  | 'unrecognizedTask'
  | 'stepMismatch'
  | 'missingTaskID'
  | 'unrecognizedAggregationJob'
  | 'outdatedConfig'
  | 'reportRejected'
  | 'reportTooEarly'
  | 'batchInvalid'
  | 'invalidBatchSize'
  | 'batchQueriedTooManyTimes'
  | 'batchMismatch'
  | 'unauthorizedRequest'
  | 'batchOverlap';

export function problemType(p: DapProblem): string {
  return `urn:ietf:params:ppm:dap:error:${p}`;
}
