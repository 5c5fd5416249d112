import { type SafeHtml, html } from '../util/html.js';

/**
 * Server-rendered SVG charts for the operator console: pure functions from numbers to escaped
 * markup, with no script and no inline style (the console's CSP has `script-src 'none'` and lets
 * through one hashed stylesheet, so every look comes from a class and from `CHART_CSS`).
 *
 * Each chart is a `<figure class="chart-figure">` holding an `<svg role="img">` named by its own
 * `<title>` and `<desc>` (aria-labelledby), and after it a `<table class="chart-data">` with the
 * same numbers: a screen reader skips the drawing and reads the table; a mouse user gets each
 * bar's exact value from its `<title>` tooltip (WCAG 1.1.1, 1.4.1: nothing is said by colour only,
 * every series is named in a legend and in the table).
 *
 * Class names, for whoever styles them (CHART_CSS styles them all):
 * - `chart-figure` the wrapper; `chart` the svg (width 100%, fixed viewBox);
 * - `chart-axis` axis lines, `chart-grid` grid lines, `chart-tick` y tick labels, `chart-label`
 *   x labels, `chart-empty` the "No data" text;
 * - `chart-bar` every bar, plus its series class: `bar-payin`, `bar-payout`, `bar-completed`,
 *   `bar-failed`, `bar-pending`;
 * - `chart-line` every line and `chart-point` every point, plus the series class: `line-payin`,
 *   `line-payout` (dashed), `line-total`;
 * - `chart-legend`, `chart-legend-swatch`, `chart-legend-text`;
 * - `chart-data` the table (visually hidden, read by screen readers), `chart-data-shown` on it
 *   when `showTable` asks for it on screen too.
 */

/** The drawing's own coordinates; the svg scales to its container's width. */
const VIEW_W = 640;
const VIEW_H = 260;
/** The plotting area inside the viewBox; its left edge makes room for the y tick labels. */
export interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
/** The svg cannot measure text: a 12-unit system font averages under 7 units a character. */
const CHAR_WIDTH_ESTIMATE = 7;
const PLOT_LEFT_MIN = 40;
const PLOT_LEFT_MAX = 200;

/** A plot whose left margin fits the longest tick label, so that labels like "800 000 XOF" stay inside. */
export function plotFor(tickLabels: string[]): Plot {
  const longest = Math.max(0, ...tickLabels.map((label) => label.length));
  const left = Math.min(PLOT_LEFT_MAX, Math.max(PLOT_LEFT_MIN, 14 + longest * CHAR_WIDTH_ESTIMATE));
  return { left, right: VIEW_W - 12, top: 34, bottom: VIEW_H - 30 };
}
/** More x labels than this and they overlap: every n-th is shown (the table has them all). */
export const X_LABELS_SHOWN_MAX = 12;
/** A bar this small still shows, so that its tooltip can be reached. */
const BAR_HEIGHT_MIN = 1;

export interface ChartSeries {
  name: string;
  /** Non-negative values, one per label; a missing or non-finite value draws nothing. */
  values: number[];
  /** The series' class: `bar-payin`, `bar-payout`, … (see above). */
  className: string;
}

export interface CommonChartOptions {
  title: string;
  description: string;
  labels: string[];
  /** The heading of the table's label column; "Label" when not given. */
  labelHeading?: string;
  /** A stable, page-unique base for the svg's element ids; derived from the title when not given. */
  id?: string;
  /** Show the data table on screen too, not only to screen readers. */
  showTable?: boolean;
}

export interface BarChartOptions extends CommonChartOptions {
  series: ChartSeries[];
  formatValue: (n: number) => string;
  /** Short form for the y axis (e.g. "1.2 M"); `formatValue` when not given. */
  formatTick?: (n: number) => string;
  /** Stack the series in one bar per label instead of side by side. */
  stacked?: boolean;
}

export interface RateSeries {
  name: string;
  /** Rates between 0 and 1, one per label; undefined where there is none (a gap in the line). */
  values: (number | undefined)[];
  className: string;
}

