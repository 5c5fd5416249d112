import { describe, expect, it } from 'vitest';
import { CONSOLE_CSS } from './layout.js';

/**
 * WCAG 2.1 contrast (1.4.3): every rule of the console's stylesheet that sets both a text colour and
 * a background must give at least 4.5:1; text on the page background and on white too.
 */
function luminance(hex: string): number {
  const full = hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const channel = parseInt(full.slice(i, i + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const colour = (declarations: string, property: RegExp) => property.exec(declarations)?.[1];

describe('console stylesheet contrast', () => {
  it('computes contrast as WCAG does', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrast('#777', '#fff')).toBeCloseTo(4.48, 2);
  });

  it('gives every rule with its own text colour and background at least 4.5:1', () => {
    const pairs: Array<{ selector: string; text: string; background: string }> = [];
    for (const [, selector = '', declarations = ''] of CONSOLE_CSS.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
      const text = colour(declarations, /(?:^|;)color:(#[0-9a-fA-F]{3,6})/);
      const background = colour(declarations, /background(?:-color)?:(#[0-9a-fA-F]{3,6})/);
      if (text !== undefined && background !== undefined)
        pairs.push({ selector: selector.trim(), text, background });
    }
    expect(pairs.length).toBeGreaterThan(10);
    for (const pair of pairs)
      expect(
        contrast(pair.text, pair.background),
        `${pair.selector}: ${pair.text} on ${pair.background}`,
      ).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps body, muted and link text readable on the page, on cards and on table headers', () => {
    const backgrounds = ['#f4f5f2', '#ffffff', '#f0f3f1', '#e3ebe6'];
    for (const text of ['#1b231f', '#56605a', '#0a5e45', '#16362b', '#6b4700']) {
      for (const background of backgrounds)
        expect(contrast(text, background), `${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
