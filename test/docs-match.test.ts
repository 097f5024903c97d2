/**
 * The documentation says what the code does. docs/WIRE.md's worked example of a session id: the federation file, its
 * canonical JSON, digest, session id and session tag are read out of the
 * document, derived again here the way the document describes (defaults,
 * fingerprint form, sorted keys, SHA-256), and compared with both the
 * document and the code. A change to the hashed fields on either side fails.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateFederation } from '../src/adapters/node/net/federation.js';
import { SUITES } from '../src/suites/index.js';
import { sessionTag } from '../src/transport/frame.js';

const wire = readFileSync('docs/WIRE.md', 'utf8');
/** The worked example: from "For example, this federation file" to the test's mention. */
const example = wire.slice(
  wire.indexOf('For example, this federation file'),
  wire.indexOf('(`test/docs-match.test.ts`'),
);
const blocks = [...example.matchAll(/```(\w*)\n([\s\S]*?)\n```/g)].map((m) => ({
  lang: m[1],
  text: m[2]!,
}));
const file = JSON.parse(blocks[0]!.text) as Record<string, unknown>;
const canonical = blocks[1]!.text.trim();
const values = new Map(
  blocks[2]!.text.split('\n').map((l) => {
    const [k, v] = l.split(/\s{2,}/);
    return [k!, v!] as const;
  }),
);

/** Sorted keys, no whitespace, values as JSON.stringify writes them. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The canonical content as WIRE.md lists it, defaults from OPERATIONS.md. */
function canonicalAsDocumented(f: Record<string, unknown>): string {
  const t = (f.timeouts ?? {}) as Record<string, number>;
  const name = (f.name as string | undefined) ?? 'entente';
  return sortedJson({
    version: 1,
    name,
    session: (f.session as string | undefined) ?? name,
    ...(f.suite === undefined ? {} : { suite: f.suite }),
    transport: f.transport === 'ws' ? 'ws' : 'tls',
    maxFrameBytes: (f.maxFrameBytes as number | undefined) ?? 268_435_456,
    timeouts: {
      connectMs: t.connectMs ?? 30_000,
      heartbeatMs: t.heartbeatMs ?? 5_000,
      idleMs: t.idleMs ?? 30_000,
      roundMs: t.roundMs ?? 60_000,
    },
    parties: (f.parties as Array<Record<string, unknown>>).map((p) => ({
      id: p.id,
      name: p.name ?? p.id,
      host: p.host,
      port: p.port,
      fingerprint: (p.fingerprint as string)
        .replaceAll(':', '')
        .toUpperCase()
        .match(/../g)!
        .join(':'),
      suites: p.suites,
    })),
  });
}

const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest();

describe("WIRE.md's session id example", () => {
  it('is found in the document', () => {
    expect(blocks.map((b) => b.lang)).toEqual(['json', '', '']);
    expect([...values.keys()]).toEqual(['digest', 'session id', 'session tag']);
  });

  it('canonical JSON and digest: derived from the text, equal to the documented ones and to the code', () => {
    const derived = canonicalAsDocumented(file);
    expect(derived).toBe(canonical);
    const digest = sha256(derived).toString('hex');
    expect(digest).toBe(values.get('digest'));
    expect(validateFederation(file, 'docs/WIRE.md').digest).toBe(digest);
  });

  it('session id and tag: SESSION|SUITE|DIGEST, tag = SHA-256("entente/session/v1" 0x00 id)[0..16)', () => {
    const sid = `${file.session as string}|rep3|${values.get('digest')!}`;
    expect(sid).toBe(values.get('session id'));
    const tag = sha256(
      Buffer.concat([Buffer.from('entente/session/v1'), Buffer.from([0]), Buffer.from(sid)]),
    ).subarray(0, 16);
    expect(tag.toString('hex')).toBe(values.get('session tag'));
    expect(Buffer.from(sessionTag(sid)).toString('hex')).toBe(values.get('session tag'));
  });
});

describe("OPERATIONS.md's federation file", () => {
  it('lists every suite a party may agree to run, as the CLI accepts them', () => {
    const ops = readFileSync('docs/OPERATIONS.md', 'utf8');
    const row = ops.split('\n').find((l) => l.startsWith('| `parties[].suites` |'))!;
    const listed = [...row.split('|')[3]!.matchAll(/`([a-z0-9]+)`/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(SUITES).sort());
  });
});
