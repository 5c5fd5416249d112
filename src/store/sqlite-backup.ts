import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type AccountBalance, ledgerTotals } from '../core/ledger.js';
import { toBalance } from './ledger-store.js';
import type { AccountTable } from './schema.js';

/**
 * Backup and restore of the SQLite database (ADR 0021). The copy is made with SQLite's online
 * backup API, in one step, so it is one consistent snapshot however busy the gateway is (a reader
 * does not block WAL writers), then checked before it gets its final name: a backup that exists
 * is a backup that opens, passes `integrity_check`, and whose ledger balances.
 */

/** The migrations' bookkeeping table (migrations.ts). */
const MIGRATION_TABLE = 'cauri_migrations';

/** The database file under CAURI_DATA_DIR; the same name as `openSqlite` in database.ts opens. */
export const SQLITE_FILE_NAME = 'cauri.sqlite';

export function sqliteFileOf(dataDir: string): string {
  return path.join(dataDir, SQLITE_FILE_NAME);
}

/** A backup or restore that did not happen, worded for the operator; nothing was replaced. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** What the check of a copy found: enough to compare a restore with its backup. */
export interface DatabaseCheck {
  file: string;
  bytes: number;
  /** The database's `created_mode` (ADR 0009): production refuses a sandbox database at start. */
  createdMode: string | null;
  /** The newest migration applied; a gateway started on an older one migrates it. */
  migration: string | null;
  accounts: number;
  transfers: number;
  payins: number;
  payouts: number;
  totals: ReturnType<typeof ledgerTotals>;
}

/** The most problems of one kind a check lists; the first ones are enough to know the file is bad. */
const PROBLEMS_SHOWN_MAX = 5;
/** Pages per backup step: everything in one step, so the copy is one snapshot (a step restarts when another process writes). */
const BACKUP_PAGES_PER_STEP = 0x7fffffff;
/** How long the backup's read waits for a writer's lock; WAL readers do not wait for writers, so this is only a bound. */
const BUSY_TIMEOUT_MS = 5_000;

/** The tables a Cauri database has; a file without them is not one (or not from this program). */
const REQUIRED_TABLES = ['accounts', 'transfers', 'payins', 'payouts', 'settings', MIGRATION_TABLE];

/**
 * Every account's four running sums recomputed from the immutable transfers (STYLE.md, "balances
 * come from postings"), compared with the cached ones; the effects of each kind are those of
 * `applyTransfer` in src/core/ledger.ts. Lists the first accounts that differ.
 */
const RECOMPUTED_MISMATCHES = `
  with effects(account_id, dp, cp, dq, cq) as (
    select debit_account_id, amount_xof, 0, 0, 0 from transfers where kind = 'single'
    union all select credit_account_id, 0, amount_xof, 0, 0 from transfers where kind = 'single'
    union all select debit_account_id, 0, 0, amount_xof, 0 from transfers where kind = 'pending'
    union all select credit_account_id, 0, 0, 0, amount_xof from transfers where kind = 'pending'
    union all select debit_account_id, amount_xof, 0, -amount_xof, 0 from transfers where kind = 'post_pending'
    union all select credit_account_id, 0, amount_xof, 0, -amount_xof from transfers where kind = 'post_pending'
    union all select debit_account_id, 0, 0, -amount_xof, 0 from transfers where kind = 'void_pending'
    union all select credit_account_id, 0, 0, 0, -amount_xof from transfers where kind = 'void_pending'
  ),
  sums as (select account_id, sum(dp) as dp, sum(cp) as cp, sum(dq) as dq, sum(cq) as cq from effects group by account_id)
  select a.id as id from accounts a left join sums s on s.account_id = a.id
  where a.debits_posted_xof <> coalesce(s.dp, 0) or a.credits_posted_xof <> coalesce(s.cp, 0)
     or a.debits_pending_xof <> coalesce(s.dq, 0) or a.credits_pending_xof <> coalesce(s.cq, 0)
  limit ${PROBLEMS_SHOWN_MAX}`;