export interface RateChartOptions extends CommonChartOptions {
  series: RateSeries[];
  /** How a rate reads in tooltips and the table; "87.5 %" when not given. */
  formatValue?: (rate: number) => string;
}

/** Rounds a coordinate to 0.01 of a unit: enough for any screen, and a short, stable output. */
function r2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A value as a drawable number: finite and non-negative, or undefined. */
function drawable(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? Math.max(0, value) : undefined;
}

/**
 * 3 to 5 evenly spaced ticks from 0 to at least `maxValue`, on steps of 1, 2, 2.5 or 5 times a
 * power of ten. With `integer`, the steps are whole numbers (counts have no half payin). A zero or
 * invalid maximum gets the ticks of 1.
 */
export function niceTicks(maxValue: number, options: { integer?: boolean } = {}): number[] {
  const max = Number.isFinite(maxValue) && maxValue > 0 ? maxValue : 1;
  let magnitude = 10 ** Math.floor(Math.log10(max / 4));
  if (options.integer === true) magnitude = Math.max(1, magnitude);
  for (const multiple of [1, 2, 2.5, 5, 10]) {
    const step = multiple * magnitude;
    if (options.integer === true && !Number.isInteger(step)) continue;
    // The epsilon keeps 1.1 / 0.1 = 11.000000000000002 from asking for a twelfth step.
    const steps = Math.ceil(max / step - 1e-9);
    if (steps <= 4) {
      return Array.from({ length: Math.max(steps, 2) + 1 }, (_, i) => Number((i * step).toPrecision(12)));
    }
  }
  // Unreachable: ten times the magnitude exceeds a quarter of the maximum.
  return [0, max];
}

/** Which x labels to print: all of them when few, else every n-th from the first. */
export function shownLabelIndexes(count: number, shownMax = X_LABELS_SHOWN_MAX): number[] {
  const every = Math.max(1, Math.ceil(count / shownMax));
  return Array.from({ length: count }, (_, i) => i).filter((i) => i % every === 0);
}

/** 32-bit FNV-1a, for short ids that differ between charts. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/** An id made of [a-z0-9-] only, whatever the title holds. */
export function chartIdOf(
  options: Pick<CommonChartOptions, 'id' | 'title'> & { description: string },
): string {
  const base = options.id ?? options.title;
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `chart-${slug || 'x'}-${fnv1a(`${base}\u0000${options.description}`)}`;
}

interface Frame {
  id: string;
  title: string;
  description: string;
  body: SafeHtml;
}

function svgFrame(frame: Frame): SafeHtml {
  return html`<svg class="chart" viewBox="0 0 ${VIEW_W} ${VIEW_H}" role="img" aria-labelledby="${frame.id}-title ${frame.id}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${frame.id}-title">${frame.title}</title>
<desc id="${frame.id}-desc">${frame.description}</desc>
${frame.body}
</svg>`;
}

function yOf(plot: Plot, value: number, top: number): number {
  return r2(plot.bottom - (Math.min(value, top) / top) * (plot.bottom - plot.top));
}

/** Grid lines and y tick labels, plus both axes. */
function axes(plot: Plot, ticks: number[], tickLabels: string[]): SafeHtml {
  const top = ticks[ticks.length - 1] ?? 1;
  const lines = ticks.map((tick, i) => {
    const y = yOf(plot, tick, top);
    return html`<line class="chart-grid" x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}"/><text class="chart-tick" x="${plot.left - 6}" y="${r2(y + 4)}">${tickLabels[i] ?? ''}</text>
`;
  });
  return html`<g aria-hidden="true">
${lines}<line class="chart-axis" x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}"/><line class="chart-axis" x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}"/>
</g>`;
}

function bandWidth(plot: Plot, count: number): number {
  return (plot.right - plot.left) / Math.max(1, count);
}

function bandCentre(plot: Plot, index: number, count: number): number {
  return r2(plot.left + (index + 0.5) * bandWidth(plot, count));
}

