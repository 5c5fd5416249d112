import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { OPERATORS, WALLET_OPERATOR } from '../core/operators.js';
import { accountIds } from '../core/ledger.js';
import { callbacksMigration } from './migration-0002-callbacks.js';
import { payinSurfaceMigration } from './migration-0003-payin-surface.js';
import { historyMigration } from './migration-0005-history.js';
import { consoleMigration } from './migration-0006-console.js';
import { createdIndexesMigration } from './migration-0007-created-indexes.js';
import { productionMigration } from './migration-0008-production.js';
import { callbackReceiversMigration } from './migration-0009-callback-receivers.js';
import { instancesMigration } from './migration-0010-instances.js';
import { requestIdsMigration } from './migration-0011-request-ids.js';
import { refundsMigration } from './migration-0012-refunds.js';
import { statementMigration } from './migration-0017-statement.js';
import { bulkPayoutsMigration } from './migration-0013-bulk-payouts.js';
import { operatorHealthMigration } from './migration-0014-operator-health.js';
import { reconciliationMigration } from './migration-0015-reconciliation.js';
import { retentionMigration } from './migration-0016-retention.js';
import { simulatorCreditsMigration } from './migration-0018-simulator-credits.js';
import { reasonCodesMigration } from './migration-0019-reason-codes.js';

/**
 * Migrations are code, shared by SQLite and PostgreSQL through Kysely's schema builder. Kysely's
 * migrator takes a lock (an advisory lock on PostgreSQL), so several instances starting at once
 * migrate once.
 */
const money = 'bigint' as const;
const ms = 'bigint' as const;

