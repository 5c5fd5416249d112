import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * Issue 12, operations (ADR 0020): the history of a payin or payout says which HTTP request caused
 * each state change. A trigger cannot see the request, so the command that writes the row names it
 * in `last_request_id` (src/commands/request-context.ts), and the history triggers of migration 0005
 * copy that column into the event they write, in the same statement. Works alike on SQLite and
 * PostgreSQL, and whatever the store batches: the id travels in the row itself.
 *
 * The column holds a stamp, `<request id>#<n>`, new for every write (request ids never contain
 * `#`). An insert records the request part of its stamp; an update only when its stamp differs
 * from the row's previous one, i.e. when this write named a request. A writer that does not stamp
 * (a worker) leaves the previous stamp in place, and its change is recorded with no request.
 */
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

interface Subject {
  table: 'payins' | 'payouts';
  type: 'payin' | 'payout';
  watched: string[];
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

function eventInsert(s: Subject, requestId: string): string {
  return (
    'INSERT INTO transaction_events (subject_id, subject_type, project_id, status, reason, dispatch_state, at_ms, request_id) ' +
    `VALUES (NEW.id, '${s.type}', NEW.project_id, NEW.status, NEW.status_reason, ${s.dispatchState}, NEW.updated_at_ms, ${requestId});`
  );
}

/** The request part of the new stamp (SQLite has no split_part). */
const SQLITE_REQUEST = "substr(NEW.last_request_id, 1, instr(NEW.last_request_id || '#', '#') - 1)";

/** SQLite cannot alter a trigger: the two of each table are dropped and created again, with the same conditions as 0005's. */
function sqliteTriggers(): string[] {
  return SUBJECTS.flatMap((s) => [
    `DROP TRIGGER IF EXISTS ${s.table}_history_insert`,
    `DROP TRIGGER IF EXISTS ${s.table}_history_update`,
    `CREATE TRIGGER ${s.table}_history_insert AFTER INSERT ON ${s.table} BEGIN ${eventInsert(s, SQLITE_REQUEST)} END`,
    `CREATE TRIGGER ${s.table}_history_update AFTER UPDATE OF ${s.watched.join(', ')} ON ${s.table} ` +
      `WHEN ${s.watched.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ')} ` +
      `BEGIN ${eventInsert(s, `CASE WHEN NEW.last_request_id IS NOT OLD.last_request_id THEN ${SQLITE_REQUEST} END`)} END`,
  ]);
}

/**
 * On PostgreSQL the triggers call one function per table: replacing the function is enough. OLD is
 * only read on UPDATE (nested IF: plpgsql does not promise to short-circuit an OR).
 */
function postgresFunctions(): string[] {
  return SUBJECTS.map(
    (s) =>
      `CREATE OR REPLACE FUNCTION cauri_${s.type}_history() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ ` +
      'DECLARE rid text; BEGIN ' +
      "IF TG_OP = 'INSERT' THEN rid := split_part(NEW.last_request_id, '#', 1); " +
      "ELSIF NEW.last_request_id IS DISTINCT FROM OLD.last_request_id THEN rid := split_part(NEW.last_request_id, '#', 1); END IF; " +
      `${eventInsert(s, 'rid')} RETURN NULL; END $$`,
  );
}

export const requestIdsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('payins').addColumn('last_request_id', 'text').execute();
    await db.schema.alterTable('payouts').addColumn('last_request_id', 'text').execute();
    await db.schema.alterTable('transaction_events').addColumn('request_id', 'text').execute();
    for (const statement of isPostgres(db) ? postgresFunctions() : sqliteTriggers())
      await sql.raw(statement).execute(db);
  },
};
