/**
 * Results of a released run (analysts and owners): for each analysis its
 * table of released values (suppressed cells shown as suppressed) and the
 * plot made for its statistic: Kaplan-Meier curves, bar charts, crosstab
 * heatmaps, regression coefficients with intervals, and the study's p-values.
 * Downloads as CSV and JSON are made in the browser (Blob URLs).
 */
import { useEffect, useMemo } from 'preact/hooks';
import type { AnalysisOutcome } from '../../../src/analytics/study/result.js';
import type { Proposal, Result, Run } from '../api.js';
import { barPlot, Chart, heatmapPlot, intervalPlot, pValuePlot, survivalPlot } from '../charts.js';
import type { Estimate } from '../model.js';
import {
  bars,
  correlationEstimate,
  crosstabCells,
  percent,
  pValues,
  regressionTerms,
  survivalPoints,
  toCsv,
  tTestParts,
} from '../model.js';
import type { Session } from '../pages.js';
import { formatNumber, privacy, Show, Time, useApi } from '../ui.js';

export function ResultList({ s }: { s: Session }) {
  const runs = useApi<Run[]>('/v1/runs');
  const proposals = useApi<Proposal[]>('/v1/proposals');
  return (
    <>
      <h1>Results</h1>
      <p>What each run at {s.node.name} released, after suppression and noise.</p>
      <Show load={runs} what="runs">
        {(rs) => {
          const released = rs.filter((r) => r.state === 'released');
          if (released.length === 0) return <p>No run has released results yet.</p>;
          return (
            <ul class="list">
              {released.map((r) => (
                <li key={r.id}>
                  <a href={`#/results/${encodeURIComponent(r.id)}`}>
                    {proposals.data?.find((p) => p.id === r.proposal_id)?.study_name ?? 'Study'} (
                    {r.id})
                  </a>
                  , released <Time at={r.finished_at} />
                </li>
              ))}
            </ul>
          );
        }}
      </Show>
    </>
  );
}

/** A Blob URL for a download, revoked when the page goes. */
function useBlobUrl(content: string | undefined, type: string): string | undefined {
  const url = useMemo(
    () => (content === undefined ? undefined : URL.createObjectURL(new Blob([content], { type }))),
    [content, type],
  );
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);
  return url;
}