function xLabels(plot: Plot, labels: string[]): SafeHtml {
  const texts = shownLabelIndexes(labels.length).map(
    (i) =>
      html`<text class="chart-label" x="${bandCentre(plot, i, labels.length)}" y="${plot.bottom + 18}">${labels[i] ?? ''}</text>`,
  );
  return html`<g aria-hidden="true">${texts}</g>`;
}

/** The series' names beside a swatch of their class, along the top; `line` draws a line swatch. */
function legend(plot: Plot, series: { name: string; className: string }[], kind: 'bar' | 'line'): SafeHtml {
  let x = plot.left;
  const items = series.map((s) => {
    const swatch =
      kind === 'bar'
        ? html`<rect class="chart-legend-swatch chart-bar ${s.className}" x="${x}" y="8" width="12" height="12"/>`
        : html`<line class="chart-legend-swatch chart-line ${s.className}" x1="${x}" y1="14" x2="${x + 18}" y2="14"/>`;
    const item = html`${swatch}<text class="chart-legend-text" x="${x + (kind === 'bar' ? 16 : 22)}" y="18">${s.name}</text>`;
    // An estimate of the text's width: the svg cannot measure text, and overlap only costs looks.
    x += 34 + s.name.length * CHAR_WIDTH_ESTIMATE;
    return item;
  });
  return html`<g class="chart-legend" aria-hidden="true">${items}</g>`;
}

function emptyBody(): SafeHtml {
  const plot = plotFor([]);
  return html`<line class="chart-axis" x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}"/><text class="chart-empty" x="${VIEW_W / 2}" y="${VIEW_H / 2}">No data</text>`;
}

interface TableColumn {
  heading: string;
  cell: (index: number) => string;
}

/** The chart's numbers as a table; its caption is the chart's title. */
function dataTable(options: CommonChartOptions, columns: TableColumn[]): SafeHtml {
  const className = options.showTable === true ? 'chart-data chart-data-shown' : 'chart-data';
  if (options.labels.length === 0 || columns.length === 0) {
    return html`<table class="${className}"><caption>${options.title}</caption><tbody><tr><td>No data</td></tr></tbody></table>`;
  }
  const rows = options.labels.map(
    (
      label,
      i,
    ) => html`<tr><th scope="row">${label}</th>${columns.map((column) => html`<td class="num">${column.cell(i)}</td>`)}</tr>
`,
  );
  return html`<table class="${className}"><caption>${options.title}</caption>
<thead><tr><th scope="col">${options.labelHeading ?? 'Label'}</th>${columns.map((column) => html`<th scope="col" class="num">${column.heading}</th>`)}</tr></thead>
<tbody>
${rows}</tbody></table>`;
}

/** A visible caption names the chart for everyone; the svg's own title names it for assistive technology. */
function figure(title: string, svg: SafeHtml, table: SafeHtml): SafeHtml {
  return html`<figure class="chart-figure">
<figcaption class="chart-caption" aria-hidden="true">${title}</figcaption>
${svg}
${table}
</figure>`;
}

// ---------------------------------------------------------------- Bars

/** The largest bar: the tallest stack, or the largest single value. */
function barMaximum(series: ChartSeries[], count: number, stacked: boolean): number {
  let max = 0;
  for (let i = 0; i < count; i++) {
    const values = series.map((s) => drawable(s.values[i]) ?? 0);
    max = Math.max(max, stacked ? values.reduce((a, b) => a + b, 0) : Math.max(0, ...values));
  }
  return max;
}

interface BarSpan {
  x: number;
  width: number;
  /** The values at the bar's foot and head (a stacked segment starts where the one below ends). */
  from: number;
  to: number;
}

function barRect(plot: Plot, top: number, className: string, span: BarSpan, tooltip: string): SafeHtml {
  const foot = yOf(plot, span.from, top);
  const height = Math.max(BAR_HEIGHT_MIN, r2(foot - yOf(plot, span.to, top)));
  return html`<rect class="chart-bar ${className}" x="${r2(span.x)}" y="${r2(foot - height)}" width="${r2(span.width)}" height="${height}"><title>${tooltip}</title></rect>`;
}

