import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  type Driver,
  Kysely,
  type KyselyConfig,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase as KyselySqliteDatabase,
  sql,
} from 'kysely';
import pg from 'pg';
import { endWave, joinWave } from './command-group.js';
import { migrate } from './migrations.js';
import { DEFER_MARK, RIDE_MARK, bindDialect } from './prepared.js';
import type { DB } from './schema.js';
import type { Dialect, Tx } from './tx.js';

export type { Dialect, Tx } from './tx.js';

/**
 * The store's one entry point. `command` runs a function as one atomic unit of work: all of its
 * writes commit together or none do (STYLE.md, "One command, one database transaction").
 */
export interface Database {
  readonly dialect: Dialect;
  /** Where the data lives, for start-up messages: a file path or a redacted URL. */
  readonly location: string;
  command<T>(fn: (tx: Tx) => Promise<T>, options?: CommandOptions): Promise<T>;
  /**
   * Calls `listener` after every commit of a command that announced this kind of work with
   * `afterCommit` (once per commit however many commands of a group commit announced it), never
   * for a command that rolled back, and never before the commit has returned. Returns the
   * function that unsubscribes.
   */
  onCommit(kind: Wakeup, listener: () => void): () => void;
  close(): Promise<void>;
}

export interface CommandOptions {
  /**
   * Workers' bookkeeping (claims, leases, delivery records, operator exchange records) that locks
   * no balance row: on PostgreSQL it is group-committed in a stream of its own, beside the API
   * commands' groups, so that it neither waits behind them nor lengthens them (ADR 0019). The
   * same on SQLite.
   */
  separate?: boolean;
  /**
   * The command may run at the same time as the other such commands of its PostgreSQL group
   * commit, their statements queued on the connection one behind the other (a wave, ADR 0019),
   * instead of one command after the other with a round trip each in between. Only for a command
   * that touches balance rows through ledger-store.ts alone (which makes wave members that share a
   * row take turns) and otherwise only inserts rows, or reads rows no other command of a group
   * writes; a conflict a unique index catches is fine (the group then runs one by one). Ignored on
   * SQLite, where statements take no round trip.
   */
  concurrent?: boolean;
}

/** Work that a command can leave for others once it commits. */
export type Wakeup = 'callbacks' | 'payouts' | 'projects' | 'refunds';

/** What the command running on each transaction object has announced so far. */
const announcements = new WeakMap<Tx, Set<Wakeup>>();

/**
 * Announces that this command queued work of this kind (callback events, payouts to dispatch) or
 * changed what others cache (projects): the store tells the listeners once the command has
 * committed, so that a worker never looks for work before the row it would find is visible.
 */
export function afterCommit(tx: Tx, kind: Wakeup): void {
  const kinds = announcements.get(tx);
  if (kinds === undefined) throw new Error('afterCommit called outside a database command');
  kinds.add(kind);
}

/** Runs one command's function, collecting its announcements into `kinds` (cleared first: a re-run starts afresh). */
function runCommand<T>(tx: Tx, fn: (tx: Tx) => Promise<T>, kinds: Set<Wakeup>): Promise<T> {
  kinds.clear();
  announcements.set(tx, kinds);
  return fn(tx);
}

/** The listeners of one store. */
class CommitListeners {
  private readonly listeners = new Map<Wakeup, Array<() => void>>();

  on(kind: Wakeup, listener: () => void): () => void {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), listener]);
    return () =>
      this.listeners.set(
        kind,
        (this.listeners.get(kind) ?? []).filter((l) => l !== listener),
      );
  }

  /** Tells each kind's listeners once; a listener's failure is its own. */
  fire(kinds: Iterable<Wakeup>): void {
    for (const kind of new Set(kinds)) {
      for (const listener of this.listeners.get(kind) ?? []) {
        try {
          listener();
        } catch {
          // A wake-up is a hint: the worker's own timer finds the work anyway.
        }
      }
    }
  }
}

/** The constraint or table named by a unique-constraint violation, on either database. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code === '23505') return typeof e.constraint === 'string' ? e.constraint : 'unknown';
  if (
    typeof e.code === 'string' &&
    e.code.startsWith('SQLITE_CONSTRAINT') &&
    typeof e.message === 'string' &&
    e.message.includes('UNIQUE')
  ) {
    return e.message;
  }
  return undefined;
}

/** A command's own failure: rolls its unit back and reaches the caller as this error. */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

