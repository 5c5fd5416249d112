import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, type Scenario, USAGE, UsageError, parseBenchArgs } from './args.js';
import { type BareResult, barePostgres, bareSqlite } from './bare.js';
import type { HttpScenario, LoadJob, LoadMessage, LoadResult } from './protocol.js';
import { type CallbackReceiver, startReceiver } from './receiver.js';
import { type ServerProcess, cpuMsOf, memoryOf, startServer } from './server.js';
import {
  type BenchSeed,
  benchPhones,
  createPgSchema,
  drain,
  eventBacklog,
  payoutsNotFinal,
  payoutsSettled,
  payoutsWithDispatcher,
  seedBench,
} from './setup.js';
import { type LatencySummary, Samples, round } from './stats.js';

/**
 * `npm run bench`: sustained wallet payins, customer payouts (top_up_wallet 1 and 0), merchant
 * payouts and paced payouts with callbacks against the real server (`node dist/src/main.js`,
 * sandbox mode, fresh data), driven over loopback HTTP by a separate load-generator process, beside
 * a bare ledger-transaction loop on the same kind of database. Callbacks go to a receiver in this
 * process. Prints a table with PASS/FAIL against the targets and writes the figures as JSON.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN_JS = path.resolve(here, '../src/main.js');
const LOAD_JS = path.join(here, 'load.js');
/** The server's OTP cap per phone and hour, at its maximum: the bench spreads payins over wallets. */
const OTP_PER_HOUR_MAX = 1000;
/** Extra time a load process may take beyond its warm-up and window before it is killed. */
const LOAD_GRACE_MS = 60_000;

/** Issue 11's targets. PostgreSQL's apply when the run includes it (--pg). */
export const TARGETS = {
  sqlite: { payoutsPerSecondMin: 3000, payoutsToBareMin: 0.5, payoutP99MsMax: 50 },
  postgres: { payoutsPerSecondMin: 1500, merchantPerSecondMin: 1000, payoutP99MsMax: 50 },
  /** Callbacks received per second, against payouts answered per second, in the callbacks scenario. */
  callbacksToPayoutsMin: 0.95,
} as const;
/** Server settings the caller may pass through its own environment (callback and dispatcher tuning). */
const PASSED_THROUGH = /^CAURI_(CALLBACK|DISPATCH)_/;

type Backend = 'sqlite' | 'postgres';

interface ScenarioReport extends LoadResult {
  /** CPU used by the server and by the load generator during the window, in % of one core. */
  serverCpuPercent: number | undefined;
  loadCpuPercent: number | undefined;
  /** CPU used by this process (the callback receiver) during the window, in % of one core. */
  benchCpuPercent: number | undefined;
  /** Server CPU time per operation, µs: the cost of an operation, less sensitive to a busy machine than ops/s. */
  serverCpuUsPerOp: number | undefined;
  /** Callback events still pending when the scenario ended: a growing backlog is not a sustained rate. */
  eventBacklog?: number | undefined;
  /** topup0: what the payout dispatcher did with the holds. */
  dispatch?: DispatchReport | undefined;
  /** callbacks: what the receiver saw. */
  callbacks?: CallbacksReport | undefined;
}

interface DispatchReport {
  /** Payouts settled by the dispatcher during the window, and per second. */
  settledInWindow: number | undefined;
  settledPerSecond: number | undefined;
  /** Payouts `queued` or `sent` at the end of the window, and after the drain. */
  notFinalAtEnd: number | undefined;
  notFinalAfterDrain: number | undefined;
  drainWaitedMs: number;
  /** Payouts that ended notcompleted or in review (none expected: the bench's numbers are not magic). */
  failed: number | undefined;
}

interface CallbacksReport {
  /** The demo project's callback encoding: ligdicash (JSON then form per event) or json. */
  mode: string;
  receiverDelayMs: number;
  /** Distinct events whose first POST arrived in the window, and per second. */
  receivedInWindow: number;
  perSecond: number;
  /** First POST of a payout's event minus the time its creation was answered, for the window's payouts. */
  lag: LatencySummary;
  /** Window payouts whose callback had not arrived after the drain. */
  notReceived: number;
  backlogAtEnd: number | undefined;
  backlogAfterDrain: number | undefined;
  drainWaitedMs: number;
  /** Backlog left by the earlier scenarios when this one started (drained first, up to --drain). */
  backlogBefore: number | undefined;
  posts: { json: number; form: number; other: number };
}

type ScenarioKey = Exclude<Scenario, 'bare'>;