function bars(plot: Plot, options: BarChartOptions, top: number): SafeHtml[] {
  const count = options.labels.length;
  const band = bandWidth(plot, count);
  const out: SafeHtml[] = [];
  options.labels.forEach((label, i) => {
    const bandLeft = plot.left + i * band;
    let stackedSoFar = 0;
    options.series.forEach((s, k) => {
      const value = drawable(s.values[i]);
      // Zero draws nothing: there is nothing to point at, and the table says 0.
      if (value === undefined || value === 0) return;
      const tooltip = `${s.name}, ${label}: ${options.formatValue(s.values[i] ?? 0)}`;
      if (options.stacked === true) {
        out.push(
          barRect(
            plot,
            top,
            s.className,
            { x: bandLeft + band * 0.15, width: band * 0.7, from: stackedSoFar, to: stackedSoFar + value },
            tooltip,
          ),
        );
        stackedSoFar += value;
      } else {
        const slot = (band * 0.8) / options.series.length;
        out.push(
          barRect(
            plot,
            top,
            s.className,
            { x: bandLeft + band * 0.1 + k * slot, width: slot * 0.9, from: 0, to: value },
            tooltip,
          ),
        );
      }
    });
  });
  return out;
}

function barColumns(options: BarChartOptions): TableColumn[] {
  const format = (value: number | undefined) =>
    value === undefined || !Number.isFinite(value) ? '—' : options.formatValue(value);
  const columns: TableColumn[] = options.series.map((s) => ({
    heading: s.name,
    cell: (i) => format(s.values[i]),
  }));
  if (options.stacked === true && options.series.length > 1) {
    columns.push({
      heading: 'Total',
      cell: (i) => format(options.series.reduce((sum, s) => sum + (drawable(s.values[i]) ?? 0), 0)),
    });
  }
  return columns;
}

/** Bars per label, side by side or stacked, with a y axis of 3 to 5 round ticks. */
export function barChart(options: BarChartOptions): SafeHtml {
  const id = chartIdOf(options);
  const count = options.labels.length;
  const table = dataTable(options, barColumns(options));
  if (count === 0 || options.series.length === 0) {
    return figure(
      options.title,
      svgFrame({ id, title: options.title, description: options.description, body: emptyBody() }),
      table,
    );
  }
  const integer = options.series.every((s) =>
    s.values.every((v) => !Number.isFinite(v) || Number.isInteger(v)),
  );
  const ticks = niceTicks(barMaximum(options.series, count, options.stacked === true), { integer });
  const top = ticks[ticks.length - 1] ?? 1;
  const tickLabels = ticks.map(options.formatTick ?? options.formatValue);
  const plot = plotFor(tickLabels);
  const body = html`${axes(plot, ticks, tickLabels)}
${legend(plot, options.series, 'bar')}
<g class="chart-bars">${bars(plot, options, top)}</g>
${xLabels(plot, options.labels)}`;
  return figure(
    options.title,
    svgFrame({ id, title: options.title, description: options.description, body }),
    table,
  );
}

// ---------------------------------------------------------------- Rates

/** "87.5 %": one decimal, dropped when it is zero. */
export function formatPercent(rate: number): string {
  return `${Math.round(rate * 1000) / 10} %`;
}

const RATE_TICKS = [0, 0.25, 0.5, 0.75, 1];

/**
 * The path of one series: a run of defined values is one line; an undefined value lifts the pen,
 * so a day without final payins is a gap, not a fall to zero.
 */
export function ratePath(plot: Plot, values: (number | undefined)[], count: number): string {
  const parts: string[] = [];
  let penDown = false;
  values.slice(0, count).forEach((value, i) => {
    const rate = drawable(value);
    if (rate === undefined) {
      penDown = false;
      return;
    }
    parts.push(`${penDown ? 'L' : 'M'}${bandCentre(plot, i, count)} ${yOf(plot, rate, 1)}`);
    penDown = true;
  });
  return parts.join(' ');
}