const init: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('projects')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('apikey', 'text', (c) => c.notNull().unique())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('payin_enabled', 'integer', (c) => c.notNull())
      .addColumn('payout_enabled', 'integer', (c) => c.notNull())
      .addColumn('allowed_ips', 'text', (c) => c.notNull())
      .addColumn('operator_ids', 'text', (c) => c.notNull())
      .addColumn('callback_url', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text')
      .addColumn('operator_id', 'text')
      .addColumn('phone', 'text')
      .addColumn('holder_name', 'text')
      .addColumn('must_not_overdraw', 'integer', (c) => c.notNull())
      .addColumn('debits_posted_xof', money, (c) => c.notNull().check(sql`debits_posted_xof >= 0`))
      .addColumn('credits_posted_xof', money, (c) => c.notNull().check(sql`credits_posted_xof >= 0`))
      .addColumn('debits_pending_xof', money, (c) => c.notNull().check(sql`debits_pending_xof >= 0`))
      .addColumn('credits_pending_xof', money, (c) => c.notNull().check(sql`credits_pending_xof >= 0`))
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      // The database refuses an overdraft even if the code above it were wrong.
      .addCheckConstraint(
        'accounts_no_overdraft',
        sql`must_not_overdraw = 0 OR credits_posted_xof - debits_posted_xof - debits_pending_xof >= 0`,
      )
      .execute();
    await db.schema.createIndex('accounts_project').on('accounts').columns(['project_id']).execute();

    await db.schema
      .createTable('transfers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('pending_id', 'text', (c) => c.unique())
      .addColumn('debit_account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('credit_account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('amount_xof', money, (c) => c.notNull().check(sql`amount_xof > 0`))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text')
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('transfers_subject').on('transfers').columns(['subject_id']).execute();
    await db.schema.createIndex('transfers_debit').on('transfers').columns(['debit_account_id']).execute();
    await db.schema.createIndex('transfers_credit').on('transfers').columns(['credit_account_id']).execute();

    await db.schema
      .createTable('payins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('number', 'text', (c) => c.notNull().unique())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('amount_xof', money, (c) => c.notNull())
      .addColumn('customer', 'text')
      .addColumn('operator_id', 'text')
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('custom_data', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('merchant_transaction_id', 'text')
      .addColumn('callback_url', 'text', (c) => c.notNull())
      .addColumn('logfile', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('updated_at_ms', ms, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('payins_project_created')
      .on('payins')
      .columns(['project_id', 'created_at_ms'])
      .execute();

    await db.schema
      .createTable('payouts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('number', 'text', (c) => c.notNull().unique())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('top_up_wallet', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('amount_xof', money, (c) => c.notNull())
      .addColumn('customer', 'text', (c) => c.notNull())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('custom_data', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('merchant_transaction_id', 'text')
      .addColumn('callback_url', 'text', (c) => c.notNull())
      .addColumn('logfile', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('pending_transfer_id', 'text')
      .addColumn('dispatch_state', 'text', (c) => c.notNull())
      .addColumn('dispatch_attempts', 'integer', (c) => c.notNull())
      .addColumn('dispatch_after_ms', ms, (c) => c.notNull())
      .addColumn('operator_reference', 'text')
      .addColumn('status_reason', 'text')
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('updated_at_ms', ms, (c) => c.notNull())
      .execute();
    // "Transaction already exists" (createWithdrawal Code07): one merchant transaction id per project.
    await db.schema
      .createIndex('payouts_merchant_transaction')
      .on('payouts')
      .columns(['project_id', 'merchant_transaction_id'])
      .unique()
      .execute();
    await db.schema
      .createIndex('payouts_dispatch')
      .on('payouts')
      .columns(['dispatch_state', 'dispatch_after_ms'])
      .execute();

    await db.schema
      .createTable('otps')
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('amount_xof', money, (c) => c.notNull())
      .addColumn('expires_at_ms', ms, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('issued_in_window', 'integer', (c) => c.notNull())
      .addColumn('window_started_at_ms', ms, (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addPrimaryKeyConstraint('otps_pk', ['project_id', 'phone'])
      .execute();

    await db.schema
      .createTable('sms')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sms_created').on('sms').columns(['created_at_ms']).execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('subject_type', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at_ms', ms, (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('outbox_due')
      .on('outbox')
      .columns(['status', 'next_attempt_at_ms'])
      .execute();
    await db.schema.createIndex('outbox_subject').on('outbox').columns(['subject_id']).execute();

    await db.schema
      .createTable('idempotency')
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('endpoint', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_pk', ['project_id', 'idempotency_key'])
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();

    // Every operator has a settlement account (money outside Cauri, at the operator) from the start,
    // and one system account is where funding in the sandbox and from the CLI comes from.
    const now = Date.now();
    const system = [...OPERATORS, WALLET_OPERATOR].map((op) => ({
      id: accountIds.settlement(op.id),
      kind: 'settlement',
      operator_id: op.id,
    }));
    system.push({ id: accountIds.funding, kind: 'system', operator_id: '' });
    await db
      .insertInto('accounts' as never)
      .values(
        system.map((row) => ({
          ...row,
          operator_id: row.operator_id || null,
          must_not_overdraw: 0,
          debits_posted_xof: 0,
          credits_posted_xof: 0,
          debits_pending_xof: 0,
          credits_pending_xof: 0,
          created_at_ms: now,
        })) as never,
      )
      .execute();
  },
};

/** The SMS inbox is read by phone, newest first (debitotp's OTPs): one index serves that query. */
const smsByPhone: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('sms_phone_created').on('sms').columns(['phone', 'created_at_ms']).execute();
  },
};

const MIGRATIONS: Record<string, Migration> = {
  '0001_init': init,
  '0002_callbacks': callbacksMigration,
  '0003_payin_surface': payinSurfaceMigration,
  '0004_sms_by_phone': smsByPhone,
  '0005_history': historyMigration,
  '0006_console': consoleMigration,
  '0007_created_indexes': createdIndexesMigration,
  '0008_production': productionMigration,
  '0009_callback_receivers': callbackReceiversMigration,
  '0010_instances': instancesMigration,
  '0011_request_ids': requestIdsMigration,
  '0012_refunds': refundsMigration,
  '0013_bulk_payouts': bulkPayoutsMigration,
  '0014_operator_health': operatorHealthMigration,
  '0015_reconciliation': reconciliationMigration,
  '0016_retention': retentionMigration,
  '0017_statement': statementMigration,
  '0018_simulator_credits': simulatorCreditsMigration,
  '0019_reason_codes': reasonCodesMigration,
};

/** The migrations this code knows, for `/ready` (ADR 0020): a database that lacks one, or has one more, is not this code's. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);
export const MIGRATION_TABLE_NAME = 'cauri_migrations';

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

const MIGRATE_ATTEMPTS_MAX = 5;
const MIGRATION_TABLE = 'cauri_migrations';

/**
 * SQLSTATEs of Kysely's PostgreSQL introspection racing another process's DDL: it reads the
 * catalogue of every schema in the database (and calls pg_get_serial_sequence on each column), so
 * a schema, table or column dropped meanwhile by someone else fails the read (invalid schema,
 * undefined table, undefined column). That happens before any migration runs.
 */
const INTROSPECTION_RACES = new Set(['3F000', '42P01', '42703']);

/** Whether every migration is recorded as run already: the common start, which needs no migrator. */
async function upToDate(db: Kysely<unknown>, schema: string | undefined): Promise<boolean> {
  const table = schema !== undefined ? sql.table(`${schema}.${MIGRATION_TABLE}`) : sql.table(MIGRATION_TABLE);
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    const done = new Set(rows.map((r) => r.name));
    return Object.keys(MIGRATIONS).every((name) => done.has(name));
  } catch {
    // No migration table yet (a new database): the migrator creates it.
    return false;
  }
}

export async function migrate(db: Kysely<unknown>, schema?: string): Promise<void> {
  // Kysely looks for its tables in every schema unless told which: another Cauri schema in the same
  // PostgreSQL database would pass for ours, and the migration would then fail or be skipped.
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'cauri_migrations_lock',
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  // A database that is up to date is not introspected at all (PostgreSQL reads inside a failed
  // statement would abort a transaction, so this runs on its own, outside any).
  if (await upToDate(db, schema)) return;
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    // No migration ran when the introspection failed, so trying again is safe.
    const code = (error as { code?: unknown } | undefined)?.code;
    if (
      failed === undefined &&
      typeof code === 'string' &&
      INTROSPECTION_RACES.has(code) &&
      attempt < MIGRATE_ATTEMPTS_MAX
    )
      continue;
    if (error !== undefined || failed) {
      throw new Error(
        `database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`,
      );
    }
    return;
  }
}
