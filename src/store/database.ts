import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.js';
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
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const url = options.databaseUrl?.trim();
  const database =
    url && /^postgres(ql)?:\/\//.test(url) ? openPostgres(url, options.poolSize ?? 10) : openSqlite(options.dataDir);
  try {
    await migrate(database.kysely as Kysely<unknown>);
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

  constructor(
    private readonly raw: SqliteDatabase.Database,
    readonly location: string,
  ) {
    this.kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) });
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
      await this.kysely.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          // Commands that arrive while the batch runs join it, up to the bound.
          while (this.queue.length > 0 && done.length < GROUP_COMMIT_COMMANDS_MAX) {
            const job = this.queue.shift() as Job;
            current = job;
            await sql`SAVEPOINT cmd`.execute(conn);
            try {
              const value = await job.fn(conn);
              await sql`RELEASE cmd`.execute(conn);
              done.push({ job, ok: true, value });
            } catch (error) {
              await sql`ROLLBACK TO cmd`.execute(conn);
              await sql`RELEASE cmd`.execute(conn);
              done.push({ job, ok: false, value: error });
            }
            current = undefined;
          }
          await sql`COMMIT`.execute(conn);
        } catch (error) {
          await sql`ROLLBACK`.execute(conn).catch(() => undefined);
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
        return await this.kysely.transaction().execute(fn);
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
