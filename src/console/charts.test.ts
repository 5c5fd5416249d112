import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHART_CSS,
  type BarChartOptions,
  barChart,
  chartIdOf,
  formatPercent,
  niceTicks,
  plotFor,
  rateChart,
  ratePath,
  shownLabelIndexes,
} from './charts.js';

const HOSTILE = `"><script>alert(1)</script><img src=x onerror="alert('x')">&`;

function bars(overrides: Partial<BarChartOptions> = {}): string {
  return barChart({
    title: 'Payins per day',
    description: 'Payins and payouts created each day.',
    labels: ['11-21', '11-22'],
    series: [
      { name: 'Payins', values: [3, 7], className: 'bar-payin' },
      { name: 'Payouts', values: [0, 2], className: 'bar-payout' },
    ],
    formatValue: (n) => `${n} ops`,
    ...overrides,
  }).value;
}

/** The `<rect>` bars of a chart (legend swatches left out), with their attributes. */
function rectsOf(markup: string): { cls: string; y: number; height: number; title: string }[] {
  const found = [
    ...markup.matchAll(
      /<rect class="chart-bar ([^"]*)" x="[^"]*" y="([^"]*)" width="[^"]*" height="([^"]*)"><title>([^<]*)<\/title>/g,
    ),
  ];
  return found.map((m) => ({ cls: m[1] ?? '', y: Number(m[2]), height: Number(m[3]), title: m[4] ?? '' }));
}

function count(markup: string, needle: string): number {
  return markup.split(needle).length - 1;
}

describe('niceTicks', () => {
  it.each([
    [10, false, [0, 2.5, 5, 7.5, 10]],
    [10, true, [0, 5, 10]],
    [7, true, [0, 2, 4, 6, 8]],
    [800_000, true, [0, 200_000, 400_000, 600_000, 800_000]],
    [0.3, false, [0, 0.1, 0.2, 0.3]],
    [1.1, false, [0, 0.5, 1, 1.5]],
    [1, true, [0, 1, 2]],
    [3, true, [0, 1, 2, 3]],
  ])('max %s (integer %s) gives %j', (max, integer, ticks) => {
    expect(niceTicks(max, { integer })).toEqual(ticks);
  });

  it('gives the ticks of 1 for zero, negative or invalid maxima', () => {
    for (const max of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(niceTicks(max, { integer: true })).toEqual([0, 1, 2]);
      expect(niceTicks(max)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    }
  });

  it('always has 3 to 5 evenly spaced ticks from 0 that cover the maximum', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), fc.boolean(), (max, integer) => {
        const ticks = niceTicks(max, { integer });
        const step = (ticks[1] ?? 0) - (ticks[0] ?? 0);
        expect(ticks.length).toBeGreaterThanOrEqual(3);
        expect(ticks.length).toBeLessThanOrEqual(5);
        expect(ticks[0]).toBe(0);
        expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max * (1 - 1e-9));
        ticks.forEach((tick, i) => expect(tick).toBeCloseTo(i * step, 9));
        if (integer) expect(ticks.every(Number.isInteger)).toBe(true);
      }),
    );
  });
});

