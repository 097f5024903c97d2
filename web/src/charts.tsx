/**
 * The plots of the Results and Overview pages, drawn by Observable Plot with
 * the Okabe-Ito palette (colour-blind safe), with symbols or text beside
 * colour wherever colour tells groups apart, and a caption for each figure.
 */
import * as Plot from '@observablehq/plot';
import { useEffect, useRef } from 'preact/hooks';
import type { Budget } from './api.js';
import type { Bar, Cell, Estimate, PValue, SurvivalPoint } from './model.js';
import { PALETTE, percent } from './model.js';
import { formatNumber } from './ui.js';

const WIDTH = 640;
/** Plot's own text is 10px; a little larger reads better beside the page's text. */
const STYLE = { fontSize: '12px', color: '#1b1b1b', background: '#fff', overflow: 'visible' };

/** A figure holding one Plot chart, drawn again when `data` changes (by identity). */
export function Chart({
  draw,
  data,
  caption,
  kind,
}: {
  draw: () => Element;
  data: unknown;
  caption: string;
  kind: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = draw();
    // Plot names each mark's <g> (aria-label "line", "x-axis tick", ...); a name needs a role
    // that takes one, so those groups are made ARIA groups.
    for (const g of el.querySelectorAll('g[aria-label]'))
      if (!g.hasAttribute('role')) g.setAttribute('role', 'group');
    holder.current?.replaceChildren(el);
    return () => el.remove();
  }, [data]);
  return (
    <figure class="chart" data-chart={kind}>
      <div ref={holder} class="plot" />
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

/**
 * Kaplan-Meier step curves, one line per group, each with its confidence band
 * as a shaded step area (one area per group, in the group's colour) when the
 * curves carry bands.
 */
export function survivalPlot(
  title: string,
  groups: string[],
  points: SurvivalPoint[],
  bands: boolean,
  confLevel: number | null,
): Element {
  const withBand = points.filter((p) => p.lower !== null && p.upper !== null);
  const band = confLevel !== null ? `${percent(confLevel)} confidence band` : 'confidence band';
  return Plot.plot({
    style: STYLE,
    width: WIDTH,
    height: 360,
    marginRight: 20,
    ariaLabel: `${title}: Kaplan-Meier survival curves`,
    ariaDescription: `One step curve per group (${groups.join(', ')})${bands ? `, each in a shaded ${band}` : ''}; survival from 0 to 1 against time.`,
    x: { label: 'time →', grid: true, nice: true },
    y: {
      label: bands ? `↑ survival S(t), shaded: ${band}` : '↑ survival S(t)',
      domain: [0, 1],
      grid: true,
    },
    color: { domain: groups, range: [...PALETTE], legend: true },
    symbol: { domain: groups, legend: false },
    marks: [
      bands
        ? Plot.areaY(withBand, {
            x: 'time',
            y1: 'lower',
            y2: 'upper',
            z: 'group',
            fill: 'group',
            fillOpacity: 0.18,
            curve: 'step-after',
          })
        : null,
      Plot.ruleY([0]),
      Plot.lineY(points, {
        x: 'time',
        y: 'survival',
        stroke: 'group',
        strokeWidth: 2,
        curve: 'step-after',
      }),
      Plot.dot(
        points.filter((p) => p.time > 0),
        {
          x: 'time',
          y: 'survival',
          stroke: 'group',
          symbol: 'group',
          r: 3.5,
          title: (p: SurvivalPoint) =>
            `${p.group}, t = ${p.time}: S(t) = ${formatNumber(p.survival)}` +
            (p.lower !== null && p.upper !== null
              ? ` (${formatNumber(p.lower)} to ${formatNumber(p.upper)})`
              : '') +
            (p.atRisk !== null ? `, ${p.atRisk} at risk` : ''),
        },
      ),
    ],
  });
}

/** One bar per group, suppressed groups marked as such, intervals when the rows carry them. */
export function barPlot(title: string, statistic: string, data: Bar[], k: number): Element {
  const shown = data.filter((b) => b.value !== null);
  const withInterval = shown.filter((b) => b.lower !== null && b.upper !== null);
  return Plot.plot({
    style: STYLE,
    width: WIDTH,
    height: 300,
    marginLeft: 60,
    ariaLabel: `${title}: bar chart of ${statistic} per group`,
    x: { label: null, domain: data.map((b) => b.group), padding: 0.3 },
    y: { label: `↑ ${statistic}`, grid: true, nice: true },
    marks: [
      Plot.barY(shown, {
        x: 'group',
        y: 'value',
        fill: PALETTE[0],
        title: (b: Bar) => `${b.group}: ${formatNumber(b.value)}`,
      }),
      withInterval.length > 0
        ? Plot.ruleX(withInterval, {
            x: 'group',
            y1: 'lower',
            y2: 'upper',
            stroke: '#000',
            strokeWidth: 2,
          })
        : null,
      Plot.text(shown, {
        x: 'group',
        y: 'value',
        text: (b: Bar) => formatNumber(b.value),
        dy: -8,
        fill: 'currentColor',
      }),
      Plot.text(
        data.filter((b) => b.value === null),
        {
          x: 'group',
          y: 0,
          text: (b: Bar) => (b.suppressed ? `suppressed (< ${k})` : 'not defined'),
          dy: -10,
          fill: 'currentColor',
        },
      ),
      Plot.ruleY([0]),
    ],
  });
}

/** A crosstab as a heatmap, counts written in each cell, suppressed cells hatched grey and named. */
export function heatmapPlot(
  title: string,
  rows: string[],
  cols: string[],
  cells: Cell[],
  k: number,
): Element {
  const shown = cells.filter((c) => c.value !== null && !c.suppressed);
  const max = Math.max(1, ...shown.map((c) => c.value!));
  return Plot.plot({
    style: STYLE,
    width: Math.min(WIDTH, 160 + 140 * cols.length),
    height: 80 + 56 * rows.length,
    marginLeft: 140,
    marginBottom: 48,
    ariaLabel: `${title}: heatmap of counts`,
    x: { label: null, domain: cols, axis: 'bottom', tickRotate: 0 },
    y: { label: null, domain: rows },
    color: { type: 'linear', scheme: 'cividis', domain: [0, max], legend: true, label: 'count' },
    marks: [
      Plot.cell(cells, {
        x: 'col',
        y: 'row',
        fill: (c: Cell) => (c.value === null || c.suppressed ? null : c.value),
        inset: 1,
      }),
      Plot.cell(
        cells.filter((c) => c.value === null || c.suppressed),
        { x: 'col', y: 'row', fill: '#d9d9d9', inset: 1 },
      ),
      Plot.text(cells, {
        x: 'col',
        y: 'row',
        text: (c: Cell) =>
          c.suppressed || c.value === null ? `suppressed (< ${k})` : formatNumber(c.value),
        // Dark text on the light end of cividis (and on grey), light text on its dark end.
        fill: (c: Cell) =>
          c.suppressed || c.value === null || c.value > max * 0.55 ? '#000' : '#fff',
        fontSize: 13,
      }),
    ],
  });
}

/**
 * Estimates with their intervals, one line per estimate (a dot and a rule
 * from lower to upper, the numbers written beside), a dashed line at the
 * reference value (0: no difference, no association, no effect).
 */
export function intervalPlot(
  title: string,
  estimates: Estimate[],
  axis: string,
  domain?: [number, number],
): Element {
  const shown = estimates.filter((e) => e.value !== null);
  const withInterval = shown.filter((e) => e.lower !== null && e.upper !== null);
  return Plot.plot({
    style: STYLE,
    width: WIDTH,
    height: 80 + 52 * Math.max(1, estimates.length),
    marginLeft: 140,
    marginRight: 30,
    marginBottom: 44,
    ariaLabel: `${title}: ${axis}`,
    x: { label: `${axis} →`, grid: true, nice: true, ...(domain ? { domain } : {}) },
    y: { label: null, domain: estimates.map((e) => e.label) },
    marks: [
      Plot.ruleX([0], { stroke: '#767676', strokeDasharray: '4,3' }),
      Plot.link(withInterval, {
        x1: 'lower',
        x2: 'upper',
        y1: 'label',
        y2: 'label',
        stroke: PALETTE[0],
        strokeWidth: 2,
        // Short bars across both ends mark where the interval stops.
        marker: 'tick',
      }),
      Plot.dot(shown, {
        x: 'value',
        y: 'label',
        fill: PALETTE[1],
        symbol: 'diamond',
        r: 5,
        title: (e: Estimate) =>
          `${e.label}: ${formatNumber(e.value)}${e.lower !== null ? ` (${formatNumber(e.lower)} to ${formatNumber(e.upper)})` : ''}`,
      }),
      Plot.text(shown, {
        x: 'value',
        y: 'label',
        text: (e: Estimate) =>
          e.lower !== null && e.upper !== null
            ? `${formatNumber(e.value)} [${formatNumber(e.lower)}, ${formatNumber(e.upper)}]`
            : formatNumber(e.value),
        dy: -16,
        fill: 'currentColor',
        // A white halo keeps the numbers legible over the interval's ends and the zero line.
        stroke: '#fff',
        strokeWidth: 4,
      }),
    ],
  });
}

/** p-values below this are drawn at it (the label gives the exact value). */
const P_FLOOR = 1e-16;

/** Every p-value of the study on a log scale, with the 0.05 line; long labels wrap. */
export function pValuePlot(ps: PValue[]): Element {
  const min = Math.min(1e-4, ...ps.map((p) => Math.max(p.p, P_FLOOR)));
  return Plot.plot({
    style: STYLE,
    width: WIDTH + 120,
    height: 70 + 48 * ps.length,
    marginLeft: 300,
    marginRight: 30,
    ariaLabel: 'p-values of the study’s tests and model terms, on a log scale',
    x: {
      type: 'log',
      domain: [min, 1],
      label: 'p-value (log scale) →',
      grid: true,
      tickFormat: '~g',
    },
    y: { label: null, domain: ps.map((p) => p.test), axis: null },
    marks: [
      Plot.axisY({ lineWidth: 22, label: null }),
      Plot.ruleX([0.05], { stroke: PALETTE[1], strokeDasharray: '4,3' }),
      Plot.text([0.05], { x: (d: number) => d, frameAnchor: 'top', text: () => '0.05', dy: -2 }),
      Plot.dot(ps, {
        x: (p: PValue) => Math.max(p.p, P_FLOOR),
        y: 'test',
        fill: PALETTE[0],
        r: 5,
        title: (p: PValue) => `${p.test}: p = ${formatNumber(p.p)}`,
      }),
      Plot.text(ps, {
        x: (p: PValue) => Math.max(p.p, P_FLOOR),
        y: 'test',
        text: (p: PValue) => (p.p < P_FLOOR ? `p = ${formatNumber(p.p)}` : formatNumber(p.p)),
        dy: -12,
        fill: 'currentColor',
        textAnchor: 'start',
      }),
    ],
  });
}

/** A dataset's epsilon budget as one stacked bar: spent, reserved, remaining. */
export function budgetPlot(name: string, b: Budget): Element {
  const parts = [
    { part: 'spent', epsilon: b.epsilon_spent },
    { part: 'reserved', epsilon: b.epsilon_reserved },
    { part: 'remaining', epsilon: b.epsilon_left },
  ];
  return Plot.plot({
    style: STYLE,
    width: 480,
    height: 90,
    marginLeft: 10,
    ariaLabel: `Privacy budget of ${name}: epsilon spent ${b.epsilon_spent}, reserved ${b.epsilon_reserved}, remaining ${b.epsilon_left} of ${b.epsilon_total}`,
    x: { label: 'epsilon →', domain: [0, Math.max(b.epsilon_total, 1e-9)] },
    color: {
      domain: ['spent', 'reserved', 'remaining'],
      range: [PALETTE[1], PALETTE[4], '#d9d9d9'],
      legend: true,
    },
    marks: [
      Plot.barX(parts, Plot.stackX({ x: 'epsilon', fill: 'part', title: 'part' })),
      Plot.ruleX([0]),
    ],
  });
}