interface BackendReport {
  backend: Backend;
  bare?: BareResult;
  payins?: ScenarioReport;
  payouts?: ScenarioReport;
  merchant?: ScenarioReport;
  topup0?: ScenarioReport;
  callbacks?: ScenarioReport;
  server?: { vmHWMkB: number; vmRSSkB: number };
}

interface Check {
  name: string;
  value: number;
  pass: boolean;
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function runLoadProcess(job: LoadJob, serverPid: number): Promise<ScenarioReport> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD_JS, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--enable-source-maps'],
    });
    const loadPid = child.pid ?? 0;
    let start:
      | { at: number; server: number | undefined; load: number | undefined; bench: number | undefined }
      | undefined;
    let end: typeof start;
    let settled = false;
    const sample = () => ({
      at: performance.now(),
      server: cpuMsOf(serverPid),
      load: cpuMsOf(loadPid),
      bench: cpuMsOf(process.pid),
    });
    const percent = (which: 'server' | 'load' | 'bench') => {
      const a = start?.[which];
      const b = end?.[which];
      if (!start || !end || a === undefined || b === undefined || end.at <= start.at) return undefined;
      return round(((b - a) * 100) / (end.at - start.at), 1);
    };
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        finish(
          new Error(
            `load generator did not finish within ${job.warmupMs + job.durationMs + LOAD_GRACE_MS} ms`,
          ),
        );
      },
      job.warmupMs + job.durationMs + LOAD_GRACE_MS,
    );
    const finish = (outcome: LoadResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof Error) reject(outcome);
      else {
        const server = percent('server');
        const serverCpuUsPerOp =
          server !== undefined && outcome.opsPerSecond > 0
            ? round((server * 10_000) / outcome.opsPerSecond, 0)
            : undefined;
        resolve({
          ...outcome,
          serverCpuPercent: server,
          loadCpuPercent: percent('load'),
          benchCpuPercent: percent('bench'),
          serverCpuUsPerOp,
        });
      }
    };
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measure-start') start = sample();
      else if (message.type === 'measure-end') end = sample();
      else if (message.type === 'result') finish(message.result);
      else finish(new Error(`load generator failed: ${message.error}`));
    });
    child.once('error', (error) => finish(error));
    child.once('exit', (code) =>
      finish(new Error(`load generator exited with code ${String(code)} without a result`)),
    );
    child.send(job);
  });
}

function serverEnv(
  dataDir: string,
  databaseUrl: string | undefined,
  options: BenchOptions,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      (!key.startsWith('CAURI_') || PASSED_THROUGH.test(key)) &&
      key !== 'DATABASE_URL' &&
      key !== 'PORT' &&
      key !== 'HOST'
    )
      env[key] = value;
  }
  return {
    ...env,
    CAURI_MODE: 'sandbox',
    CAURI_DATA_DIR: dataDir,
    CAURI_OTP_PER_HOUR_MAX: String(OTP_PER_HOUR_MAX),
    // The simulated operator answers top_up_wallet 0 and merchant payouts after this delay.
    CAURI_SIMULATOR_DELAY_MS: String(options.simulatorDelayMs),
    LOG_LEVEL: 'warn',
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
  };
}

/** Longest wait, before a scenario, for the payouts of the earlier ones to be dispatched. */
const DISPATCH_DRAIN_BEFORE_MS = 60_000;

const HTTP_SCENARIOS = [
  'payins',
  'payouts',
  'merchant',
  'topup0',
  'callbacks',
] as const satisfies readonly ScenarioKey[];

interface BackendContext {
  backend: Backend;
  options: BenchOptions;
  location: { dataDir: string; databaseUrl?: string | undefined };
  server: ServerProcess;
  demo: BenchSeed;
  phones: string[];
  receiver: CallbackReceiver;
}