describe('shownLabelIndexes', () => {
  it('shows every label up to the maximum, then every n-th', () => {
    expect(shownLabelIndexes(12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(shownLabelIndexes(30)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(shownLabelIndexes(90).length).toBeLessThanOrEqual(12);
    expect(shownLabelIndexes(0)).toEqual([]);
  });
});

describe('barChart', () => {
  it('is an svg named by its own title and description, followed by the data table', () => {
    const markup = bars();
    const id = /<title id="([^"]+)-title">/.exec(markup)?.[1];
    expect(id).toMatch(/^chart-[a-z0-9-]+$/);
    expect(markup).toContain(`role="img" aria-labelledby="${id}-title ${id}-desc"`);
    expect(markup).toContain(`<desc id="${id}-desc">Payins and payouts created each day.</desc>`);
    expect(markup.indexOf('</svg>')).toBeLessThan(markup.indexOf('<table class="chart-data">'));
    expect(markup).toContain('<caption>Payins per day</caption>');
    expect(markup).toContain(
      '<tr><th scope="row">11-22</th><td class="num">7 ops</td><td class="num">2 ops</td></tr>',
    );
  });

  it('escapes a hostile title, description, label, series name and class', () => {
    const markup = barChart({
      title: HOSTILE,
      description: HOSTILE,
      labels: [HOSTILE],
      labelHeading: HOSTILE,
      series: [{ name: HOSTILE, values: [5], className: HOSTILE }],
      formatValue: () => HOSTILE,
    }).value;
    expect(markup).not.toMatch(/<script|<img|onerror="/i);
    expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markup).toContain('class="chart-bar &quot;&gt;&lt;script&gt;');
    expect(markup).toMatch(/aria-labelledby="chart-script-alert-1-script-img-src-x-onerror-[a-z0-9]+-title /);
  });

  it('never writes an inline style', () => {
    expect(bars()).not.toMatch(/style=/i);
    expect(bars({ stacked: true })).not.toMatch(/style=/i);
  });

  it('puts each exact value in its bar tooltip and draws nothing for zero', () => {
    const rects = rectsOf(bars());
    expect(rects.map((r) => r.title)).toEqual([
      'Payins, 11-21: 3 ops',
      'Payins, 11-22: 7 ops',
      'Payouts, 11-22: 2 ops',
    ]);
    // Integer data, maximum 7: ticks 0, 2, 4, 6, 8 on a 196-unit high plot.
    expect(rects[1]?.height).toBeCloseTo((7 / 8) * 196, 1);
  });

  it('stacks segments on each other and adds a total column', () => {
    const markup = bars({ stacked: true });
    const [, payins, payouts] = rectsOf(markup);
    expect(payouts?.y).toBeCloseTo((payins?.y ?? 0) - (payouts?.height ?? 0), 1);
    // Tallest stack 9: ticks 0, 5, 10.
    expect(markup).toContain('<text class="chart-tick" x="');
    expect(markup).toContain('>10 ops</text>');
    expect(markup).toContain('<th scope="col" class="num">Total</th>');
    expect(markup).toContain('<td class="num">9 ops</td></tr>');
  });

  it('draws axes and no bars for all-zero data', () => {
    const markup = bars({ series: [{ name: 'Payins', values: [0, 0], className: 'bar-payin' }] });
    expect(rectsOf(markup)).toEqual([]);
    expect(markup).toContain('>0 ops</text>');
    expect(markup).toContain('>2 ops</text>');
    expect(markup).toContain('<td class="num">0 ops</td>');
  });

  it('draws a single point', () => {
    const markup = bars({
      labels: ['11-22'],
      series: [{ name: 'Payins', values: [4], className: 'bar-payin' }],
    });
    expect(rectsOf(markup)).toHaveLength(1);
    expect(count(markup, 'class="chart-label"')).toBe(1);
    expect(count(markup, '<th scope="row">')).toBe(1);
  });

  it('says "No data" for no series or no labels', () => {
    for (const markup of [
      bars({ series: [] }),
      bars({ labels: [], series: [{ name: 'Payins', values: [], className: 'bar-payin' }] }),
    ]) {
      expect(markup).toContain('class="chart-empty"');
      expect(markup).toContain('<tr><td>No data</td></tr>');
      expect(rectsOf(markup)).toEqual([]);
    }
  });

  it('shows a dash in the table for a missing value and draws no bar for it', () => {
    const markup = bars({ series: [{ name: 'Payins', values: [Number.NaN], className: 'bar-payin' }] });
    expect(rectsOf(markup)).toEqual([]);
    expect(markup).toContain('<th scope="row">11-21</th><td class="num">—</td>');
    expect(markup).toContain('<th scope="row">11-22</th><td class="num">—</td>');
  });

  it('thins the x labels but keeps every row in the table', () => {
    const labels = Array.from({ length: 90 }, (_, i) => `d${i}`);
    const markup = bars({
      labels,
      series: [{ name: 'Payins', values: labels.map((_, i) => i), className: 'bar-payin' }],
    });
    expect(count(markup, 'class="chart-label"')).toBe(shownLabelIndexes(90).length);
    expect(count(markup, '<th scope="row">')).toBe(90);
  });

  it('widens the left margin for long tick labels', () => {
    expect(plotFor(['1'])).toMatchObject({ left: 40 });
    expect(plotFor(['800 000 XOF']).left).toBeGreaterThan(plotFor(['8']).left);
  });

  it('shows the table on screen when asked', () => {
    expect(bars({ showTable: true })).toContain('<table class="chart-data chart-data-shown">');
  });
});

describe('rateChart', () => {
  const labels = ['a', 'b', 'c', 'd', 'e'];
  const chart = (values: (number | undefined)[]) =>
    rateChart({
      title: 'Success rate',
      description: 'Completed out of final, per day.',
      labels,
      series: [{ name: 'Payins', values, className: 'line-payin' }],
    }).value;

  it('lifts the pen over gaps and marks every defined point', () => {
    const markup = chart([0.5, undefined, 1, 0.75, undefined]);
    const d = /<path class="chart-line line-payin" d="([^"]*)"/.exec(markup)?.[1] ?? '';
    expect(d.match(/[ML]/g)).toEqual(['M', 'M', 'L']);
    expect(count(markup, '<circle class="chart-point line-payin"')).toBe(3);
    expect(markup).toContain('<title>Payins, c: 100 %</title>');
    expect(markup).toContain('<th scope="row">b</th><td class="num">—</td>');
    expect(markup).toContain('<th scope="row">a</th><td class="num">50 %</td>');
  });

  it('has the fixed 0 to 100 % axis', () => {
    const markup = chart([1, 1, 1, 1, 1]);
    for (const tick of ['0 %', '25 %', '50 %', '75 %', '100 %']) expect(markup).toContain(`>${tick}</text>`);
  });

  it('draws no line but the lone point when only one day has a rate', () => {
    const markup = chart([undefined, undefined, 0.2, undefined, undefined]);
    const d = /<path class="chart-line line-payin" d="([^"]*)"/.exec(markup)?.[1] ?? '';
    expect(d).toMatch(/^M[\d.]+ [\d.]+$/);
    expect(count(markup, '<circle')).toBe(1);
  });

  it('draws no path at all when there is no rate', () => {
    const markup = chart([undefined, undefined, undefined, undefined, undefined]);
    expect(markup).not.toContain('<path');
    expect(markup).not.toContain('<circle');
    expect(ratePath(plotFor([]), [], 0)).toBe('');
  });

  it('escapes hostile names and labels', () => {
    const markup = rateChart({
      title: HOSTILE,
      description: HOSTILE,
      labels: [HOSTILE],
      series: [{ name: HOSTILE, values: [0.5], className: 'line-payin' }],
    }).value;
    expect(markup).not.toMatch(/<script|<img|onerror="/i);
  });

  it('formats rates with at most one decimal', () => {
    expect(formatPercent(0.875)).toBe('87.5 %');
    expect(formatPercent(2 / 3)).toBe('66.7 %');
    expect(formatPercent(1)).toBe('100 %');
  });
});

