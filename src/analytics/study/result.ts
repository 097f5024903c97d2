/**
 * What a study run produces: plain JSON-friendly records of every released
 * value, with suppressed values as null, for the report and the JSON file.
 * Everything here is public (it has been revealed to every party).
 */

/** One released number. */
export interface ResultRow {
  /** What it is: 'n', 'mean', 'rate', 't', 'p-value', 'coefficient', ... */
  readonly statistic: string;
  /** The group, level, cell or term it belongs to, e.g. 'arm = B' or 'age'. */
  readonly group?: string;
  /** The value; null when suppressed (or undefined, e.g. a ratio over a suppressed count). */
  readonly value: number | null;
  readonly suppressed: boolean;
  /** How far from the exact answer the secure computation may be, e.g. 'exact', '<= 2^-16', 'DP noise, scale 2'. */
  readonly precision?: string;
}

/** One survival curve: S(t) at the reported times, null where suppressed. */
export interface SurvivalCurve {
  readonly group: string;
  readonly times: readonly number[];
  readonly survival: readonly (number | null)[];
  /** Records at risk at each time (R's n.risk: time >= t), when released. */
  readonly atRisk?: readonly (number | null)[];
  /** Events since the previous reported time, (t_prev, t] (R's n.event with `times`); null below k. */
  readonly events?: readonly (number | null)[];
  /** Standard error of S(t) by Greenwood's formula (R's std.err); null where S is suppressed. */
  readonly stdErr?: readonly (number | null)[];
  /** Pointwise confidence band at `confLevel`, R's conf.type = "log"; null where S is 0 or suppressed. */
  readonly lower?: readonly (number | null)[];
  readonly upper?: readonly (number | null)[];
  readonly confLevel?: number;
}

export interface AnalysisOutcome {
  readonly id: string;
  readonly type: string;
  readonly title: string;
  readonly rows: readonly ResultRow[];
  readonly curves?: readonly SurvivalCurve[];
  /** Remarks for readers: conditions used, precision, suppression, noise. */
  readonly notes: readonly string[];
  /** The privacy spent by this analysis, when it uses differential privacy. */
  readonly dp?: { readonly epsilon: number; readonly delta: number };
  /** Costs at this party: wall time, rounds and bytes sent. */
  readonly seconds: number;
  readonly rounds: number;
  readonly bytesSent: number;
}

export interface StudyOutcome {
  readonly study: string;
  readonly description: string;
  readonly suite: string;
  readonly parties: readonly {
    readonly id: string;
    readonly name: string;
    readonly rows: number;
  }[];
  readonly minCellSize: number;
  readonly budget?: {
    readonly epsilon: number;
    readonly delta: number;
    readonly spentEpsilon: number;
    readonly spentDelta: number;
  };
  readonly analyses: readonly AnalysisOutcome[];
  /** Wall time of the whole run at this party (loading excluded). */
  readonly seconds: number;
  /**
   * Rounds on the whole study's critical path at this party: those before
   * the analyses (study digest, row counts, a join) plus, when the analyses
   * run concurrently, the longest analysis's rounds, else the sum of theirs.
   * With a delay d between parties the study takes about rounds x d.
   */
  readonly rounds: number;
  readonly bytesSent: number;
}