async function runScenario(
  ctx: BackendContext,
  scenario: (typeof HTTP_SCENARIOS)[number],
): Promise<ScenarioReport> {
  const { backend, options, location, receiver } = ctx;
  const short = scenario === 'merchant' || scenario === 'topup0' || scenario === 'callbacks';
  const durationS = short ? options.shortDurationS : options.durationS;
  let backlogBefore: number | undefined;
  // Start once the earlier scenarios' payouts have left the dispatcher (merchant and topup0 leave
  // thousands queued for the operator): each scenario measures its own load, not their tail.
  const queued = await drain(() => payoutsWithDispatcher(location), DISPATCH_DRAIN_BEFORE_MS);
  if ((queued.left ?? 0) > 0 || queued.waitedMs > 1_000)
    log(
      `${backend}: ${scenario}: earlier payouts still with the dispatcher: ${queued.left ?? '?'} after ${queued.waitedMs} ms`,
    );
  if (scenario === 'callbacks') {
    // Start from an empty outbox, so that the earlier scenarios' events do not queue ahead of these.
    const before = await drain(() => eventBacklog(location), options.drainS * 1000);
    backlogBefore = before.left;
    log(
      `${backend}: callbacks to ${receiver.url} (answers after ${options.receiverDelayMs} ms, project callback mode ${ctx.demo.callbackMode}); backlog before: ${before.left ?? '?'} after ${before.waitedMs} ms`,
    );
  }
  const load = scenario === 'callbacks' ? `paced at ${options.rate}/s` : `concurrency ${options.concurrency}`;
  log(`${backend}: ${scenario}, ${load}, ${options.warmupS} s warm-up + ${durationS} s`);
  const job: LoadJob = {
    scenario: scenario satisfies HttpScenario,
    port: ctx.server.port,
    apikey: ctx.demo.apikey,
    apiToken: ctx.demo.apiToken,
    phones: ctx.phones,
    concurrency: options.concurrency,
    warmupMs: options.warmupS * 1000,
    durationMs: durationS * 1000,
    maxOps: options.maxOps,
    amountXof: options.amountXof,
    runId: `bench-${backend}-${scenario}-${Date.now().toString(36)}`,
    otpPerPhoneMax: OTP_PER_HOUR_MAX,
    ratePerSecond: scenario === 'callbacks' ? options.rate : undefined,
    callbackUrl: scenario === 'callbacks' ? receiver.url : undefined,
  };
  const result = await runLoadProcess(job, ctx.server.pid);
  result.eventBacklog = await eventBacklog(location);
  if (scenario === 'topup0') result.dispatch = await dispatchOf(ctx, result);
  if (scenario === 'callbacks') result.callbacks = await callbacksOf(ctx, result, backlogBefore);
  delete result.answered;
  log(
    `${backend}: ${scenario} ${result.opsPerSecond}/s, p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, ${result.errors} errors, ` +
      `server CPU ${result.serverCpuPercent ?? '?'}% (${result.serverCpuUsPerOp ?? '?'} µs/op), callback backlog ${result.eventBacklog ?? '?'}`,
  );
  for (const sample of result.errorSamples) log(`  error: ${sample}`);
  return result;
}

/** topup0: settled during the window (by the server's own timestamps), left at its end, left after a drain. */
async function dispatchOf(ctx: BackendContext, result: ScenarioReport): Promise<DispatchReport> {
  const { location, options } = ctx;
  const notFinalAtEnd = await payoutsNotFinal(location);
  const drained = await drain(() => payoutsNotFinal(location), options.drainS * 1000);
  const { settled, failed } = await payoutsSettled(
    location,
    result.windowStartEpochMs,
    result.windowEndEpochMs,
  );
  const report: DispatchReport = {
    settledInWindow: settled,
    settledPerSecond:
      settled !== undefined && result.windowMs > 0 ? round((settled * 1000) / result.windowMs, 1) : undefined,
    notFinalAtEnd,
    notFinalAfterDrain: drained.left,
    drainWaitedMs: drained.waitedMs,
    failed,
  };
  log(
    `${ctx.backend}: topup0 settled ${report.settledPerSecond ?? '?'}/s; not final: ${notFinalAtEnd ?? '?'} at the end, ${drained.left ?? '?'} after ${drained.waitedMs} ms; failed ${failed ?? '?'}`,
  );
  return report;
}

