import { describe, expect, it } from 'vitest';
import { Task } from '@divviup/dap';
import { generateHpkeKeypair, hpkeOpener } from './hpke.js';
import { inputShareInfo, MEDIA_TYPES } from './version.js';
import { DapDecodeError, fromBase64Url, toBase64Url } from './codec.js';
import * as m from './messages.js';

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const ct = (): m.HpkeCiphertext => ({ configId: 7, enc: rnd(32), payload: rnd(50) });
const meta = (time = 1_700_000_000): m.ReportMetadata => ({ reportId: rnd(16), time });

/** Every message through encode then decode comes back equal, and re-encodes to the same bytes. */
function roundTrip<T>(v: T, enc: (v: T) => Uint8Array, dec: (b: Uint8Array) => T): void {
  const b = enc(v);
  const back = dec(b);
  expect(back).toEqual(v);
  expect(enc(back)).toEqual(b);
  // Any truncation fails with a typed error naming the message, never a partial value.
  for (const cut of [0, 1, b.length - 1])
    if (cut < b.length) expect(() => dec(b.subarray(0, cut))).toThrow(DapDecodeError);
  // Trailing bytes are refused.
  expect(() => dec(new Uint8Array([...b, 0]))).toThrow(/trailing/);
}

describe('DAP draft-09 codecs', () => {
  it('round-trips every message, including edge sizes', () => {
    roundTrip(
      [{ id: 1, kemId: 0x20, kdfId: 1, aeadId: 1, publicKey: rnd(32) }],
      m.encodeHpkeConfigList,
      m.decodeHpkeConfigList,
    );
    roundTrip(
      { metadata: meta(0), publicShare: new Uint8Array(0), leaderShare: ct(), helperShare: ct() },
      m.encodeReport,
      m.decodeReport,
    );
    roundTrip(
      {
        metadata: meta(Number.MAX_SAFE_INTEGER),
        publicShare: rnd(32),
        leaderShare: ct(),
        helperShare: ct(),
      },
      m.encodeReport,
      m.decodeReport,
    );
    roundTrip(meta(), m.encodeReportMetadata, m.decodeReportMetadata);
    roundTrip(
      { extensions: [], payload: rnd(100) },
      m.encodePlaintextInputShare,
      m.decodePlaintextInputShare,
    );
    roundTrip(
      {
        extensions: [
          { type: 0xfff0, data: rnd(3) },
          { type: 1, data: new Uint8Array(0) },
        ],
        payload: new Uint8Array(0),
      },
      m.encodePlaintextInputShare,
      m.decodePlaintextInputShare,
    );
    const init = (): m.PrepareInit => ({
      reportShare: { metadata: meta(), publicShare: rnd(32), encryptedInputShare: ct() },
      payload: m.encodePingPong({ type: 'initialize', prepShare: rnd(40) }),
    });
    roundTrip(
      { aggParam: new Uint8Array(0), prepareInits: [init()] },
      m.encodeAggregationJobInitReq,
      m.decodeAggregationJobInitReq,
    );
    roundTrip(
      { aggParam: rnd(2), prepareInits: [init(), init(), init()] },
      m.encodeAggregationJobInitReq,
      m.decodeAggregationJobInitReq,
    );
    const resps: m.PrepareResp[] = [
      { reportId: rnd(16), result: 'continue', payload: rnd(17) },
      { reportId: rnd(16), result: 'finished' },
      ...Object.keys(m.PREPARE_ERROR).map((error) => ({
        reportId: rnd(16),
        result: 'reject' as const,
        error: error as m.PrepareErrorName,
      })),
    ];
    for (const r of resps) roundTrip(r, m.encodePrepareResp, m.decodePrepareResp);
    roundTrip({ prepareResps: resps }, m.encodeAggregationJobResp, m.decodeAggregationJobResp);
    roundTrip(
      { query: { start: 1_699_999_200, duration: 3600 }, aggParam: new Uint8Array(0) },
      m.encodeCollectionReq,
      m.decodeCollectionReq,
    );
    roundTrip(
      { reportCount: 0, interval: { start: 0, duration: 1 }, leaderShare: ct(), helperShare: ct() },
      m.encodeCollection,
      m.decodeCollection,
    );
    roundTrip(
      {
        batchInterval: { start: 3600, duration: 7200 },
        aggParam: new Uint8Array(0),
        reportCount: 12345,
        checksum: rnd(32),
      },
      m.encodeAggregateShareReq,
      m.decodeAggregateShareReq,
    );
    roundTrip({ encryptedShare: ct() }, m.encodeAggregateShare, m.decodeAggregateShare);
    roundTrip({ type: 'initialize', prepShare: rnd(5) }, m.encodePingPong, m.decodePingPong);
    roundTrip(
      { type: 'continue', prepMsg: rnd(16), prepShare: rnd(5) },
      m.encodePingPong,
      m.decodePingPong,
    );
    roundTrip({ type: 'finish', prepMsg: new Uint8Array(0) }, m.encodePingPong, m.decodePingPong);
  });

  it('has the draft-09 byte layout (hand-assembled bytes)', () => {
    // CollectionReq for time_interval [256, 256 + 60) with an empty agg param:
    // query_type(1) | start u64 | duration u64 | agg_param<0..2^32-1>.
    expect(
      Array.from(
        m.encodeCollectionReq({ query: { start: 256, duration: 60 }, aggParam: new Uint8Array(0) }),
      ),
    ).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0]);
    // PrepareResp reject(2) with vdaf_prep_error(5).
    const id = new Uint8Array(16).fill(0xab);
    expect(
      Array.from(m.encodePrepareResp({ reportId: id, result: 'reject', error: 'vdafPrepError' })),
    ).toEqual([...id, 2, 5]);
    // Ping-pong finish(2) with a 1-byte prep message.
    expect(Array.from(m.encodePingPong({ type: 'finish', prepMsg: Uint8Array.of(9) }))).toEqual([
      2, 0, 0, 0, 1, 9,
    ]);
  });

  it('decodes and decrypts exactly what the @divviup/dap client sends', async () => {
    const leader = await generateHpkeKeypair(3);
    const helper = await generateHpkeKeypair(4);
    const taskId = rnd(32);
    const task = new Task({
      type: 'sum',
      bits: 8,
      id: toBase64Url(taskId),
      leader: 'http://leader.invalid/',
      helper: 'http://helper.invalid/',
      timePrecisionSeconds: 3600,
    });
    // The client asks each aggregator for its HpkeConfigList: answer with ours, encoded by us.
    task.fetch = (async (url: string) => {
      const kp = url.startsWith('http://leader.invalid/') ? leader : helper;
      return new Response(m.encodeHpkeConfigList([kp.config]) as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': MEDIA_TYPES.hpkeConfigList },
      });
    }) as typeof fetch;
    const when = new Date(1_700_000_123_000);
    const report = await task.generateReport(200, { timestamp: when });
    const dec = m.decodeReport(new Uint8Array(report.encode()));
    expect(dec.metadata.time).toBe(1_699_999_200); // rounded down to the hour
    expect(dec.metadata.reportId).toEqual(new Uint8Array(report.metadata.reportId.bytes));
    expect(dec.leaderShare.configId).toBe(3);
    expect(dec.helperShare.configId).toBe(4);
    const aad = m.encodeInputShareAad(taskId, dec.metadata, dec.publicShare);
    const l = m.decodePlaintextInputShare(
      await (await hpkeOpener(leader)).open(dec.leaderShare, inputShareInfo(2), aad),
    );
    const h = m.decodePlaintextInputShare(
      await (await hpkeOpener(helper)).open(dec.helperShare, inputShareInfo(3), aad),
    );
    expect(l.extensions).toEqual([]);
    expect(h.extensions).toEqual([]);
    // Prio3Sum's Helper share is two seeds and a blind (16 bytes each).
    expect(h.payload.length).toBe(48);
    // The wrong role's info, or another task's AAD, does not decrypt.
    await expect(
      (await hpkeOpener(leader)).open(dec.leaderShare, inputShareInfo(3), aad),
    ).rejects.toThrow(/does not decrypt/);
    const other = m.encodeInputShareAad(rnd(32), dec.metadata, dec.publicShare);
    await expect(
      (await hpkeOpener(leader)).open(dec.leaderShare, inputShareInfo(2), other),
    ).rejects.toThrow(/does not decrypt/);
  });

  it('refuses what draft-09 does not allow, with a typed error', () => {
    expect(() => m.decodeHpkeConfigList(Uint8Array.of(0, 0))).toThrow(/at least 1/);
    // fixed_size queries are not implemented: named, not misread.
    const req = m.encodeCollectionReq({
      query: { start: 0, duration: 60 },
      aggParam: new Uint8Array(0),
    });
    req[0] = 2;
    expect(() => m.decodeCollectionReq(req)).toThrow(/query type 2 is not supported/);
    expect(() => m.decodePrepareResp(new Uint8Array([...new Uint8Array(16), 3]))).toThrow(
      /unknown result 3/,
    );
    expect(() => m.decodePrepareResp(new Uint8Array([...new Uint8Array(16), 2, 10]))).toThrow(
      /unknown prepare error/,
    );
    expect(() => m.decodePingPong(Uint8Array.of(3))).toThrow(/unknown type/);
    // A length prefix that runs past the end.
    expect(() => m.decodePlaintextInputShare(Uint8Array.of(0, 0, 0, 0, 0, 9, 1))).toThrow(
      DapDecodeError,
    );
    // u64 beyond 2^53 - 1 is refused rather than rounded.
    const big = new Uint8Array(24);
    big.fill(0xff, 16);
    expect(() => m.decodeReportMetadata(big)).toThrow(/2\^53/);
  });

  it('base64url ids as in the URLs', () => {
    const id = rnd(32);
    expect(fromBase64Url(toBase64Url(id), 32, 'task id')).toEqual(id);
    expect(toBase64Url(id)).not.toMatch(/[+/=]/);
    expect(() => fromBase64Url('abc', 32, 'task id')).toThrow(/task id: expected 32 bytes/);
    expect(() => fromBase64Url('a+b', 32, 'task id')).toThrow(/not base64url/);
  });
});
