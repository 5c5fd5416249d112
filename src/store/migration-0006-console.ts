import type { Kysely, Migration } from 'kysely';

/**
 * The operator console (ADR 0008): operator accounts with scrypt password hashes and a lock-out
 * counter, server-side sessions keyed by the SHA-256 of the cookie's value (a stolen table opens
 * no session), and an audit trail of what each operator did.
 */
const ms = 'bigint' as const;

export const consoleMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('console_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('failed_attempts', 'integer', (c) => c.notNull())
      .addColumn('locked_until_ms', ms)
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('password_changed_at_ms', ms, (c) => c.notNull())
      .addColumn('last_sign_in_at_ms', ms)
      .execute();

    await db.schema
      .createTable('console_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('console_users.id').onDelete('cascade'))
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('last_seen_at_ms', ms, (c) => c.notNull())
      .addColumn('expires_at_ms', ms, (c) => c.notNull())
      .addColumn('ip', 'text', (c) => c.notNull())
      .addColumn('user_agent', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('console_sessions_user')
      .on('console_sessions')
      .columns(['user_id'])
      .execute();

    await db.schema
      .createTable('console_audit')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at_ms', ms, (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('ip', 'text', (c) => c.notNull())
      .execute();
  },
};
