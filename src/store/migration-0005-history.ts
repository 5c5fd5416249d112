import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * The history of every payin and payout, for the operator console: one row per state change, and
 * one row per exchange with an operator.
 *
 * State changes are recorded by database triggers rather than by the commands: no code path can
 * forget one, and the row commits in the same transaction as the change it describes. A trigger
 * fires on insert, and on update only when the status, the status reason or (for payouts) the
 * dispatch state actually changed, so the hot commands pay for one small insert per real change.
 * `at_ms` is the row's `updated_at_ms`: the application's clock, not the database's.
 */
const ms = 'bigint' as const;

/**
 * Kysely hands migrations a dialect-neutral `Kysely<unknown>`; its adapter is the one reliable
 * witness of the dialect (Kysely's own migrator asks it the same way).
 */
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export const historyMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = isPostgres(db);
    await db.schema
      .createTable('transaction_events')
      .addColumn('seq', postgres ? 'bigint' : 'integer', (c) =>
        postgres ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('subject_type', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('dispatch_state', 'text')
      .addColumn('at_ms', ms, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('transaction_events_subject')
      .on('transaction_events')
      .columns(['subject_id', 'seq'])
      .execute();

    await db.schema
      .createTable('operator_exchanges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subject_id', 'text')
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('started_at_ms', ms, (c) => c.notNull())
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('operator_exchanges_subject')
      .on('operator_exchanges')
      .columns(['subject_id', 'started_at_ms'])
      .execute();

    // The console's most common question is "what happened to this customer's money": searching by
    // phone must not scan every transaction. Other filters (token, status, project) already have
    // an index, or are narrowed by one; these two are the only indexes added to the hot tables.
    await db.schema
      .createIndex('payins_customer_created')
      .on('payins')
      .columns(['customer', 'created_at_ms'])
      .execute();
    await db.schema
      .createIndex('payouts_customer_created')
      .on('payouts')
      .columns(['customer', 'created_at_ms'])
      .execute();

    for (const statement of postgres ? postgresTriggers() : sqliteTriggers())
      await sql.raw(statement).execute(db);
  },
};

interface Subject {
  table: 'payins' | 'payouts';
  type: 'payin' | 'payout';
  /** The columns whose change is an event. */
  watched: string[];
  /** The dispatch state, or NULL for payins, which have none. */
  dispatchState: string;
}

const SUBJECTS: Subject[] = [
  { table: 'payins', type: 'payin', watched: ['status', 'status_reason'], dispatchState: 'NULL' },
  {
    table: 'payouts',
    type: 'payout',
    watched: ['status', 'status_reason', 'dispatch_state'],
    dispatchState: 'NEW.dispatch_state',
  },
];

function eventInsert(s: Subject): string {
  return (
    'INSERT INTO transaction_events (subject_id, subject_type, project_id, status, reason, dispatch_state, at_ms) ' +
    `VALUES (NEW.id, '${s.type}', NEW.project_id, NEW.status, NEW.status_reason, ${s.dispatchState}, NEW.updated_at_ms);`
  );
}

function sqliteTriggers(): string[] {
  return SUBJECTS.flatMap((s) => [
    `CREATE TRIGGER ${s.table}_history_insert AFTER INSERT ON ${s.table} BEGIN ${eventInsert(s)} END`,
    `CREATE TRIGGER ${s.table}_history_update AFTER UPDATE OF ${s.watched.join(', ')} ON ${s.table} ` +
      `WHEN ${s.watched.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ')} BEGIN ${eventInsert(s)} END`,
  ]);
}

/**
 * One plpgsql function per table (payins have no dispatch state to read). The function is created
 * in the migrating schema, which need not be `public` (the tests use one schema each), and pins
 * that search path (`SET search_path FROM CURRENT`), so that its unqualified `transaction_events`
 * always means the table beside the one that fired, whatever the session's search path.
 */
function postgresTriggers(): string[] {
  return SUBJECTS.flatMap((s) => {
    const fn = `cauri_${s.type}_history`;
    return [
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ ` +
        `BEGIN ${eventInsert(s)} RETURN NULL; END $$`,
      `CREATE TRIGGER ${s.table}_history_insert AFTER INSERT ON ${s.table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      `CREATE TRIGGER ${s.table}_history_update AFTER UPDATE OF ${s.watched.join(', ')} ON ${s.table} FOR EACH ROW ` +
        `WHEN (${s.watched.map((c) => `NEW.${c} IS DISTINCT FROM OLD.${c}`).join(' OR ')}) EXECUTE FUNCTION ${fn}()`,
    ];
  });
}