export interface OpenOptions {
  /** `postgres://…` or `postgresql://…` selects PostgreSQL; anything else is ignored. */
  databaseUrl?: string | undefined;
  /** Directory of the SQLite file (created if missing). `:memory:` for a throwaway database. */
  dataDir: string;
  /** Upper bound of PostgreSQL connections this process opens. */
  poolSize?: number;
  /**
   * How long to keep retrying a PostgreSQL server that cannot be reached yet (it is starting, or
   * the network is not up), with back-off; 0 tries once. Bad credentials or a missing database are
   * not retried: waiting cannot fix them.
   */
  connectTimeoutMs?: number;
  /** Told of each failed attempt that will be retried, for a one-line start-up message. */
  onRetry?: (reason: string, waitMs: number) => void;
}

/** A start-up failure of the database, worded for one line of the operator's terminal. */
export class DatabaseUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailable';
  }
}

/** Network-level failures: the server may come up. Anything else (auth, unknown database) is final. */
const TRANSIENT_CONNECT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  '57P03',
  '53300',
]);
const CONNECT_BACKOFF_FIRST_MS = 250;
const CONNECT_BACKOFF_MAX_MS = 5_000;

function describeConnectError(error: unknown): { transient: boolean; reason: string } {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const transient =
    (typeof code === 'string' && TRANSIENT_CONNECT.has(code)) ||
    /timeout|terminated unexpectedly/i.test(message);
  const line = message.split('\n')[0] ?? message;
  return { transient, reason: typeof code === 'string' && !line.includes(code) ? `${code}: ${line}` : line };
}

