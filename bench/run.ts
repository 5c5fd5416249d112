import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, type Scenario, USAGE, UsageError, parseBenchArgs } from './args.js';
import { type BareResult, barePostgres, bareSqlite } from './bare.js';
import type { HttpScenario, LoadJob, LoadMessage, LoadResult } from './protocol.js';
import { cpuMsOf, memoryOf, startServer } from './server.js';
import { benchPhones, createPgSchema, eventBacklog, seedBench } from './setup.js';
import { round } from './stats.js';

/**
 * `npm run bench`: sustained wallet payins and customer payouts per second against the real
 * server (`node dist/src/main.js`, sandbox mode, fresh data), driven over loopback HTTP by a
 * separate load-generator process, beside a bare ledger-transaction loop on the same kind of
 * database. Prints a table with PASS/FAIL against the targets and writes the figures as JSON.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN_JS = path.resolve(here, '../src/main.js');
const LOAD_JS = path.join(here, 'load.js');
/** The server's OTP cap per phone and hour, at its maximum: the bench spreads payins over wallets. */
const OTP_PER_HOUR_MAX = 1000;
/** Extra time a load process may take beyond its warm-up and window before it is killed. */
const LOAD_GRACE_MS = 60_000;

export const TARGETS = { payoutsPerSecondMin: 1500, payoutsToBareMin: 0.5, payoutP99MsMax: 50 } as const;

type Backend = 'sqlite' | 'postgres';

interface ScenarioReport extends LoadResult {
  /** CPU used by the server and by the load generator during the window, in % of one core. */
  serverCpuPercent: number | undefined;
  loadCpuPercent: number | undefined;
  /** Server CPU time per operation, µs: the cost of an operation, less sensitive to a busy machine than ops/s. */
  serverCpuUsPerOp: number | undefined;
  /** Callback events still pending when the scenario ended: a growing backlog is not a sustained rate. */
  eventBacklog?: number | undefined;
}

interface BackendReport {
  backend: Backend;
  bare?: BareResult;
  payins?: ScenarioReport;
  payouts?: ScenarioReport;
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
    const child = fork(LOAD_JS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--enable-source-maps'] });
    const loadPid = child.pid ?? 0;
    let start: { at: number; server: number | undefined; load: number | undefined } | undefined;
    let end: typeof start;
    let settled = false;
    const sample = () => ({ at: performance.now(), server: cpuMsOf(serverPid), load: cpuMsOf(loadPid) });
    const percent = (which: 'server' | 'load') => {
      const a = start?.[which];
      const b = end?.[which];
      if (!start || !end || a === undefined || b === undefined || end.at <= start.at) return undefined;
      return round(((b - a) * 100) / (end.at - start.at), 1);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`load generator did not finish within ${job.warmupMs + job.durationMs + LOAD_GRACE_MS} ms`));
    }, job.warmupMs + job.durationMs + LOAD_GRACE_MS);
    const finish = (outcome: LoadResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof Error) reject(outcome);
      else {
        const server = percent('server');
        const serverCpuUsPerOp = server !== undefined && outcome.opsPerSecond > 0 ? round((server * 10_000) / outcome.opsPerSecond, 0) : undefined;
        resolve({ ...outcome, serverCpuPercent: server, loadCpuPercent: percent('load'), serverCpuUsPerOp });
      }
    };
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measure-start') start = sample();
      else if (message.type === 'measure-end') end = sample();
      else if (message.type === 'result') finish(message.result);
      else finish(new Error(`load generator failed: ${message.error}`));
    });
    child.once('error', (error) => finish(error));
    child.once('exit', (code) => finish(new Error(`load generator exited with code ${String(code)} without a result`)));
    child.send(job);
  });
}

