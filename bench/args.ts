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
}

export type Scenario = 'bare' | 'payins' | 'payouts';
const SCENARIOS: readonly Scenario[] = ['bare', 'payins', 'payouts'];

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export const USAGE = `Usage: npm run bench -- [options]

  --duration S       seconds measured per scenario (default 10)
  --warmup S         seconds of warm-up load before each measurement (default 3)
  --concurrency N    operations in flight from the load generator (default 48)
  --wallets N        funded customer wallets (default 512)
  --max-ops N        stop a scenario after N operations even before its time (default 200000)
  --scenarios LIST   comma-separated: bare,payins,payouts (default all)
  --pg               also run every scenario on PostgreSQL (DATABASE_URL, else ${DEFAULT_PG_URL})
  --pg-url URL       same, with this URL
  --out FILE         JSON results (default test-artifacts/bench.json)
  --cpu-prof DIR     run the server under node --cpu-prof, profiles written to DIR
  --amount XOF       amount of each payin and payout (default 100)
  --keep             keep the temporary data directories`;

export class UsageError extends Error {}

function positiveNumber(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new UsageError(`--${name} needs a positive ${integer ? 'integer' : 'number'}, not "${raw}"`);
  }
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
        const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
        for (const s of list) if (!SCENARIOS.includes(s as Scenario)) throw new UsageError(`unknown scenario "${s}"`);
        options.scenarios = new Set(list as Scenario[]);
        break;
      }
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
  if (options.wallets < options.concurrency) throw new UsageError('--wallets must be at least --concurrency (one payin per wallet at a time)');
  return options;
}
