import { describe, expect, it } from 'vitest';
import { DEFAULT_PG_URL, SCENARIOS, USAGE, UsageError, parseBenchArgs } from '../bench/args.js';

/** `npm run bench` flags (bench/args.ts): defaults, the issue 11 scenarios and their options, and refusals. */
describe('bench arguments', () => {
  it('defaults to every scenario, SQLite only, 1,000 paced payouts/s against a 50 ms receiver', () => {
    const options = parseBenchArgs([], {});
    expect([...options.scenarios]).toEqual(['bare', 'payins', 'payouts', 'merchant', 'topup0', 'callbacks']);
    expect(options).toMatchObject({
      durationS: 10,
      shortDurationS: 5,
      rate: 1000,
      receiverDelayMs: 50,
      drainS: 10,
      callbackMode: undefined,
      simulatorDelayMs: 0,
      pgUrl: undefined,
    });
  });

  it('reads the new flags in both spellings', () => {
    const options = parseBenchArgs(
      [
        '--scenarios',
        'merchant,callbacks',
        '--rate=500',
        '--receiver-delay-ms',
        '0',
        '--drain=0',
        '--callback-mode',
        'json',
        '--short-duration',
        '2.5',
        '--simulator-delay-ms=5',
      ],
      {},
    );
    expect([...options.scenarios]).toEqual(['merchant', 'callbacks']);
    expect(options).toMatchObject({
      rate: 500,
      receiverDelayMs: 0,
      drainS: 0,
      callbackMode: 'json',
      shortDurationS: 2.5,
      simulatorDelayMs: 5,
    });
  });

  it('--pg takes DATABASE_URL, else the default URL', () => {
    expect(parseBenchArgs(['--pg'], {}).pgUrl).toBe(DEFAULT_PG_URL);
    expect(parseBenchArgs(['--pg'], { DATABASE_URL: 'postgres://x@h/db' }).pgUrl).toBe('postgres://x@h/db');
  });

  it.each([
    [['--scenarios', 'payouts,nope'], 'unknown scenario "nope"'],
    [['--callback-mode', 'xml'], '--callback-mode must be ligdicash or json'],
    [['--rate', '0'], '--rate needs a positive number'],
    [['--rate', '50000'], '--rate must be at most 20000'],
    [['--receiver-delay-ms', '-1'], '--receiver-delay-ms needs a positive integer'],
    [['--drain'], '--drain needs a value'],
    [['--wat', '1'], 'unknown option --wat'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv, {})).toThrow(UsageError);
    expect(() => parseBenchArgs(argv, {})).toThrow(message);
  });

  it('--help lists every scenario and flag it parses', () => {
    expect(() => parseBenchArgs(['--help'], {})).toThrow(UsageError);
    expect(USAGE).toContain(SCENARIOS.join(','));
    for (const flag of [
      '--short-duration',
      '--rate',
      '--receiver-delay-ms',
      '--drain',
      '--callback-mode',
      '--simulator-delay-ms',
    ])
      expect(USAGE).toContain(flag);
  });
});
