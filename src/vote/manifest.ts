/**
 * An election manifest: the contests, their selections and limits, as
 * ElectionGuard 2.0 (§3.1.3) describes them, reduced to what the protocol
 * uses. A selection's option limit bounds the votes one ballot may give it
 * (1: yes or no); a contest's selection limit bounds the sum over its
 * selections (1: vote for one; k: vote for up to k).
 */
export interface Selection {
  readonly id: string;
  readonly name: string;
}

export interface Contest {
  readonly id: string;
  readonly name: string;
  readonly selectionLimit: number;
  readonly optionLimit: number;
  /** Absent for the ElectionGuard contests (vote for up to selectionLimit). */
  readonly kind?: 'cumulative';
  /** A cumulative contest's points per ballot (= selectionLimit). */
  readonly points?: number;
  readonly selections: readonly Selection[];
}

export interface Manifest {
  readonly electionScope: string;
  readonly name: string;
  readonly contests: readonly Contest[];
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function field(obj: Record<string, unknown>, name: string, where: string): unknown {
  if (!(name in obj)) throw new RangeError(`${where}: missing field '${name}'`);
  return obj[name];
}

function str(obj: Record<string, unknown>, name: string, where: string): string {
  const v = field(obj, name, where);
  if (typeof v !== 'string' || v.length === 0)
    throw new RangeError(`${where}.${name}: expected a non-empty string`);
  return v;
}

function id(obj: Record<string, unknown>, where: string): string {
  const v = str(obj, 'id', where);
  if (!ID.test(v))
    throw new RangeError(
      `${where}.id: '${v}' is not an identifier (letters, digits, . _ -; up to 64)`,
    );
  return v;
}

function limit(obj: Record<string, unknown>, name: string, where: string, dflt?: number): number {
  const v = name in obj ? obj[name] : dflt;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 1000)
    throw new RangeError(`${where}.${name}: expected an integer in 1..1000`);
  return v as number;
}

function record(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new RangeError(`${where}: expected an object`);
  return v as Record<string, unknown>;
}

/**
 * A validated manifest, with only the fields the protocol knows and in a fixed
 * order (so that its hash does not depend on how the file was written).
 * @throws {RangeError} naming the field (`manifest.contests[1].selections[0].id`).
 */
export function parseManifest(value: unknown, where = 'manifest'): Manifest {
  const m = record(value, where);
  const contestsRaw = field(m, 'contests', where);
  if (!Array.isArray(contestsRaw) || contestsRaw.length === 0)
    throw new RangeError(`${where}.contests: expected a non-empty array`);
  const contestIds = new Set<string>();
  const contests = contestsRaw.map((cv, ci): Contest => {
    const w = `${where}.contests[${ci}]`;
    const c = record(cv, w);
    const cid = id(c, w);
    if (contestIds.has(cid)) throw new RangeError(`${w}.id: '${cid}' is used by another contest`);
    contestIds.add(cid);
    const selsRaw = field(c, 'selections', w);
    if (!Array.isArray(selsRaw) || selsRaw.length === 0)
      throw new RangeError(`${w}.selections: expected a non-empty array`);
    const selIds = new Set<string>();
    const selections = selsRaw.map((sv, si): Selection => {
      const ws = `${w}.selections[${si}]`;
      const s = record(sv, ws);
      const sid = id(s, ws);
      if (selIds.has(sid)) throw new RangeError(`${ws}.id: '${sid}' is used by another selection`);
      selIds.add(sid);
      return { id: sid, name: typeof s.name === 'string' ? s.name : sid };
    });
    if (c.kind !== undefined && c.kind !== 'cumulative')
      throw new RangeError(`${w}.kind: expected "cumulative" or no kind`);
    if (c.kind === 'cumulative') {
      const points = limit(c, 'points', w);
      if ('selectionLimit' in c && c.selectionLimit !== points)
        throw new RangeError(
          `${w}.selectionLimit: a cumulative contest's is its points (${points})`,
        );
      const optionLimit = limit(c, 'optionLimit', w, points);
      if (optionLimit > points)
        throw new RangeError(`${w}.optionLimit: ${optionLimit} exceeds the points ${points}`);
      if (optionLimit * selections.length < points)
        throw new RangeError(
          `${w}.optionLimit: ${selections.length} selections of at most ${optionLimit} cannot total ${points} points`,
        );
      return {
        id: cid,
        name: typeof c.name === 'string' ? c.name : cid,
        kind: 'cumulative',
        points,
        selectionLimit: points,
        optionLimit,
        selections,
      };
    }
    const selectionLimit = limit(c, 'selectionLimit', w);
    const optionLimit = limit(c, 'optionLimit', w, 1);
    if (optionLimit > selectionLimit)
      throw new RangeError(
        `${w}.optionLimit: ${optionLimit} exceeds the selectionLimit ${selectionLimit}`,
      );
    return {
      id: cid,
      name: typeof c.name === 'string' ? c.name : cid,
      selectionLimit,
      optionLimit,
      selections,
    };
  });
  return { electionScope: str(m, 'electionScope', where), name: str(m, 'name', where), contests };
}

/** The canonical JSON of a parsed manifest (what its hash covers). */
export function canonicalManifest(m: Manifest): string {
  return JSON.stringify(parseManifest(m));
}