function rateSeriesBody(
  plot: Plot,
  options: RateChartOptions,
  s: RateSeries,
  format: (rate: number) => string,
): SafeHtml {
  const count = options.labels.length;
  const path = ratePath(plot, s.values, count);
  // Every point is drawn, so a lone day between two gaps shows, and carries its tooltip.
  const points = options.labels.map((label, i) => {
    const rate = drawable(s.values[i]);
    if (rate === undefined) return '';
    return html`<circle class="chart-point ${s.className}" cx="${bandCentre(plot, i, count)}" cy="${yOf(plot, rate, 1)}" r="3.5"><title>${s.name}, ${label}: ${format(s.values[i] ?? 0)}</title></circle>`;
  });
  return html`<g>${path === '' ? '' : html`<path class="chart-line ${s.className}" d="${path}"/>`}${points}</g>
`;
}

/** Rates (0 to 100 %) per label as lines with points, with gaps where a rate is undefined. */
export function rateChart(options: RateChartOptions): SafeHtml {
  const id = chartIdOf(options);
  const format = options.formatValue ?? formatPercent;
  const columns = options.series.map((s) => ({
    heading: s.name,
    cell: (i: number) => (drawable(s.values[i]) === undefined ? '—' : format(s.values[i] ?? 0)),
  }));
  const table = dataTable(options, columns);
  if (options.labels.length === 0 || options.series.length === 0) {
    return figure(
      options.title,
      svgFrame({ id, title: options.title, description: options.description, body: emptyBody() }),
      table,
    );
  }
  const tickLabels = RATE_TICKS.map(formatPercent);
  const plot = plotFor(tickLabels);
  const body = html`${axes(plot, RATE_TICKS, tickLabels)}
${legend(plot, options.series, 'line')}
${options.series.map((s) => rateSeriesBody(plot, options, s, format))}${xLabels(plot, options.labels)}`;
  return figure(
    options.title,
    svgFrame({ id, title: options.title, description: options.description, body }),
    table,
  );
}

// ---------------------------------------------------------------- Style

/**
 * What the charts need from the console's one stylesheet. Series colours have at least 4.5:1
 * contrast against white (WCAG AA for text, more than the 3:1 of 1.4.11 for graphics): blue
 * #1d4ed8 6.7:1, amber #9a4d00 6.1:1, green #0a6b47 6.6:1, red #b3261e 6.5:1, grey #5f6b65 5.6:1.
 * Payout lines are dashed, so the two series differ by more than hue. Text is sized in the
 * viewBox's units and scales with the chart.
 */
export const CHART_CSS = `
.chart-figure{margin:0 0 1rem}
.chart-caption{font-weight:700;font-size:1rem;margin:0 0 .25rem}
.chart{display:block;width:100%;height:auto;max-height:24rem;overflow:visible}
.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;font-size:12px;fill:#3d4741}
.chart .chart-tick{text-anchor:end;font-variant-numeric:tabular-nums}
.chart .chart-label{text-anchor:middle}
.chart .chart-empty{text-anchor:middle;font-size:16px;fill:#56605a}
.chart-axis{stroke:#56605a;stroke-width:1}
.chart-grid{stroke:#e3e7e4;stroke-width:1}
.chart-bar{stroke:#fff;stroke-width:.5}
.bar-payin{fill:#1d4ed8}
.bar-payout{fill:#9a4d00}
.bar-completed{fill:#0a6b47}
.bar-failed{fill:#b3261e}
.bar-pending{fill:#5f6b65}
.chart-line{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}
.chart-line.line-payin{stroke:#1d4ed8}
.chart-line.line-payout{stroke:#9a4d00;stroke-dasharray:7 4}
.chart-line.line-total{stroke:#0a6b47}
.chart-point{stroke:#fff;stroke-width:1.5}
.chart-point.line-payin{fill:#1d4ed8}
.chart-point.line-payout{fill:#9a4d00}
.chart-point.line-total{fill:#0a6b47}
.chart-bar:hover,.chart-point:hover{stroke:#1b231f;stroke-width:2}
.chart-data:not(.chart-data-shown){position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.chart-data-shown{margin-top:.5rem}
`;