async function waitForPostgres(store: PostgresStore, options: OpenOptions): Promise<void> {
  const deadlineMs = Date.now() + (options.connectTimeoutMs ?? 0);
  for (let waitMs = CONNECT_BACKOFF_FIRST_MS; ; waitMs = Math.min(waitMs * 2, CONNECT_BACKOFF_MAX_MS)) {
    try {
      await sql`select 1`.execute(store.kysely);
      return;
    } catch (error) {
      const { transient, reason } = describeConnectError(error);
      if (!transient || Date.now() + waitMs > deadlineMs) {
        throw new DatabaseUnavailable(`cannot connect to PostgreSQL at ${store.location}: ${reason}`);
      }
      options.onRetry?.(reason, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const url = options.databaseUrl?.trim();
  if (url !== undefined && url !== '' && !/^postgres(ql)?:\/\//.test(url))
    throw new DatabaseUnavailable('the database URL must be a postgres:// or postgresql:// URL');
  const database =
    url !== undefined && url !== ''
      ? openPostgres(url, options.poolSize ?? 10)
      : openSqliteOrExplain(options.dataDir);
  try {
    if (database.dialect === 'postgres') await waitForPostgres(database, options);
    const schema =
      database.dialect === 'postgres'
        ? (await sql<{ name: string }>`select current_schema() as name`.execute(database.kysely)).rows[0]
            ?.name
        : undefined;
    await migrate(database.kysely as Kysely<unknown>, schema);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

// ---------------------------------------------------------------- SQLite

/** How many commands one SQLite group commit may carry; bounds latency under load. */
export const GROUP_COMMIT_COMMANDS_MAX = 256;

interface Job {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** What the job's last run announced (afterCommit). */
  kinds: Set<Wakeup>;
  /** CommandOptions.concurrent. */
  concurrent?: boolean;
}

/**
 * SQLite with group commit. better-sqlite3 is synchronous and SQLite has one writer, so commands
 * are queued and run back to back inside one `BEGIN IMMEDIATE … COMMIT`, each in its own
 * savepoint: a command that fails rolls back to its savepoint without touching its neighbours,
 * and no caller hears of success before the COMMIT (with `synchronous=FULL`, the fsync) returns.
 * One fsync then covers many commands, which is what makes full durability fast (ADR 0002).
 */
class SqliteStore implements Database {
  readonly dialect = 'sqlite' as const;
  readonly kysely: Kysely<DB>;
  private readonly queue: Job[] = [];
  private draining = false;
  private closed = false;
  private readonly listeners = new CommitListeners();

  /** Transaction control, run on the connection directly: these run several times per command. */
  private readonly control: Record<
    'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo',
    SqliteDatabase.Statement
  >;

  constructor(
    private readonly raw: SqliteDatabase.Database,
    readonly location: string,
  ) {
    this.kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
    this.control = {
      begin: raw.prepare('BEGIN IMMEDIATE'),
      commit: raw.prepare('COMMIT'),
      rollback: raw.prepare('ROLLBACK'),
      savepoint: raw.prepare('SAVEPOINT cmd'),
      release: raw.prepare('RELEASE cmd'),
      rollbackTo: raw.prepare('ROLLBACK TO cmd'),
    };
  }

  command<T>(fn: (tx: Tx) => Promise<T>, _options?: CommandOptions): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject, kinds: new Set() });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  onCommit(kind: Wakeup, listener: () => void): () => void {
    return this.listeners.on(kind, listener);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runBatch();
    } finally {
      this.draining = false;
    }
  }

  private async runBatch(): Promise<void> {
    const done: { job: Job; ok: boolean; value: unknown }[] = [];
    let current: Job | undefined;
    try {
      // The Kysely connection is held for the whole batch; transaction control goes to the same
      // single SQLite connection directly (`control`), which spares Kysely's work on each.
      const { control } = this;
      await this.kysely.connection().execute(async (conn) => {
        bindDialect(conn, 'sqlite');
        control.begin.run();
        try {
          // Commands that arrive while the batch runs join it, up to the bound.
          while (this.queue.length > 0 && done.length < GROUP_COMMIT_COMMANDS_MAX) {
            const job = this.queue.shift() as Job;
            current = job;
            control.savepoint.run();
            try {
              const value = await runCommand(conn, job.fn, job.kinds);
              control.release.run();
              done.push({ job, ok: true, value });
            } catch (error) {
              control.rollbackTo.run();
              control.release.run();
              done.push({ job, ok: false, value: error });
            }
            current = undefined;
          }
          control.commit.run();
        } catch (error) {
          try {
            if (this.raw.inTransaction) control.rollback.run();
          } catch {
            // The transaction is gone already; the batch failed either way.
          }
          throw error;
        }
      });
    } catch (error) {
      // The batch did not commit: nobody's writes are durable, so every command in it failed.
      for (const { job } of done) job.reject(error);
      current?.reject(error);
      return;
    }
    for (const { job, ok, value } of done) (ok ? job.resolve : job.reject)(value);
    this.listeners.fire(done.flatMap(({ job, ok }) => (ok ? [...job.kinds] : [])));
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.kysely.destroy();
  }
}

/** Distinct statements kept prepared; the application has a few dozen, so this is only a bound. */
const STATEMENT_CACHE_MAX = 500;

/**
 * better-sqlite3 compiles SQL on every `prepare`, and Kysely prepares every query it runs: the
 * statements are cached by their SQL text, so each is compiled once. Kysely runs one query at a
 * time on the single connection, so a statement is never in use twice at once.
 */
function cachingStatements(raw: SqliteDatabase.Database): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (statement === undefined) {
        if (statements.size >= STATEMENT_CACHE_MAX) statements.clear();
        statement = raw.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

function openSqliteOrExplain(dataDir: string): SqliteStore {
  try {
    return openSqlite(dataDir);
  } catch (error) {
    throw new DatabaseUnavailable(
      `cannot open the SQLite database in ${dataDir}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function openSqlite(dataDir: string): SqliteStore {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'cauri.sqlite');
  }
  const raw = new SqliteDatabase(file, { timeout: 5_000 });
  raw.pragma('journal_mode = WAL');
  // Full durability: a commit is on disk when COMMIT returns (the mission's rule, ADR 0002).
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  // Each command's savepoint journals the pages it changes; in memory rather than in a temporary
  // file, that costs no system calls. Durability is the WAL's and is unaffected.
  raw.pragma('temp_store = MEMORY');
  // The writer checkpoints the WAL into the database file when the WAL reaches this many pages,
  // inside a COMMIT. Every payin and payout dirties pages all over the random-keyed indexes; fewer,
  // larger checkpoints write a page changed many times once, and sync the file less often
  // (bench: about a fifth less time in COMMIT than SQLite's default of 1000).
  raw.pragma('wal_autocheckpoint = 4000');
  return new SqliteStore(raw, file);
}

// ---------------------------------------------------------------- PostgreSQL

/** SQLSTATEs worth a retry: serialization failure and deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
export const PG_RETRIES_MAX = 5;

// BIGINT arrives as a string from node-postgres; our sums are far below 2^53, and xof() asserts it.
pg.types.setTypeParser(20, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} exceeds the safe integer range`);
  return n;
});

/** How many commands one PostgreSQL group commit may carry; bounds a batch's locks and latency. */
export const PG_GROUP_COMMANDS_MAX = 64;
/** How long a group commit waits for a row lock before it gives up and runs its commands alone. */
export const PG_BATCH_LOCK_TIMEOUT_MS = 200;

/** How many jobs from `from` on may run as one wave (CommandOptions.concurrent). */
function waveLength(jobs: readonly Job[], from: number): number {
  let end = from;
  while (end < jobs.length && jobs[end]?.concurrent === true) end++;
  return end - from;
}

/**
 * One stream of group commits: its queue, whether a group of it is executing, and its groups whose
 * COMMIT is in flight. A store has two, each executing one group at a time on a connection of its
 * own: API commands, and workers' bookkeeping, which locks no balance row.
 */
interface Lane {
  readonly queue: Job[];
  draining: boolean;
  readonly committing: Set<Promise<void>>;
}

function newLane(): Lane {
  return { queue: [], draining: false, committing: new Set() };
}

/**
 * PostgreSQL with group commit (ADR 0019). Commands are queued and run back to back on one
 * connection inside one transaction at READ COMMITTED; one COMMIT (one WAL flush) then covers them
 * all, and nobody hears of success before it returns. A hot balance row (one project's sub-account
 * that every payout debits) is then locked once per batch instead of once per command, and the
 * WAL is flushed once per batch instead of once per payout.
 *
 * In each lane (API commands; workers' bookkeeping) only one batch executes at a time; as soon as
 * its last command has run, its COMMIT is sent and the next batch starts on another connection
 * while the first one's flush is under way. A batch that is committing waits for nothing, so a
 * batch that is executing may wait for its locks but never in a cycle with it. The bookkeeping lane
 * locks no balance row, and a batch gives up a lock after PG_BATCH_LOCK_TIMEOUT_MS. Commands lock
 * their balance rows in account-id order (ledger-store.ts), as before.
 *
 * There are no savepoints (a subtransaction per command costs two round trips, and more than 64 in
 * one transaction overflow PostgreSQL's subtransaction cache): when a command throws, the whole
 * batch rolls back, unacknowledged; the command that threw (and any whose deferred writes the
 * failed statement carried) runs again alone in a transaction of its own, where a deadlock or
 * serialization failure is retried a bounded number of times, and the others go back to the front
 * of the queue. A command's function may therefore run more than once; it must only act through
 * `tx`.
 */
class PostgresStore implements Database {
  readonly dialect = 'postgres' as const;
  readonly kysely: Kysely<DB>;
  private closed = false;
  /** API commands, and workers' bookkeeping beside them (CommandOptions.separate). */
  private readonly main = newLane();
  private readonly side = newLane();
  private readonly listeners = new CommitListeners();

  /** How the store's Kysely was made, for the transaction objects of a wave's commands. */
  private readonly config: KyselyConfig;
  /** Never used by a wave's transaction objects (they neither begin nor commit); Kysely wants one. */
  private readonly driver: Driver;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly batchMax: number,
  ) {
    this.config = { dialect: new PostgresDialect({ pool }) };
    this.driver = this.config.dialect.createDriver();
    this.kysely = new Kysely<DB>(this.config);
  }

  command<T>(fn: (tx: Tx) => Promise<T>, options?: CommandOptions): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    const lane = options?.separate ? this.side : this.main;
    return new Promise<T>((resolve, reject) => {
      lane.queue.push({
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
        kinds: new Set(),
        concurrent: options?.concurrent === true,
      });
      if (!lane.draining) {
        lane.draining = true;
        setImmediate(() => void this.drain(lane));
      }
    });
  }

  onCommit(kind: Wakeup, listener: () => void): () => void {
    return this.listeners.on(kind, listener);
  }

  private async drain(lane: Lane): Promise<void> {
    try {
      while (lane.queue.length > 0) {
        const jobs = lane.queue.splice(0, this.batchMax);
        await (jobs.length === 1 ? this.runAlone(jobs[0] as Job) : this.runBatch(lane, jobs));
      }
    } finally {
      lane.draining = false;
    }
  }

  /**
   * Runs the jobs in one transaction and returns once they have run: the COMMIT goes on in the
   * background (tracked in `committing`) and settles the jobs when it returns.
   */
  private async runBatch(lane: Lane, jobs: Job[], oneByOne = false): Promise<void> {
    /** Resolves once the commands have run: with the commands that may have failed, 'wave' when a wave failed, or undefined. */
    let executed!: (failed: { from: number; to: number } | 'wave' | undefined) => void;
    const ran = new Promise<{ from: number; to: number } | 'wave' | undefined>((resolve) => {
      executed = resolve;
    });
    const values: unknown[] = [];
    const finished = this.kysely
      .connection()
      .execute(async (conn) => {
        bindDialect(conn, 'postgres');
        // A batch that waits long on a row lock is most likely in a deadlock with another process's
        // batch (PostgreSQL only looks after deadlock_timeout, 1 s by default): it gives up early,
        // rolls back, and the command that waited runs alone, locking in id order.
        await sql.raw(`begin; set local lock_timeout = ${PG_BATCH_LOCK_TIMEOUT_MS}`).execute(conn);
        let running = 0;
        // A command's deferred writes wait on the connection and ride in the next command's first
        // read of rows they cannot change (prepared.ts, `ride`), or go just before its next other
        // statement: most commands then cost one round trip. Should a statement carrying writes
        // fail, the connection knows whose writes they were (`blame`).
        try {
          while (running < jobs.length) {
            const wave = oneByOne ? 1 : waveLength(jobs, running);
            if (wave > 1) {
              if (!(await this.runWave(conn, jobs.slice(running, running + wave), values, running))) {
                await sql`rollback`.execute(conn).catch(() => undefined);
                executed('wave');
                return;
              }
              running += wave;
              continue;
            }
            const job = jobs[running] as Job;
            await sql.raw(`/*cauri:owner ${running}*/`).execute(conn);
            values[running] = await runCommand(conn, job.fn, job.kinds);
            running++;
          }
          await flushDeferred(conn);
        } catch {
          const blamed = await blame(conn, Math.min(running, jobs.length - 1));
          await sql`rollback`.execute(conn).catch(() => undefined);
          executed(blamed);
          return;
        }
        executed(undefined);
        try {
          await sql`commit`.execute(conn);
        } catch (error) {
          // Nothing of the batch is durable: every command in it failed.
          for (const job of jobs) job.reject(error);
          return;
        }
        for (const [i, job] of jobs.entries()) job.resolve(values[i]);
        this.listeners.fire(jobs.flatMap((job) => [...job.kinds]));
      })
      .catch((error: unknown) => {
        // No connection, or the connection broke before the batch ran: nobody's work happened.
        executed(undefined);
        for (const job of jobs) job.reject(error);
      });
    const failed = await ran;
    if (failed === 'wave') {
      // Some command of a wave threw (or two wanted rows in an order that could deadlock): run the
      // same group again one command after the other, where a failure is blamed exactly.
      await finished;
      return this.runBatch(lane, jobs, true);
    }
    if (failed !== undefined) {
      await finished;
      // The commands that may have failed run alone, where their own error (or success: one may
      // have collided with a neighbour) is their answer; the others, unacknowledged, go back to
      // the front of the queue.
      const alone = jobs.filter((_, i) => i >= failed.from && i <= failed.to);
      lane.queue.unshift(...jobs.filter((_, i) => i < failed.from || i > failed.to));
      for (const job of alone) await this.runAlone(job);
      return;
    }
    const commit = finished.finally(() => lane.committing.delete(commit));
    lane.committing.add(commit);
  }

  /**
   * Runs `wave` (jobs from `first` on) at the same time, each on a transaction object of its own
   * that sends straight to the group's connection, pipelined: PostgreSQL runs the statements back
   * to back while the commands' JavaScript runs as their answers arrive, and no command waits for
   * a turn of the event loop between another's statements. Returns false when one of them threw:
   * the transaction is then to be rolled back (a failed statement aborts every later one anyway).
   */
  private async runWave(conn: Tx, wave: Job[], values: unknown[], first: number): Promise<boolean> {
    await sql.raw('/*cauri:owner -1*/').execute(conn);
    await sql.raw(PIPELINE_ON).execute(conn);
    const connection = await conn.getExecutor().provideConnection((c) => Promise.resolve(c));
    const executor = conn
      .getExecutor()
      .withConnectionProvider({ provideConnection: (consumer) => consumer(connection) });
    const settled = await Promise.allSettled(
      wave.map((job, i) => {
        const tx = new Kysely<DB>({
          config: this.config,
          dialect: this.config.dialect,
          driver: this.driver,
          executor,
        });
        bindDialect(tx, 'postgres');
        const finish = joinWave(tx, conn);
        return runCommand(tx, job.fn, job.kinds)
          .then((value) => {
            values[first + i] = value;
          })
          .finally(finish);
      }),
    );
    endWave(conn);
    // Writes sent while nobody waited (pipelined) must all have answered, and none failed, before
    // the wave counts as done.
    const flushed = await flushDeferred(conn).then(
      () => true,
      () => false,
    );
    await sql.raw(PIPELINE_OFF).execute(conn);
    return flushed && settled.every((outcome) => outcome.status === 'fulfilled');
  }

  /** One command in a transaction of its own, retried on deadlock or serialization failure. */
  private async runAlone(job: Job): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        job.resolve(
          await this.kysely.transaction().execute(async (trx) => {
            bindDialect(trx, 'postgres');
            const value = await runCommand(trx, job.fn, job.kinds);
            await flushDeferred(trx);
            return value;
          }),
        );
        this.listeners.fire(job.kinds);
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < PG_RETRIES_MAX) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        job.reject(error);
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.main.draining || this.side.draining) await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.allSettled([...this.main.committing, ...this.side.committing]);
    await this.kysely.destroy();
  }
}

