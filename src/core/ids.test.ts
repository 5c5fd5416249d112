import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newId, newRequestId, randomDigits } from './ids.js';

describe('newId', () => {
  it('is a prefix, 10 time characters and 16 random ones', () => {
    expect(newId('po')).toMatch(/^po_[2-7a-z]{26}$/);
  });

  it('sorts by creation time, so inserts append to indexes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 1, max: 2 ** 40 }), (t, dt) => {
        expect(newId('tr', t) < newId('tr', t + dt)).toBe(true);
      }),
    );
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newId('evt', 1_000)));
    expect(ids.size).toBe(20_000);
  });
});

describe('randomDigits', () => {
  it('gives the length asked, digits only, no leading zero', () => {
    for (let i = 0; i < 2_000; i++) expect(randomDigits(12)).toMatch(/^[1-9]\d{11}$/);
    expect(newRequestId()).toMatch(/^P[1-9]\d{12}$/);
  });

  it('uses every digit about equally after the first', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 5_000; i++)
      for (const d of randomDigits(12).slice(1)) counts[Number(d)] = (counts[Number(d)] ?? 0) + 1;
    for (const count of counts) expect(count).toBeGreaterThan(5_000 * 11 * 0.08);
  });
});
