import type { Config } from '../config.js';
import {
  BackupError,
  type DatabaseCheck,
  backupSqlite,
  restoreSqlite,
  sqliteFileOf,
} from '../store/sqlite-backup.js';
import { type ParsedArgs, UsageError, checkFlags } from './args.js';

/**
 * `cauri backup` and `cauri restore` (ADR 0021). They work on the database file itself, so the
 * CLI runs them without opening the database first (which would migrate it, and, for a restore,
 * hold the very file being replaced). On PostgreSQL they print what to run instead: pg_dump and
 * pg_restore are the tools for it, and the PostgreSQL server's own backups (base backups with WAL
 * archiving) are better still.
 */
export const BACKUP_HELP = `  backup FILE [--force]                        SQLite: copy the database to FILE while the gateway runs, and
                                               check the copy (integrity, ledger balanced); --force replaces FILE
                                               PostgreSQL: prints the pg_dump command to use
  restore FILE [--force]                       SQLite: check FILE and install it as the database; over an
                                               existing one, stop the gateway and add --force (the database
                                               it replaces is kept beside it)`;

type Output = { json: unknown; text: string };

export function isBackupCommand(args: ParsedArgs): boolean {
  const [command] = args.positionals;
  return command === 'backup' || command === 'restore';
}

/** The commands to run on PostgreSQL, with the URL as configured but its password hidden. */
function postgresGuidance(databaseUrl: string, command: string): string {
  const url = databaseUrl.replace(
    /\/\/([^:@/]*)(:[^@/]*)?@/,
    (_, user: string, password: string | undefined) => `//${user}${password !== undefined ? ':***' : ''}@`,
  );
  return [
    `${command} works on a SQLite database; this gateway runs on PostgreSQL. Use the PostgreSQL tools (their major version at least the server's):`,
    `  back up (a consistent snapshot; the gateways keep running):`,
    `    pg_dump --format=custom --file=cauri.dump '${url}'`,
    `  restore, into a new, empty database (stop the gateways, then point DATABASE_URL at it):`,
    `    psql '${url}' -c 'create database cauri_restored'`,
    `    pg_restore --no-owner --exit-on-error --dbname='${url.replace(/\/[^/?]*(\?|$)/, '/cauri_restored$1')}' cauri.dump`,
    `  check it: DATABASE_URL=… cauri balances   (the ledger's totals must say "balanced")`,
    `  (see README, "Backup and restore")`,
  ].join('\n');
}

function describe(check: DatabaseCheck): string {
  const { totals } = check;
  return [
    `  ${check.bytes} bytes, ${check.createdMode ?? 'unknown'} database, schema ${check.migration ?? 'none'}`,
    `  ${check.accounts} accounts, ${check.transfers} transfers, ${check.payins} payins, ${check.payouts} payouts`,
    `  integrity ok; ledger: debits ${totals.debitsPostedXof} = credits ${totals.creditsPostedXof} → balanced`,
  ].join('\n');
}

export async function runBackupCommand(args: ParsedArgs, config: Config, nowMs: number): Promise<Output> {
  const [command = '', file, extra] = args.positionals;
  checkFlags(args, ['force']);
  if (config.databaseUrl !== undefined)
    throw new UsageError(postgresGuidance(config.databaseUrl, `cauri ${command}`));
  if (file === undefined || file === '' || extra !== undefined)
    throw new UsageError(`usage: cauri ${command} FILE [--force]`);
  if (config.dataDir === ':memory:')
    throw new UsageError(`CAURI_DATA_DIR=:memory: has no file to ${command}`);
  const force = args.booleans.has('force');
  try {
    if (command === 'backup') {
      const check = await backupSqlite(config.dataDir, file, { force });
      return {
        json: check,
        text: `backed up ${sqliteFileOf(config.dataDir)} to ${check.file}\n${describe(check)}`,
      };
    }
    const outcome = await restoreSqlite(config.dataDir, file, { force, nowMs });
    const kept =
      outcome.replacedKeptAt === null
        ? ''
        : `\n  the database it replaced is kept at ${outcome.replacedKeptAt}`;
    return {
      json: outcome,
      text: `restored ${file} to ${outcome.file}\n${describe(outcome)}${kept}\n  start the gateway on CAURI_DATA_DIR=${config.dataDir}`,
    };
  } catch (error) {
    if (error instanceof BackupError) throw new UsageError(error.message);
    throw error;
  }
}