/** Distinct statement texts given a server-side name; beyond it, statements run unnamed. */
export const PG_NAMED_STATEMENTS_MAX = 1_000;
const statementNames = new Map<string, string>();

/** The server-side name of a statement's text, or undefined once the bound is reached. */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < PG_NAMED_STATEMENTS_MAX) {
    name = `cauri_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The statement that sends a connection's deferred writes, if any, and is not itself sent. */
const FLUSH_DEFERRED = '/*cauri:flush*/';
/** Told to a connection before each command of a group: the writes that follow are that command's. */
const OWNER_MARK = /^\/\*cauri:owner (-?\d+)\*\/$/;
/** Asks a connection whose writes were in its last failed statement; answered without the server. */
const LAST_FAILURE = '/*cauri:last-failure*/';
/**
 * Turn a connection's pipelining on and off (node-postgres's `pipeline` mode: each statement is
 * sent at once, without waiting for the answers to those before it, which still come back in
 * order). A wave's commands run with it on; it goes off again only on an idle connection.
 */
const PIPELINE_ON = '/*cauri:pipeline on*/';
const PIPELINE_OFF = '/*cauri:pipeline off*/';
/** Deferred writes one connection holds before it sends them anyway. */
const DEFERRED_MAX = 32;

interface DeferredWrite {
  verb: string;
  table: string;
  text: string;
  values: unknown[];
  /** The command of its group that wrote it (OWNER_MARK), for the blame when it fails. */
  owner: number;
}

type ClientQuery = (config: pg.QueryConfig | string, values?: unknown[]) => Promise<pg.QueryResult>;

/**
 * Deferred writes in one statement: `WITH w0 AS (insert …), w1 AS (update …) insert …`, with each
 * statement's placeholders renumbered. PostgreSQL runs every part of such a statement on one
 * snapshot, which is why a connection never puts two writes of one row in a group (see `conflicts`).
 */
function combine(writes: readonly DeferredWrite[]): { text: string; values: unknown[] } {
  if (writes.length === 1) return { text: writes[0]?.text ?? '', values: writes[0]?.values ?? [] };
  const values: unknown[] = [];
  const parts = writes.map((write) => {
    const offset = values.length;
    values.push(...write.values);
    return write.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  });
  const last = parts.pop() ?? '';
  return { text: `with ${parts.map((part, i) => `w${i} as (${part})`).join(', ')} ${last}`, values };
}

/**
 * Whether a write must not join these: parts of one statement do not see each other's effects, so
 * an UPDATE never shares a statement with another write of its table (it might be the same row),
 * and an INSERT never follows an UPDATE of its table.
 */
function conflicts(pending: readonly DeferredWrite[], write: DeferredWrite): boolean {
  return pending.some((p) => p.table === write.table && (write.verb === 'update' || p.verb === 'update'));
}

/**
 * What a pooled PostgreSQL connection adds to node-postgres (ADR 0019):
 * - parameterised statements run as named prepared statements, so PostgreSQL parses and plans
 *   each text once per connection instead of on every run (here a round trip goes from ~145 to
 *   ~85 µs). The application's statements are a few dozen shapes (prepared.ts); the bound only
 *   guards against a runaway caller;
 * - deferred writes (prepared.ts, `defer`) wait on the connection and go out together, as one
 *   statement, just before the next statement of the transaction (or FLUSH_DEFERRED at the end of
 *   a command), in order; a ROLLBACK drops them. A command's inserts and balance updates then cost
 *   one round trip instead of one each.
 */
function extendClient(client: pg.PoolClient): void {
  const query = client.query.bind(client) as ClientQuery;
  let pending: DeferredWrite[] = [];
  /** The command of a group whose writes are being deferred now (OWNER_MARK); -1 outside groups. */
  let owner = -1;
  /** The commands whose writes were in the last statement that failed, if any did. */
  let lastFailure: { from: number; to: number } | undefined;

  /**
   * The first error of writes sent without anyone waiting for their answer (pipelined, below): the
   * transaction is aborted from there on, and this is the error every later statement reports.
   */
  let detachedFailure: Error | undefined;
  /** The last statement sent: answers come in order, so once it has answered, all have. */
  let tail: Promise<unknown> = Promise.resolve();
  const pipelined = () => (client as unknown as PipelineState).pipeline;

  const send = (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    const name = values.length > 0 ? statementName(text) : undefined;
    const result = name !== undefined ? query({ name, text, values }) : query(text, values);
    tail = result.catch(() => undefined);
    return result;
  };
  /** A later statement failed because the transaction was aborted by a detached write: report that write's error. */
  const reporting = (result: Promise<pg.QueryResult>): Promise<pg.QueryResult> =>
    result.catch((error: unknown) => {
      throw detachedFailure ?? error;
    });
  /** Sends `writes` (and, as the statement's last part, `last`), noting whose writes they were should it fail. */
  const sendGroup = (
    writes: DeferredWrite[],
    last?: { text: string; values: unknown[] },
  ): Promise<pg.QueryResult> => {
    const group = combine(last ? [...writes, { verb: 'select', table: '', owner, ...last }] : writes);
    const owners = {
      from: Math.min(...writes.map((w) => w.owner)),
      to: Math.max(...writes.map((w) => w.owner)),
    };
    const result = send(group.text, group.values);
    result.catch(() => {
      lastFailure = owners;
    });
    return result;
  };
  /** Sends the pending writes, then `next`: queued on the connection in that order, at once. */
  const sendAfterPending = (next: () => Promise<pg.QueryResult>): Promise<pg.QueryResult> => {
    if (pending.length === 0) return next();
    const flushed = sendGroup(pending);
    pending = [];
    const result = next();
    return flushed.then(
      () => result,
      (error: unknown) => {
        // The transaction is aborted: what follows fails too, and the deferred write's error is the one to report.
        result.catch(() => undefined);
        throw error;
      },
    );
  };

  (client as unknown as { query: ClientQuery }).query = (config, values) => {
    if (typeof config !== 'string') return query(config, values);
    const params = values ?? [];
    const mark = DEFER_MARK.exec(config);
    if (mark) {
      const write = {
        verb: mark[1] ?? '',
        table: mark[2] ?? '',
        text: config.slice(mark[0].length),
        values: params,
        owner,
      };
      const full = conflicts(pending, write) || pending.length >= DEFERRED_MAX;
      if (full && pipelined()) {
        // Pipelined (a wave): the waiting writes go now and nobody waits for their answer; an error
        // aborts the transaction and is reported by the next statement or the final flush.
        const flushed = sendGroup(pending);
        pending = [];
        flushed.catch((error: unknown) => {
          detachedFailure ??= error instanceof Error ? error : new Error(String(error));
        });
        pending.push(write);
        return Promise.resolve(EMPTY_RESULT);
      }
      const before = full ? sendAfterPending(() => Promise.resolve(EMPTY_RESULT)) : undefined;
      pending.push(write);
      return before ?? Promise.resolve(EMPTY_RESULT);
    }
    if (config.startsWith(RIDE_MARK)) {
      // A read no waiting write changes (its caller's promise): the writes ride in its statement.
      const text = config.slice(RIDE_MARK.length);
      if (pending.length === 0) return reporting(send(text, params));
      const writes = pending;
      pending = [];
      return reporting(sendGroup(writes, { text, values: params }));
    }
    const ownerMark = OWNER_MARK.exec(config);
    if (ownerMark) {
      owner = Number(ownerMark[1]);
      return Promise.resolve(EMPTY_RESULT);
    }
    if (config === LAST_FAILURE)
      return Promise.resolve({ ...EMPTY_RESULT, rows: lastFailure ? [lastFailure] : [] });
    if (config === PIPELINE_ON || config === PIPELINE_OFF) {
      const state = client as unknown as PipelineState;
      if (config === PIPELINE_ON) state.pipeline = true;
      else if (state._queryQueue.length === 0 && state._sentQueryQueue.length === 0 && !state._activeQuery)
        state.pipeline = false;
      return Promise.resolve(EMPTY_RESULT);
    }
    if (config === FLUSH_DEFERRED) {
      // Every write sent has answered, and none failed unseen, before the command (or group) may end.
      return reporting(sendAfterPending(() => Promise.resolve(EMPTY_RESULT))).then(async (result) => {
        await tail;
        if (detachedFailure !== undefined) throw detachedFailure;
        return result;
      });
    }
    if (/^\s*(rollback|begin)\b/i.test(config)) {
      pending = [];
      lastFailure = undefined;
      detachedFailure = undefined;
      owner = -1;
      return query(config, values);
    }
    const result = reporting(sendAfterPending(() => send(config, params)));
    if (!/^\s*commit\s*$/i.test(config)) return result;
    // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, and no error: never take that for a commit.
    return result.then((answer) => {
      if (answer.command === 'ROLLBACK')
        throw detachedFailure ?? new Error('COMMIT rolled back: a statement of the transaction had failed');
      return answer;
    });
  };
}

/** The parts of node-postgres's Client (8.23) that pipelining reads; not in its published types. */
interface PipelineState {
  pipeline: boolean;
  _queryQueue: unknown[];
  _sentQueryQueue: unknown[];
  _activeQuery: unknown;
}

const EMPTY_RESULT = { command: '', rowCount: 0, rows: [], fields: [], oid: 0 } as unknown as pg.QueryResult;

/**
 * The commands of a group that may have caused its failure: the one running when it failed, and
 * every command whose deferred writes were in the statement that failed.
 */
async function blame(tx: Tx, running: number): Promise<{ from: number; to: number }> {
  const { rows } = await sql<{ from: number; to: number }>`${sql.raw(LAST_FAILURE)}`.execute(tx);
  const carried = rows[0];
  return carried === undefined
    ? { from: running, to: running }
    : { from: Math.min(carried.from, running), to: Math.max(carried.to, running) };
}

/** Sends the deferred writes of a PostgreSQL transaction now, so that their errors belong to this command. */
function flushDeferred(tx: Tx): Promise<unknown> {
  return sql.raw(FLUSH_DEFERRED).execute(tx);
}

function openPostgres(url: string, poolSize: number): PostgresStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
  });
  pool.on('connect', extendClient);
  return new PostgresStore(pool, url.replace(/\/\/[^@/]*@/, '//***@'), PG_GROUP_COMMANDS_MAX);
}