/** callbacks: the receiver's count in the window, the lag of each window payout's callback, the backlog and its drain. */
async function callbacksOf(
  ctx: BackendContext,
  result: ScenarioReport,
  backlogBefore: number | undefined,
): Promise<CallbacksReport> {
  const { location, options, receiver } = ctx;
  const backlogAtEnd = result.eventBacklog;
  const drained = await drain(() => eventBacklog(location), options.drainS * 1000);
  const receivedInWindow = receiver.eventsBetween(result.windowStartEpochMs, result.windowEndEpochMs);
  const lag = new Samples();
  let notReceived = 0;
  for (const [transactionId, answeredAt] of result.answered ?? []) {
    const seenAt = receiver.firstSeenOf(transactionId);
    if (seenAt === undefined) notReceived++;
    else lag.add(seenAt - answeredAt);
  }
  const report: CallbacksReport = {
    mode: ctx.demo.callbackMode,
    receiverDelayMs: options.receiverDelayMs,
    receivedInWindow,
    perSecond: result.windowMs > 0 ? round((receivedInWindow * 1000) / result.windowMs, 1) : 0,
    lag: lag.summary(),
    notReceived,
    backlogAtEnd,
    backlogAfterDrain: drained.left,
    drainWaitedMs: drained.waitedMs,
    backlogBefore,
    posts: { ...receiver.posts },
  };
  log(
    `${ctx.backend}: callbacks ${report.perSecond}/s received, lag p50 ${report.lag.p50Ms} ms p99 ${report.lag.p99Ms} ms, ` +
      `backlog ${backlogAtEnd ?? '?'} at the end, ${drained.left ?? '?'} after ${drained.waitedMs} ms, ${notReceived} not received`,
  );
  return report;
}