function serverEnv(dataDir: string, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CAURI_') && key !== 'DATABASE_URL' && key !== 'PORT' && key !== 'HOST') env[key] = value;
  }
  return {
    ...env,
    CAURI_MODE: 'sandbox',
    CAURI_DATA_DIR: dataDir,
    CAURI_OTP_PER_HOUR_MAX: String(OTP_PER_HOUR_MAX),
    LOG_LEVEL: 'warn',
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
  };
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
  const httpScenarios = (['payins', 'payouts'] as const).filter((s: Scenario) => options.scenarios.has(s));
  if (httpScenarios.length === 0) return report;

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cauri-bench-'));
  const pgSchema = backend === 'postgres' && options.pgUrl !== undefined ? await createPgSchema(options.pgUrl) : undefined;
  try {
    const phones = benchPhones(options.wallets);
    log(`${backend}: setup: demo project, ${phones.length} funded wallets, funded sub-account (not measured)`);
    const demo = await seedBench({ dataDir, databaseUrl: pgSchema?.url }, phones);
    const nodeArgs = ['--enable-source-maps'];
    if (options.cpuProfDir !== undefined) {
      mkdirSync(options.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProfDir)}`);
    }
    const server = await startServer(MAIN_JS, serverEnv(dataDir, pgSchema?.url), nodeArgs);
    log(`${backend}: server pid ${server.pid} on 127.0.0.1:${server.port}, data ${pgSchema ? 'in a fresh PostgreSQL schema' : dataDir}`);
    try {
      for (const scenario of httpScenarios) {
        log(`${backend}: ${scenario}, concurrency ${options.concurrency}, ${options.warmupS} s warm-up + ${options.durationS} s`);
        const job: LoadJob = {
          scenario: scenario satisfies HttpScenario,
          port: server.port,
          apikey: demo.apikey,
          apiToken: demo.apiToken,
          phones,
          concurrency: options.concurrency,
          warmupMs,
          durationMs,
          maxOps: options.maxOps,
          amountXof: options.amountXof,
          runId: `bench-${backend}-${Date.now().toString(36)}`,
          otpPerPhoneMax: OTP_PER_HOUR_MAX,
        };
        const result = await runLoadProcess(job, server.pid);
        result.eventBacklog = await eventBacklog({ dataDir, databaseUrl: pgSchema?.url });
        report[scenario] = result;
        log(
          `${backend}: ${scenario} ${result.opsPerSecond}/s, p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, ${result.errors} errors, ` +
            `server CPU ${result.serverCpuPercent ?? '?'}% (${result.serverCpuUsPerOp ?? '?'} µs/op), callback backlog ${result.eventBacklog ?? '?'}`,
        );
        for (const sample of result.errorSamples) log(`  error: ${sample}`);
      }
      const memory = memoryOf(server.pid);
      if (memory) report.server = memory;
    } finally {
      await server.stop();
    }
  } finally {
    await pgSchema?.drop().catch((error: unknown) => log(`could not drop the bench schema: ${String(error)}`));
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
  const payouts = report.payouts;
  if (!payouts) return [];
  const checks: Check[] = [
    { name: `payouts >= ${TARGETS.payoutsPerSecondMin}/s`, value: payouts.opsPerSecond, pass: payouts.opsPerSecond >= TARGETS.payoutsPerSecondMin },
    { name: `payouts p99 < ${TARGETS.payoutP99MsMax} ms`, value: payouts.latency.p99Ms, pass: payouts.latency.p99Ms < TARGETS.payoutP99MsMax },
  ];
  if (report.bare) {
    const ratio = round(payouts.opsPerSecond / report.bare.opsPerSecond);
    checks.push({ name: `payouts >= ${TARGETS.payoutsToBareMin} x bare loop`, value: ratio, pass: ratio >= TARGETS.payoutsToBareMin });
  }
  for (const scenario of [report.payins, payouts]) {
    if (scenario) checks.push({ name: `${scenario.scenario}: no failed operations`, value: scenario.errors, pass: scenario.errors === 0 });
  }
  return checks;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')).join('\n');
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? '-' : n.toFixed(digits);
}

function render(reports: BackendReport[], options: BenchOptions, checks: Map<Backend, Check[]>): string {
  const out: string[] = [];
  out.push(
    `Cauri bench: ${os.cpus().length} cores, Node ${process.version}, concurrency ${options.concurrency}, ${options.warmupS} s warm-up + ${options.durationS} s measured per scenario, amount ${options.amountXof} XOF`,
  );
  for (const report of reports) {
    const bareRate = report.bare?.opsPerSecond;
    const rows: string[][] = [['scenario', 'ops/s', 'p50 ms', 'p99 ms', 'vs bare', 'errors', 'server CPU', 'CPU µs/op', 'loadgen CPU']];
    const label = report.backend === 'sqlite' ? 'SQLite (WAL, synchronous=FULL)' : 'PostgreSQL';
    if (report.bare) {
      rows.push([`bare ledger loop, 1 tx/iteration`, fmt(report.bare.opsPerSecond), fmt(report.bare.latency.p50Ms, 2), fmt(report.bare.latency.p99Ms, 2), '1.00', '0', '-', '-', '-']);
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
    if (report.payins) {
      rows.push(scenarioRow('wallet payins (3 requests each)', report.payins));
      for (const [step, summary] of Object.entries(report.payins.steps)) {
        rows.push([`  ${step} request`, '', fmt(summary.p50Ms, 2), fmt(summary.p99Ms, 2), '', '', '', '', '']);
      }
    }
    if (report.payouts) rows.push(scenarioRow('customer payouts (top_up_wallet 1)', report.payouts));
    out.push('', `${label}`, table(rows));
    if (report.server) {
      out.push(`server memory: peak RSS (VmHWM) ${round(report.server.vmHWMkB / 1024, 1)} MB, RSS at end ${round(report.server.vmRSSkB / 1024, 1)} MB`);
    }
    const backlog = [report.payins, report.payouts].filter((s) => s?.eventBacklog !== undefined).map((s) => `${s?.scenario ?? ''} ${s?.eventBacklog ?? ''}`);
    if (backlog.length > 0) out.push(`callback events still pending at the end of: ${backlog.join(', ')}`);
    for (const check of checks.get(report.backend) ?? []) out.push(`${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.value}`);
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
  // Targets apply to the headline, SQLite; PostgreSQL figures are for information.
  const checks = new Map<Backend, Check[]>(reports.filter((r) => r.backend === 'sqlite').map((r) => [r.backend, checksOf(r)]));
  process.stdout.write(`\n${render(reports, options, checks)}\n`);
  const out = path.resolve(options.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        startedAt,
        machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', node: process.version, platform: `${os.platform()} ${os.release()}` },
        options: { ...options, scenarios: [...options.scenarios], pgUrl: options.pgUrl?.replace(/\/\/[^@/]*@/, '//***@') },
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
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
