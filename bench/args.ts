/** Command-line flags of `npm run bench`, parsed strictly: `--name value`, `--name=value`, booleans. */
export interface BenchOptions {
  /** Seconds measured per HTTP scenario and for the bare loop. */
  durationS: number;
  /** Seconds of load before measuring, discarded. */
  warmupS: number;
  /** Requests (payins: flows) in flight at once. */
  concurrency: number;
  /** Funded customer wallets to spread OTPs over. */
  wallets: number;
  /** Upper bound of operations per scenario: a run stops at this count even before its time is up. */
  maxOps: number;
  scenarios: Set<Scenario>;
  /** PostgreSQL URL for the optional PostgreSQL variant, or undefined to skip it. */
  pgUrl: string | undefined;
  out: string;
  /** Directory for the server's `--cpu-prof` profiles, or undefined. */
  cpuProfDir: string | undefined;
  /** Keep the temporary data directories for inspection. */
  keep: boolean;
  amountXof: number;
  /** Seconds measured for the merchant, topup0 and callbacks scenarios (shorter, to keep a run short). */
  shortDurationS: number;
  /** Payouts per second the callbacks scenario sends, paced (open loop). */
  rate: number;
  /** How long the bench's callback receiver waits before answering 200, ms. */
  receiverDelayMs: number;
  /** Longest wait after a window for the callback backlog or the dispatcher's queue to empty, s. */
  drainS: number;
  /** The demo project's callback encoding for the run, or undefined to keep its default. */
  callbackMode: 'ligdicash' | 'json' | undefined;
  /** The sandbox simulator's answer delay (CAURI_SIMULATOR_DELAY_MS), ms. */
  simulatorDelayMs: number;
}

export type Scenario = 'bare' | 'payins' | 'payouts' | 'merchant' | 'topup0' | 'callbacks';
export const SCENARIOS: readonly Scenario[] = [
  'bare',
  'payins',
  'payouts',
  'merchant',
  'topup0',
  'callbacks',
];

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export const USAGE = `Usage: npm run bench -- [options]

  --duration S       seconds measured per scenario (default 10)
  --warmup S         seconds of warm-up load before each measurement (default 3)
  --concurrency N    operations in flight from the load generator (default 48)
  --wallets N        funded customer wallets (default 512)
  --max-ops N        stop a scenario after N operations even before its time (default 200000)
  --scenarios LIST   comma-separated: ${SCENARIOS.join(',')} (default all)
  --short-duration S seconds measured for merchant, topup0 and callbacks (default 5)
  --rate N           payouts per second the callbacks scenario sends, paced (default 1000)
  --receiver-delay-ms N  the callback receiver answers 200 after N ms (default 50; 0 allowed)
  --drain S          longest wait for the callback backlog / payout queue to empty after a window (default 10)
  --callback-mode M  ligdicash (JSON + form POST per event) or json; default: the demo project's own (ligdicash)
  --simulator-delay-ms N  the sandbox operator simulator's delay, CAURI_SIMULATOR_DELAY_MS (default 0)
  --pg               also run every scenario on PostgreSQL (DATABASE_URL, else ${DEFAULT_PG_URL})
  --pg-url URL       same, with this URL
  --out FILE         JSON results (default test-artifacts/bench.json)
  --cpu-prof DIR     run the server under node --cpu-prof, profiles written to DIR
  --amount XOF       amount of each payin and payout (default 100)
  --keep             keep the temporary data directories

The server gets CAURI_CALLBACK_* and CAURI_DISPATCH_* from the bench's own environment, e.g.
  CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER=128 npm run bench -- --scenarios callbacks`;

export class UsageError extends Error {}

function positiveNumber(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new UsageError(`--${name} needs a positive ${integer ? 'integer' : 'number'}, not "${raw}"`);
  }
  return value;
}

function atMost(name: string, value: number, max: number): number {
  if (value > max) throw new UsageError(`--${name} must be at most ${max}, not ${value}`);
  return value;
}

export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const options: BenchOptions = {
    durationS: 10,
    warmupS: 3,
    concurrency: 48,
    wallets: 512,
    maxOps: 200_000,
    scenarios: new Set(SCENARIOS),
    pgUrl: undefined,
    out: 'test-artifacts/bench.json',
    cpuProfDir: undefined,
    keep: false,
    amountXof: 100,
    shortDurationS: 5,
    rate: 1000,
    receiverDelayMs: 50,
    drainS: 10,
    callbackMode: undefined,
    simulatorDelayMs: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'pg') {
      options.pgUrl = env.DATABASE_URL ?? DEFAULT_PG_URL;
      continue;
    }
    if (name === 'keep') {
      options.keep = true;
      continue;
    }
    if (name === 'help') throw new UsageError('');
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    switch (name) {
      case 'duration':
        options.durationS = positiveNumber(name, value, false);
        break;
      case 'warmup':
        options.warmupS = value === '0' ? 0 : positiveNumber(name, value, false);
        break;
      case 'concurrency':
        options.concurrency = positiveNumber(name, value, true);
        break;
      case 'wallets':
        options.wallets = positiveNumber(name, value, true);
        break;
      case 'max-ops':
        options.maxOps = positiveNumber(name, value, true);
        break;
      case 'amount':
        options.amountXof = positiveNumber(name, value, true);
        break;
      case 'scenarios': {
        const list = value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        for (const s of list)
          if (!SCENARIOS.includes(s as Scenario)) throw new UsageError(`unknown scenario "${s}"`);
        options.scenarios = new Set(list as Scenario[]);
        break;
      }
      case 'short-duration':
        options.shortDurationS = positiveNumber(name, value, false);
        break;
      case 'rate':
        options.rate = atMost(name, positiveNumber(name, value, false), 20_000);
        break;
      case 'receiver-delay-ms':
        options.receiverDelayMs = value === '0' ? 0 : atMost(name, positiveNumber(name, value, true), 60_000);
        break;
      case 'drain':
        options.drainS = value === '0' ? 0 : atMost(name, positiveNumber(name, value, false), 600);
        break;
      case 'simulator-delay-ms':
        options.simulatorDelayMs =
          value === '0' ? 0 : atMost(name, positiveNumber(name, value, true), 60_000);
        break;
      case 'callback-mode':
        if (value !== 'ligdicash' && value !== 'json')
          throw new UsageError(`--callback-mode must be ligdicash or json, not "${value}"`);
        options.callbackMode = value;
        break;
      case 'pg-url':
        options.pgUrl = value;
        break;
      case 'out':
        options.out = value;
        break;
      case 'cpu-prof':
        options.cpuProfDir = value;
        break;
      default:
        throw new UsageError(`unknown option --${name}`);
    }
  }
  if (options.wallets < options.concurrency)
    throw new UsageError('--wallets must be at least --concurrency (one payin per wallet at a time)');
  return options;
}
