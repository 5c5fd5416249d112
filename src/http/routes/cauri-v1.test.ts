import { describe, expect, it } from 'vitest';
import { CURSOR_LENGTH_MAX, decodeCursor, encodeCursor, parseInstantMs, parseLimit } from './cauri-v1.js';

describe('/cauri/v1 shared parsing', () => {
  it('reads dates as UTC midnight and RFC 3339 date-times, and nothing else', () => {
    expect(parseInstantMs('2026-03-01')).toBe(Date.UTC(2026, 2, 1));
    expect(parseInstantMs('2026-03-01T10:00:00Z')).toBe(Date.UTC(2026, 2, 1, 10));
    expect(parseInstantMs('2026-03-01T10:00:00.250+01:00')).toBe(Date.UTC(2026, 2, 1, 9, 0, 0, 250));
    for (const bad of [
      '2026-02-30',
      '2026-13-01',
      '1999-12-31',
      'yesterday',
      '1700000000000',
      '2026-03-01T10:00:00',
      '2026-3-1',
      '',
    ])
      expect(parseInstantMs(bad), bad).toBeUndefined();
  });

  it('bounds page sizes', () => {
    expect(parseLimit(undefined, 100, 1000)).toBe(100);
    expect(parseLimit('1000', 100, 1000)).toBe(1000);
    for (const bad of ['0', '1001', '-1', '1.5', '1e3', ' 5', '0x10'])
      expect(parseLimit(bad, 100, 1000), bad).toBeUndefined();
  });

  it('round-trips cursors and refuses what it did not make', () => {
    expect(decodeCursor(encodeCursor(['s1', 42, 1]))).toEqual(['s1', 42, 1]);
    expect(decodeCursor('not base64!')).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"a":1}').toString('base64url'))).toBeUndefined();
    expect(decodeCursor('A'.repeat(CURSOR_LENGTH_MAX + 1))).toBeUndefined();
  });
});