async function runBackend(backend: Backend, options: BenchOptions): Promise<BackendReport> {
  const report: BackendReport = { backend };
  const warmupMs = options.warmupS * 1000;
  const durationMs = options.durationS * 1000;
  if (options.scenarios.has('bare')) {
    log(`${backend}: bare ledger loop, ${options.warmupS} s warm-up + ${options.durationS} s`);
    report.bare =
      backend === 'sqlite'
        ? await bareSqlite(warmupMs, durationMs, options.maxOps, options.keep)
        : await withPgSchema(options, (url) => barePostgres(url, warmupMs, durationMs, options.maxOps));
    log(`${backend}: bare loop ${report.bare.opsPerSecond} tx/s`);
  }
  const httpScenarios = HTTP_SCENARIOS.filter((s: Scenario) => options.scenarios.has(s));
  if (httpScenarios.length === 0) return report;

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cauri-bench-'));
  const pgSchema =
    backend === 'postgres' && options.pgUrl !== undefined ? await createPgSchema(options.pgUrl) : undefined;
  const location = { dataDir, databaseUrl: pgSchema?.url };
  const receiver = await startReceiver(options.receiverDelayMs);
  try {
    const phones = benchPhones(options.wallets);
    log(
      `${backend}: setup: demo project, ${phones.length} funded wallets, funded sub-account (not measured)`,
    );
    const demo = await seedBench(location, phones, options.callbackMode);
    const nodeArgs = ['--enable-source-maps'];
    if (options.cpuProfDir !== undefined) {
      mkdirSync(options.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProfDir)}`);
    }
    const server = await startServer(MAIN_JS, serverEnv(dataDir, pgSchema?.url, options), nodeArgs);
    log(
      `${backend}: server pid ${server.pid} on 127.0.0.1:${server.port}, data ${pgSchema ? 'in a fresh PostgreSQL schema' : dataDir}`,
    );
    try {
      const ctx: BackendContext = { backend, options, location, server, demo, phones, receiver };
      for (const scenario of httpScenarios) report[scenario] = await runScenario(ctx, scenario);
      const memory = memoryOf(server.pid);
      if (memory) report.server = memory;
    } finally {
      await server.stop();
    }
  } finally {
    await receiver.close();
    await pgSchema
      ?.drop()
      .catch((error: unknown) => log(`could not drop the bench schema: ${String(error)}`));
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    else log(`kept ${dataDir}`);
  }
  return report;
}

async function withPgSchema<T>(options: BenchOptions, fn: (url: string) => Promise<T>): Promise<T> {
  if (options.pgUrl === undefined) throw new Error('no PostgreSQL URL');
  const schema = await createPgSchema(options.pgUrl);
  try {
    return await fn(schema.url);
  } finally {
    await schema.drop();
  }
}

function checksOf(report: BackendReport): Check[] {
  const checks: Check[] = [];
  const { payouts, merchant, callbacks } = report;
  const t = report.backend === 'sqlite' ? TARGETS.sqlite : TARGETS.postgres;
  if (payouts) {
    checks.push(
      {
        name: `payouts >= ${t.payoutsPerSecondMin}/s`,
        value: payouts.opsPerSecond,
        pass: payouts.opsPerSecond >= t.payoutsPerSecondMin,
      },
      {
        name: `payouts p99 < ${t.payoutP99MsMax} ms`,
        value: payouts.latency.p99Ms,
        pass: payouts.latency.p99Ms < t.payoutP99MsMax,
      },
    );
    if (report.bare && report.backend === 'sqlite') {
      const ratio = round(payouts.opsPerSecond / report.bare.opsPerSecond);
      checks.push({
        name: `payouts >= ${TARGETS.sqlite.payoutsToBareMin} x bare loop`,
        value: ratio,
        pass: ratio >= TARGETS.sqlite.payoutsToBareMin,
      });
    }
  }
  if (merchant && report.backend === 'postgres') {
    const pgT = TARGETS.postgres;
    checks.push(
      {
        name: `merchant payouts >= ${pgT.merchantPerSecondMin}/s`,
        value: merchant.opsPerSecond,
        pass: merchant.opsPerSecond >= pgT.merchantPerSecondMin,
      },
      {
        name: `merchant payouts p99 < ${pgT.payoutP99MsMax} ms`,
        value: merchant.latency.p99Ms,
        pass: merchant.latency.p99Ms < pgT.payoutP99MsMax,
      },
    );
  }
  for (const key of HTTP_SCENARIOS) {
    const scenario = report[key];
    if (scenario)
      checks.push({
        name: `${key}: no failed operations`,
        value: scenario.errors,
        pass: scenario.errors === 0,
      });
  }
  const failed = report.topup0?.dispatch?.failed;
  if (report.topup0)
    checks.push({ name: 'topup0: no payout notcompleted', value: failed ?? -1, pass: failed === 0 });
  const cb = callbacks?.callbacks;
  if (callbacks && cb) {
    const ratio = callbacks.opsPerSecond > 0 ? round(cb.perSecond / callbacks.opsPerSecond) : 0;
    checks.push(
      {
        name: `callbacks/s >= ${TARGETS.callbacksToPayoutsMin} x payouts/s (${cb.mode})`,
        value: ratio,
        pass: ratio >= TARGETS.callbacksToPayoutsMin,
      },
      {
        name: `callback backlog drained within ${round(cb.drainWaitedMs / 1000, 1)} s, every callback received`,
        value: (cb.backlogAfterDrain ?? -1) + cb.notReceived,
        pass: cb.backlogAfterDrain === 0 && cb.notReceived === 0,
      },
    );
  }
  return checks;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '),
    )
    .join('\n');
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? '-' : n.toFixed(digits);
}

function render(reports: BackendReport[], options: BenchOptions, checks: Map<Backend, Check[]>): string {
  const out: string[] = [];
  out.push(
    `Cauri bench: ${os.cpus().length} cores, Node ${process.version}, concurrency ${options.concurrency}, ${options.warmupS} s warm-up + ${options.durationS} s measured ` +
      `(${options.shortDurationS} s for merchant, topup0, callbacks), amount ${options.amountXof} XOF, simulator delay ${options.simulatorDelayMs} ms`,
  );
  for (const report of reports) {
    const bareRate = report.bare?.opsPerSecond;
    const rows: string[][] = [
      [
        'scenario',
        'ops/s',
        'p50 ms',
        'p99 ms',
        'vs bare',
        'errors',
        'server CPU',
        'CPU µs/op',
        'loadgen CPU',
      ],
    ];
    const label = report.backend === 'sqlite' ? 'SQLite (WAL, synchronous=FULL)' : 'PostgreSQL';
    if (report.bare) {
      rows.push([
        `bare ledger loop, 1 tx/iteration`,
        fmt(report.bare.opsPerSecond),
        fmt(report.bare.latency.p50Ms, 2),
        fmt(report.bare.latency.p99Ms, 2),
        '1.00',
        '0',
        '-',
        '-',
        '-',
      ]);
    }
    const scenarioRow = (name: string, s: ScenarioReport) => [
      name,
      fmt(s.opsPerSecond),
      fmt(s.latency.p50Ms, 2),
      fmt(s.latency.p99Ms, 2),
      bareRate ? fmt(s.opsPerSecond / bareRate, 2) : '-',
      String(s.errors),
      s.serverCpuPercent === undefined ? '-' : `${Math.round(s.serverCpuPercent)}%`,
      s.serverCpuUsPerOp === undefined ? '-' : String(s.serverCpuUsPerOp),
      s.loadCpuPercent === undefined ? '-' : `${Math.round(s.loadCpuPercent)}%`,
    ];
    const subRow = (name: string, perSecond: number | undefined, p50?: number, p99?: number) => [
      name,
      fmt(perSecond),
      fmt(p50, 2),
      fmt(p99, 2),
      '',
      '',
      '',
      '',
      '',
    ];
    if (report.payins) {
      rows.push(scenarioRow('wallet payins (3 requests each)', report.payins));
      for (const [step, summary] of Object.entries(report.payins.steps))
        rows.push(
          subRow(`  ${step} request`, undefined, summary.p50Ms, summary.p99Ms).map((c, i) =>
            i === 1 ? '' : c,
          ),
        );
    }
    if (report.payouts) rows.push(scenarioRow('customer payouts (top_up_wallet 1)', report.payouts));
    if (report.merchant) rows.push(scenarioRow('merchant payouts (straight/payout)', report.merchant));
    if (report.topup0) {
      rows.push(scenarioRow('customer payouts (top_up_wallet 0), create', report.topup0));
      rows.push(subRow('  settled by the dispatcher', report.topup0.dispatch?.settledPerSecond));
    }
    const cb = report.callbacks?.callbacks;
    if (report.callbacks) {
      rows.push(scenarioRow(`customer payouts, callback_url (paced ${options.rate}/s)`, report.callbacks));
      if (cb)
        rows.push(subRow(`  callbacks received (${cb.mode}), lag`, cb.perSecond, cb.lag.p50Ms, cb.lag.p99Ms));
    }
    out.push('', `${label}`, table(rows));
    if (report.server) {
      out.push(
        `server memory: peak RSS (VmHWM) ${round(report.server.vmHWMkB / 1024, 1)} MB, RSS at end ${round(report.server.vmRSSkB / 1024, 1)} MB`,
      );
    }
    const backlog = HTTP_SCENARIOS.filter((k) => report[k]?.eventBacklog !== undefined).map(
      (k) => `${k} ${report[k]?.eventBacklog ?? ''}`,
    );
    if (backlog.length > 0) out.push(`callback events still pending at the end of: ${backlog.join(', ')}`);
    const dispatch = report.topup0?.dispatch;
    if (dispatch) {
      out.push(
        `top_up_wallet 0: ${dispatch.settledInWindow ?? '?'} settled in the window; not final (queued/sent) ${dispatch.notFinalAtEnd ?? '?'} at its end, ` +
          `${dispatch.notFinalAfterDrain ?? '?'} after ${round(dispatch.drainWaitedMs / 1000, 1)} s; ${dispatch.failed ?? '?'} notcompleted`,
      );
    }
    if (cb && report.callbacks) {
      const paced = report.callbacks.paced;
      out.push(
        `callbacks: mode ${cb.mode} (${cb.posts.json} JSON + ${cb.posts.form} form POSTs), receiver answers after ${cb.receiverDelayMs} ms; ` +
          `receiver CPU ${fmt(report.callbacks.benchCpuPercent, 0)}%; ${cb.receivedInWindow} events in the window; ` +
          `${cb.notReceived} of ${report.callbacks.ops} window payouts without a callback after the drain`,
        `callbacks: backlog ${cb.backlogBefore ?? '?'} before, ${cb.backlogAtEnd ?? '?'} at the end, ${cb.backlogAfterDrain ?? '?'} after ${round(cb.drainWaitedMs / 1000, 1)} s; ` +
          `lag p90 ${cb.lag.p90Ms} ms, max ${cb.lag.maxMs} ms${paced ? `; payouts in flight at most ${paced.inFlightPeak} (cap ${paced.inFlightMax})` : ''}`,
      );
    }
    for (const check of checks.get(report.backend) ?? [])
      out.push(`${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.value}`);
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message ? `bench: ${error.message}\n\n` : ''}${USAGE}\n`);
    return error.message ? 2 : 0;
  }
  const startedAt = new Date().toISOString();
  const backends: Backend[] = options.pgUrl !== undefined ? ['sqlite', 'postgres'] : ['sqlite'];
  const reports: BackendReport[] = [];
  for (const backend of backends) reports.push(await runBackend(backend, options));
  const checks = new Map<Backend, Check[]>(reports.map((r) => [r.backend, checksOf(r)]));
  process.stdout.write(`\n${render(reports, options, checks)}\n`);
  const out = path.resolve(options.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        startedAt,
        machine: {
          cores: os.cpus().length,
          cpu: os.cpus()[0]?.model ?? '',
          node: process.version,
          platform: `${os.platform()} ${os.release()}`,
        },
        options: {
          ...options,
          scenarios: [...options.scenarios],
          pgUrl: options.pgUrl?.replace(/\/\/[^@/]*@/, '//***@'),
        },
        targets: TARGETS,
        results: reports,
        checks: Object.fromEntries(checks),
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`results written to ${path.relative(process.cwd(), out) || out}\n`);
  return [...checks.values()].flat().every((c) => c.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