describe('ids and CSS', () => {
  it('makes different ids for charts with different titles, and safe ones for any title', () => {
    const a = chartIdOf({ title: 'Payins', description: 'x' });
    expect(a).not.toBe(chartIdOf({ title: 'Payouts', description: 'x' }));
    expect(chartIdOf({ title: 'Été 2026 — «payins»', description: '' })).toMatch(/^chart-[a-z0-9-]+$/);
    expect(chartIdOf({ id: 'volume', title: 'ignored', description: '' })).toMatch(/^chart-volume-/);
  });

  it('styles every class the charts emit, and has no url() or import', () => {
    const emitted = new Set(
      [
        ...bars().matchAll(/class="([^"]+)"/g),
        ...rateChart({
          title: 't',
          description: 'd',
          labels: ['a'],
          series: [{ name: 'n', values: [1], className: 'line-payout' }],
        }).value.matchAll(/class="([^"]+)"/g),
      ].flatMap((m) => (m[1] ?? '').split(' ')),
    );
    // Groups that need no style of their own, and `num`, the console's right-aligned number cells.
    const structural = new Set([
      'chart-bars',
      'chart-legend',
      'chart-legend-swatch',
      'chart-legend-text',
      'num',
    ]);
    for (const cls of emitted) if (!structural.has(cls)) expect(CHART_CSS, cls).toContain(`.${cls}`);
    expect(CHART_CSS).not.toMatch(/url\(|@import/);
  });
});
