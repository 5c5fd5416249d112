import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase as KyselySqliteDatabase, sql } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.js';
import { bindDialect } from './prepared.js';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
export type Tx = Kysely<DB>;

/**
 * The store's one entry point. `command` runs a function as one atomic unit of work: all of its
 * writes commit together or none do (STYLE.md, "One command, one database transaction").
 */
export interface Database {
  readonly dialect: Dialect;
  /** Where the data lives, for start-up messages: a file path or a redacted URL. */
  readonly location: string;
  command<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
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
const TRANSIENT_CONNECT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', '57P03', '53300']);
const CONNECT_BACKOFF_FIRST_MS = 250;
const CONNECT_BACKOFF_MAX_MS = 5_000;

function describeConnectError(error: unknown): { transient: boolean; reason: string } {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const transient = (typeof code === 'string' && TRANSIENT_CONNECT.has(code)) || /timeout|terminated unexpectedly/i.test(message);
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
  if (url !== undefined && url !== '' && !/^postgres(ql)?:\/\//.test(url)) throw new DatabaseUnavailable('the database URL must be a postgres:// or postgresql:// URL');
  const database = url !== undefined && url !== '' ? openPostgres(url, options.poolSize ?? 10) : openSqliteOrExplain(options.dataDir);
  try {
    if (database.dialect === 'postgres') await waitForPostgres(database, options);
    const schema = database.dialect === 'postgres' ? (await sql<{ name: string }>`select current_schema() as name`.execute(database.kysely)).rows[0]?.name : undefined;
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

  /** Transaction control, run on the connection directly: these run several times per command. */
  private readonly control: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', SqliteDatabase.Statement>;

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

  command<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
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
              const value = await job.fn(conn);
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
    throw new DatabaseUnavailable(`cannot open the SQLite database in ${dataDir}: ${error instanceof Error ? error.message : String(error)}`);
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

/**
 * PostgreSQL: one real transaction per command at READ COMMITTED. Commands lock the balance rows
 * they change with `SELECT … FOR UPDATE` in account-id order (ledger-store.ts), and a deadlock or
 * serialization failure is retried a bounded number of times (ADR 0003).
 */
class PostgresStore implements Database {
  readonly dialect = 'postgres' as const;
  readonly kysely: Kysely<DB>;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {
    this.kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  }

  async command<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.kysely.transaction().execute((trx) => {
          bindDialect(trx, 'postgres');
          return fn(trx);
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < PG_RETRIES_MAX) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        throw error;
      }
    }
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
  }
}

function openPostgres(url: string, poolSize: number): PostgresStore {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000, statement_timeout: 30_000 });
  return new PostgresStore(pool, url.replace(/\/\/[^@/]*@/, '//***@'));
}