function count(db: SqliteDatabase.Database, table: string): number {
  return Number((db.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n);
}

/** The problems that make a copy unusable, empty when it is sound. Reads only. */
function problemsOf(db: SqliteDatabase.Database): string[] {
  const integrity = (
    db.pragma(`integrity_check(${PROBLEMS_SHOWN_MAX})`) as { integrity_check: string }[]
  ).map((row) => row.integrity_check);
  if (integrity.length !== 1 || integrity[0] !== 'ok')
    return integrity.map((line) => `integrity_check: ${line}`);
  const tables = new Set(
    (db.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[]).map(
      (row) => row.name,
    ),
  );
  const missing = REQUIRED_TABLES.filter((table) => !tables.has(table));
  if (missing.length > 0) return [`not a Cauri database: no table ${missing.join(', ')}`];
  const problems: string[] = [];
  const foreignKeys = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  for (const row of foreignKeys.slice(0, PROBLEMS_SHOWN_MAX))
    problems.push(`foreign_key_check: ${row.table} row ${row.rowid} refers to a missing ${row.parent}`);
  const unknownKinds = db
    .prepare(
      `select count(*) as n from transfers where kind not in ('single', 'pending', 'post_pending', 'void_pending')`,
    )
    .get() as { n: number };
  if (unknownKinds.n > 0) problems.push(`${unknownKinds.n} transfers of an unknown kind`);
  const totals = totalsOf(db);
  if (!totals.balanced) problems.push(`the ledger does not balance: ${JSON.stringify(totals)}`);
  for (const row of db.prepare(RECOMPUTED_MISMATCHES).all() as { id: string }[])
    problems.push(`account ${row.id}: its balance differs from the sum of its transfers`);
  return problems;
}

/** The ledger's totals as `cauri balances` computes them, streaming the accounts rather than loading them. */
function totalsOf(db: SqliteDatabase.Database): ReturnType<typeof ledgerTotals> {
  const rows = db.prepare('select * from accounts').iterate() as IterableIterator<AccountTable>;
  function* balances(): Generator<AccountBalance> {
    for (const row of rows) yield toBalance(row);
  }
  return ledgerTotals(balances());
}

/** Checks a copy and describes it; the copy is ours, so it is also made self-contained (no WAL). */
function checkCopy(file: string): DatabaseCheck {
  let db: SqliteDatabase.Database;
  try {
    db = new SqliteDatabase(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new BackupError(`${file} does not open as a SQLite database: ${messageOf(error)}`);
  }
  try {
    // A backup is one file: in rollback-journal mode, with no -wal beside it to lose on the way.
    db.pragma('journal_mode = DELETE');
    const problems = problemsOf(db);
    if (problems.length > 0) throw new BackupError(`the copy failed its check:\n  ${problems.join('\n  ')}`);
    const mode = db.prepare(`select value from settings where key = 'created_mode'`).get() as
      { value: string } | undefined;
    const migration = db.prepare(`select name from "${MIGRATION_TABLE}" order by name desc limit 1`).get() as
      { name: string } | undefined;
    return {
      file,
      bytes: 0,
      createdMode: mode?.value ?? null,
      migration: migration?.name ?? null,
      accounts: count(db, 'accounts'),
      transfers: count(db, 'transfers'),
      payins: count(db, 'payins'),
      payouts: count(db, 'payouts'),
      totals: totalsOf(db),
    };
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${file} is not a usable Cauri database: ${messageOf(error)}`);
  } finally {
    db.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Flushes a file, or a directory's entries (a rename is durable once its directory is). */
function fsyncPath(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The same file, whichever name it is given by (symbolic links, `..`); undefined when it does not exist. */
function realFile(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** Copies `source` with the online backup API to a new file beside `target`, and checks the copy. */
async function checkedCopy(
  source: SqliteDatabase.Database,
  target: string,
  suffix: string,
): Promise<{ temp: string; check: DatabaseCheck }> {
  const temp = `${target}.${suffix}-${randomBytes(4).toString('hex')}`;
  try {
    await source.backup(temp, { progress: () => BACKUP_PAGES_PER_STEP });
    const check = checkCopy(temp);
    fsyncPath(temp);
    return { temp, check: { ...check, file: target, bytes: statSync(temp).size } };
  } catch (error) {
    for (const leftover of [temp, `${temp}-journal`, `${temp}-wal`, `${temp}-shm`])
      rmSync(leftover, { force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError(`cannot copy ${source.name} to ${path.dirname(target)}: ${messageOf(error)}`);
  }
}

/**
 * `cauri backup FILE`: a consistent copy of the live database (the gateway may keep running),
 * written under a temporary name, checked, then renamed to FILE. An existing FILE is replaced
 * only with `force`.
 */
export async function backupSqlite(
  dataDir: string,
  target: string,
  options: { force: boolean },
): Promise<DatabaseCheck> {
  const live = sqliteFileOf(dataDir);
  if (!existsSync(live)) throw new BackupError(`there is no database at ${live} (CAURI_DATA_DIR=${dataDir})`);
  const file = path.resolve(target);
  if (!existsSync(path.dirname(file)))
    throw new BackupError(`the directory ${path.dirname(file)} does not exist`);
  const liveReal = realFile(live);
  if ([liveReal, `${liveReal}-wal`, `${liveReal}-shm`].includes(realFile(file)))
    throw new BackupError(`${file} is the live database itself`);
  if (existsSync(file) && !options.force)
    throw new BackupError(`${file} exists; choose a new name, or add --force to replace it`);
  const source = new SqliteDatabase(live, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  let copy: { temp: string; check: DatabaseCheck };
  try {
    copy = await checkedCopy(source, file, 'partial');
  } finally {
    source.close();
  }
  renameSync(copy.temp, file);
  fsyncPath(path.dirname(file));
  return copy.check;
}

export interface RestoreOutcome extends DatabaseCheck {
  /** Where the database that was replaced now is, if there was one. */
  replacedKeptAt: string | null;
}

/**
 * Makes sure nobody has the database open, and keeps it that way until `release`: on a WAL
 * database every open connection (a gateway, idle or not; a `cauri` command) holds a shared lock,
 * so leaving WAL mode, which needs the only connection, fails at once with SQLITE_BUSY. On success
 * the WAL has been checkpointed into the file, so the file alone is the whole database.
 */
function takeSoleAccess(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new BackupError(
        `${file} is in use (a gateway or another cauri command has it open): stop every gateway on CAURI_DATA_DIR first`,
      );
    }
    throw new BackupError(`cannot open the current database ${file}: ${messageOf(error)}`);
  }
}

/**
 * `cauri restore FILE`: installs a checked copy of FILE as the database under `dataDir`. A
 * database already there is replaced only with `force` and only when nobody has it open (stop
 * the gateway first); it is kept beside it as `cauri.sqlite.replaced-<time>`. The new file takes
 * the database's name in one atomic rename, so a gateway started at any moment finds either the
 * old database or the restored one, never none.
 */
export async function restoreSqlite(
  dataDir: string,
  backupFile: string,
  options: { force: boolean; nowMs: number },
): Promise<RestoreOutcome> {
  const from = path.resolve(backupFile);
  if (!existsSync(from)) throw new BackupError(`there is no file ${from}`);
  const target = sqliteFileOf(dataDir);
  if (realFile(from) !== undefined && realFile(from) === realFile(target))
    throw new BackupError(`${from} is the database itself`);
  const exists = existsSync(target);
  if (exists && !options.force) {
    throw new BackupError(
      `a database exists at ${target}; stop every gateway using it, then add --force to replace it (it is kept as ${SQLITE_FILE_NAME}.replaced-…)`,
    );
  }
  // A WAL left by a database that is gone would be replayed into the restored file and corrupt it.
  if (!exists && existsSync(`${target}-wal`))
    throw new BackupError(`${target}-wal exists without its database; move it away first`);
  mkdirSync(dataDir, { recursive: true });
  // Taken first and held to the end: nobody opens the database while it is being replaced.
  const current = exists ? takeSoleAccess(target) : undefined;
  try {
    return await installCopy(from, target, current !== undefined, options.nowMs);
  } finally {
    current?.close();
  }
}

/** Copies and checks the backup beside the database, keeps the current database aside (if any), and renames the copy into place. */
async function installCopy(
  from: string,
  target: string,
  replacing: boolean,
  nowMs: number,
): Promise<RestoreOutcome> {
  // A backup in WAL mode (a file copied from a stopped gateway) gets a -wal and a -shm beside it
  // when it is read; the ones this command created go again, so that FILE is left as it was.
  const created = [`${from}-wal`, `${from}-shm`].filter((file) => !existsSync(file));
  let source: SqliteDatabase.Database;
  try {
    source = new SqliteDatabase(from, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(`${from} does not open as a SQLite database: ${messageOf(error)}`);
  }
  let copy: { temp: string; check: DatabaseCheck };
  try {
    copy = await checkedCopy(source, target, 'restoring');
  } finally {
    source.close();
    for (const file of created) rmSync(file, { force: true });
  }
  let replacedKeptAt: string | null = null;
  try {
    if (replacing) {
      // The old database left WAL mode; a shared-memory index left by its last gateway describes nothing now.
      rmSync(`${target}-shm`, { force: true });
      replacedKeptAt = `${target}.replaced-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
      keepAside(target, replacedKeptAt);
    }
    renameSync(copy.temp, target);
  } catch (error) {
    rmSync(copy.temp, { force: true });
    throw new BackupError(`cannot put the restored database in place: ${messageOf(error)}`);
  }
  fsyncPath(path.dirname(target));
  return { ...copy.check, replacedKeptAt };
}

/** A second name for the current database file (a hard link; a copy where links are not allowed). */
function keepAside(file: string, aside: string): void {
  try {
    linkSync(file, aside);
  } catch {
    copyFileSync(file, aside);
    fsyncPath(aside);
  }
}