function Valued({ a, k }: { a: AnalysisOutcome; k: number }) {
  return (
    <table class="numbers" data-analysis={a.id}>
      <caption>Released values of “{a.title}”</caption>
      <thead>
        <tr>
          <th scope="col">Statistic</th>
          <th scope="col">Group</th>
          <th scope="col">Value</th>
          <th scope="col">Precision</th>
        </tr>
      </thead>
      <tbody>
        {a.rows.map((r, i) => (
          <tr key={i} class={r.suppressed ? 'suppressed' : undefined}>
            <th scope="row">{r.statistic}</th>
            <td>{r.group ?? ''}</td>
            <td class="num" data-value>
              {r.suppressed ? `suppressed (< ${k})` : formatNumber(r.value)}
            </td>
            <td>{r.precision ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The numbers of the Kaplan-Meier curves, point by point: the text alternative of the bands. */
function CurveTable({ a, k }: { a: AnalysisOutcome; k: number }) {
  const curves = a.curves ?? [];
  const level = curves.find((c) => c.confLevel !== undefined)?.confLevel;
  const withheld = `suppressed (< ${k})`;
  const num = (v: number | null | undefined) =>
    v === undefined ? '' : v === null ? withheld : formatNumber(v);
  return (
    <details class="curve-numbers">
      <summary>The curves point by point (at risk, events, standard error, band)</summary>
      <table class="numbers" data-curves={a.id}>
        <caption>
          Kaplan-Meier curves of “{a.title}”
          {level !== undefined ? ` with ${percent(level)} confidence bands (log)` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Time</th>
            <th scope="col">S(t)</th>
            <th scope="col">Lower</th>
            <th scope="col">Upper</th>
            <th scope="col">At risk</th>
            <th scope="col">Events</th>
            <th scope="col">Standard error</th>
          </tr>
        </thead>
        <tbody>
          {curves.flatMap((c) =>
            c.times.map((t, i) => (
              <tr key={`${c.group} ${t}`}>
                <th scope="row">{c.group}</th>
                <td class="num">{t}</td>
                <td class="num">{num(c.survival[i])}</td>
                <td class="num">{num(c.lower?.[i])}</td>
                <td class="num">{num(c.upper?.[i])}</td>
                <td class="num">{num(c.atRisk?.[i])}</td>
                <td class="num">{num(c.events?.[i])}</td>
                <td class="num">{num(c.stdErr?.[i])}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </details>
  );
}

/** The numbers an interval chart draws: the text alternative beside it. */
function IntervalTable({
  a,
  estimates,
  what,
  level,
}: {
  a: AnalysisOutcome;
  estimates: Estimate[];
  what: string;
  level: string;
}) {
  return (
    <table class="numbers" data-intervals={a.id}>
      <caption>
        {what} of “{a.title}” with {level} intervals
      </caption>
      <thead>
        <tr>
          <th scope="col">Term</th>
          <th scope="col">Estimate</th>
          <th scope="col">Lower</th>
          <th scope="col">Upper</th>
        </tr>
      </thead>
      <tbody>
        {estimates.map((e) => (
          <tr key={e.label}>
            <th scope="row">{e.label}</th>
            <td class="num">{e.value === null ? 'suppressed' : formatNumber(e.value)}</td>
            <td class="num">{e.lower === null ? '' : formatNumber(e.lower)}</td>
            <td class="num">{e.upper === null ? '' : formatNumber(e.upper)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Figures({ a, k }: { a: AnalysisOutcome; k: number }) {
  const out = [];
  if (a.curves && a.curves.length > 0) {
    const sp = survivalPoints(a);
    const band = sp.confLevel !== null ? `${percent(sp.confLevel)} confidence` : 'confidence';
    out.push(
      <Chart
        key="km"
        kind="kaplan-meier"
        data={a}
        draw={() => survivalPlot(a.title, sp.groups, sp.points, sp.bands, sp.confLevel)}
        caption={`Kaplan-Meier survival per group (${sp.groups.join(', ')})${sp.bands ? `; the shaded areas are pointwise ${band} bands (R's log band)` : ''}; a curve ends where fewer than ${k} records were still at risk.`}
      />,
      <CurveTable key="km-numbers" a={a} k={k} />,
    );
  }
  const b = bars(a);
  if (b)
    out.push(
      <Chart
        key="bars"
        kind="bars"
        data={a}
        draw={() => barPlot(a.title, b.statistic, b.bars, k)}
        caption={`${b.statistic} per group${b.bars.some((x) => x.lower !== null) ? ', with intervals' : ''}.`}
      />,
    );
  const ct = crosstabCells(a);
  if (ct)
    out.push(
      <Chart
        key="heat"
        kind="heatmap"
        data={a}
        draw={() => heatmapPlot(a.title, ct.rows, ct.cols, ct.cells, k)}
        caption="Counts per cell; darker is fewer. Suppressed cells are grey."
      />,
    );
  const tt = tTestParts(a);
  if (tt) {
    const level = tt.level ?? 'confidence';
    const two = tt.means.length === 2;
    if (two && tt.means.some((m) => m.value !== null))
      out.push(
        <Chart
          key="means"
          kind="means"
          data={a}
          draw={() => barPlot(a.title, 'mean', tt.means, k)}
          caption="The mean of each group, as released; the interval of their difference follows."
        />,
      );
    if (tt.estimate.value !== null)
      out.push(
        <Chart
          key="t-interval"
          kind="t-interval"
          data={a}
          draw={() =>
            intervalPlot(
              a.title,
              [tt.estimate],
              `${two ? 'difference of means' : 'mean'} (${level} interval)`,
            )
          }
          caption={`${two ? `The difference of the means (${tt.estimate.label})` : `The ${a.rows.some((r) => r.statistic === 'mean difference') ? 'mean difference' : 'mean'}`} with the released ${level} confidence interval (estimate ± t quantile × standard error, as R's t.test); the dashed line is 0.`}
        />,
        <IntervalTable
          key="t-numbers"
          a={a}
          estimates={[tt.estimate]}
          what={two ? 'Difference of means' : 'Mean'}
          level={level}
        />,
      );
  }
  const cor = correlationEstimate(a);
  if (cor && cor.estimate.value !== null) {
    const level = cor.level ?? 'confidence';
    out.push(
      <Chart
        key="r"
        kind="correlation"
        data={a}
        draw={() => intervalPlot(a.title, [cor.estimate], `r (${level} interval)`, [-1, 1])}
        caption={`Pearson's r with the released ${level} confidence interval (Fisher's z, as R's cor.test), on the whole range -1 to 1; the dashed line is 0.`}
      />,
      <IntervalTable
        key="r-numbers"
        a={a}
        estimates={[cor.estimate]}
        what="Correlation"
        level={level}
      />,
    );
  }
  const reg = regressionTerms(a);
  if (reg && reg.terms.length > 0) {
    const estimates = reg.terms.map((t) => ({
      label: t.term,
      value: t.coefficient,
      lower: t.lower,
      upper: t.upper,
    }));
    const how =
      reg.df !== null
        ? `coefficient ± t(0.975, ${formatNumber(reg.df)} residual df) × standard error (${formatNumber(reg.quantile)} × se, as R's confint)`
        : `coefficient ± 1.96 × standard error (Wald, as R's confint.default)`;
    out.push(
      <Chart
        key="coef"
        kind="coefficients"
        data={a}
        draw={() =>
          intervalPlot(
            a.title,
            estimates,
            `coefficient${a.type === 'logistic-regression' ? ' (log-odds)' : ''} (95% interval)`,
          )
        }
        caption={`Coefficients${a.type === 'logistic-regression' ? ' (log-odds)' : ''} with 95% intervals: ${how}; the dashed line is 0.`}
      />,
      <IntervalTable
        key="coef-numbers"
        a={a}
        estimates={estimates}
        what="Coefficients"
        level="95%"
      />,
    );
  }
  return <>{out}</>;
}

function Analysis({ a, i, k }: { a: AnalysisOutcome; i: number; k: number }) {
  return (
    <section class="card" aria-labelledby={`a-${a.id}`} data-analysis-section={a.id}>
      <h2 id={`a-${a.id}`}>
        {i + 1}. {a.title}
      </h2>
      <p class="muted">
        {a.type}
        {a.dp
          ? ` · differential privacy: epsilon ${privacy(a.dp.epsilon)}, delta ${privacy(a.dp.delta)}`
          : ''}
      </p>
      <Figures a={a} k={k} />
      <Valued a={a} k={k} />
      {a.notes.length > 0 && (
        <ul class="notes">
          {a.notes.map((n, j) => (
            <li key={j}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Results({ s, id }: { s: Session; id: string }) {
  const result = useApi<Result>(`/v1/results/${encodeURIComponent(id)}`);
  const csv = useMemo(() => (result.data ? toCsv(result.data.outcome) : undefined), [result.data]);
  const json = useMemo(
    () => (result.data ? JSON.stringify(result.data, null, 2) + '\n' : undefined),
    [result.data],
  );
  const csvUrl = useBlobUrl(csv, 'text/csv;charset=utf-8');
  const jsonUrl = useBlobUrl(json, 'application/json');
  return (
    <Show load={result} what="the results">
      {(r) => {
        const o = r.outcome;
        const ps = pValues(o);
        return (
          <>
            <h1>Results: {o.study}</h1>
            {o.description && <p>{o.description}</p>}
            <dl class="facts">
              <dt>Run</dt>
              <dd>
                <a href={`#/runs/${encodeURIComponent(r.run)}`}>{r.run}</a>
              </dd>
              <dt>Proposal</dt>
              <dd>
                <a href={`#/proposals/${encodeURIComponent(r.proposal_id)}`}>{r.proposal_id}</a>
              </dd>
              <dt>Released</dt>
              <dd>
                <Time at={r.released_at} /> at {s.node.name}
              </dd>
              <dt>Privacy spent</dt>
              <dd>
                epsilon {privacy(r.epsilon)}, delta {privacy(r.delta)}
              </dd>
              <dt>Parties</dt>
              <dd>
                {o.parties.map((p) => `${p.name} (${p.rows.toLocaleString()} records)`).join(', ')}
              </dd>
              <dt>Suite, minimum cell size</dt>
              <dd>
                {o.suite}, k = {o.minCellSize}
              </dd>
            </dl>
            <p class="downloads">
              {csvUrl && (
                <a href={csvUrl} download={`${r.run}.csv`} data-download="csv">
                  Download CSV
                </a>
              )}{' '}
              {jsonUrl && (
                <a href={jsonUrl} download={`${r.run}.json`} data-download="json">
                  Download JSON
                </a>
              )}
            </p>
            {ps.length > 0 && (
              <section class="card" aria-labelledby="p-values">
                <h2 id="p-values">p-values</h2>
                <Chart
                  kind="p-values"
                  data={o}
                  draw={() => pValuePlot(ps)}
                  caption="Every p-value the study released, on a log scale; the dashed line is 0.05."
                />
              </section>
            )}
            {o.analyses.map((a, i) => (
              <Analysis key={a.id} a={a} i={i} k={o.minCellSize} />
            ))}
          </>
        );
      }}
    </Show>
  );
}
