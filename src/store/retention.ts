import type { CompiledQuery, DeleteResult } from 'kysely';
import type { RetentionTarget } from '../core/retention.js';
import type { Dialect, Tx } from './database.js';

/**
 * Retention's queries (ADR 0022): per target, the count of its due rows and the delete of one
 * batch of its oldest due rows, chosen by a subquery on the target's time index. On PostgreSQL a
 * batch skips the rows another instance's batch has locked, so that instances share the work.
 */
/** Callback events whose attempts stay whatever their age: their delivery is not over. */
const OPEN_EVENT_STATUSES = ['pending', 'delivering'];

/** A batch's delete statement: run by the worker, compiled by the tests that read its query plan. */
interface BatchDelete {
  compile(): CompiledQuery;
  executeTakeFirst(): Promise<DeleteResult>;
}

interface TargetQueries {
  countDue(tx: Tx, cutoffMs: number): Promise<number>;
  deleteBatch(tx: Tx, dialect: Dialect, cutoffMs: number, batchSize: number): BatchDelete;
}

const counted = (row: { n: string | number | bigint } | undefined): number => Number(row?.n ?? 0);

/** `FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's writers are serialized anyway. */
function lockedIfPostgres<Q extends { forUpdate(): Q; skipLocked(): Q }>(query: Q, dialect: Dialect): Q {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

function dueAttempts(tx: Tx, cutoffMs: number) {
  return tx
    .selectFrom('callback_attempts as a')
    .where('a.started_at_ms', '<', cutoffMs)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('outbox as o')
            .select('o.id')
            .whereRef('o.id', '=', 'a.event_id')
            .where('o.status', 'in', OPEN_EVENT_STATUSES),
        ),
      ),
    );
}

function dueExchanges(tx: Tx, cutoffMs: number) {
  return tx
    .selectFrom('operator_exchanges as x')
    .where('x.started_at_ms', '<', cutoffMs)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('payins as p')
            .select('p.id')
            .whereRef('p.id', '=', 'x.subject_id')
            .where('p.status', '=', 'pending'),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('payouts as q')
            .select('q.id')
            .whereRef('q.id', '=', 'x.subject_id')
            .where('q.status', '=', 'pending'),
        ),
      ),
    );
}

const dueIdempotency = (tx: Tx, cutoffMs: number) =>
  tx.selectFrom('idempotency as k').where('k.created_at_ms', '<', cutoffMs);
const dueAudit = (tx: Tx, cutoffMs: number) =>
  tx.selectFrom('console_audit as l').where('l.at_ms', '<', cutoffMs);
const dueSessions = (tx: Tx, cutoffMs: number) =>
  tx.selectFrom('console_sessions as s').where('s.expires_at_ms', '<', cutoffMs);

export const RETENTION_QUERIES: Record<RetentionTarget, TargetQueries> = {
  callback_attempts: {
    countDue: async (tx, cutoffMs) =>
      counted(
        await dueAttempts(tx, cutoffMs)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    deleteBatch: (tx, dialect, cutoffMs, batchSize) => {
      const batch = lockedIfPostgres(
        dueAttempts(tx, cutoffMs)
          .select(['a.event_id', 'a.attempt', 'a.encoding'])
          .orderBy('a.started_at_ms')
          .limit(batchSize),
        dialect,
      );
      return tx
        .deleteFrom('callback_attempts')
        .where((eb) =>
          eb(
            eb.refTuple('event_id', 'attempt', 'encoding'),
            'in',
            batch.$asTuple('event_id', 'attempt', 'encoding'),
          ),
        );
    },
  },
  operator_exchanges: {
    countDue: async (tx, cutoffMs) =>
      counted(
        await dueExchanges(tx, cutoffMs)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    deleteBatch: (tx, dialect, cutoffMs, batchSize) => {
      const batch = lockedIfPostgres(
        dueExchanges(tx, cutoffMs).select('x.id').orderBy('x.started_at_ms').limit(batchSize),
        dialect,
      );
      return tx.deleteFrom('operator_exchanges').where('id', 'in', batch);
    },
  },
  idempotency: {
    countDue: async (tx, cutoffMs) =>
      counted(
        await dueIdempotency(tx, cutoffMs)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    deleteBatch: (tx, dialect, cutoffMs, batchSize) => {
      const batch = lockedIfPostgres(
        dueIdempotency(tx, cutoffMs)
          .select(['k.project_id', 'k.idempotency_key'])
          .orderBy('k.created_at_ms')
          .limit(batchSize),
        dialect,
      );
      return tx
        .deleteFrom('idempotency')
        .where((eb) =>
          eb(
            eb.refTuple('project_id', 'idempotency_key'),
            'in',
            batch.$asTuple('project_id', 'idempotency_key'),
          ),
        );
    },
  },
  console_audit: {
    countDue: async (tx, cutoffMs) =>
      counted(
        await dueAudit(tx, cutoffMs)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    deleteBatch: (tx, dialect, cutoffMs, batchSize) => {
      const batch = lockedIfPostgres(
        dueAudit(tx, cutoffMs).select('l.id').orderBy('l.at_ms').limit(batchSize),
        dialect,
      );
      return tx.deleteFrom('console_audit').where('id', 'in', batch);
    },
  },
  console_sessions: {
    countDue: async (tx, cutoffMs) =>
      counted(
        await dueSessions(tx, cutoffMs)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    deleteBatch: (tx, dialect, cutoffMs, batchSize) => {
      const batch = lockedIfPostgres(
        dueSessions(tx, cutoffMs).select('s.id_hash').orderBy('s.expires_at_ms').limit(batchSize),
        dialect,
      );
      return tx.deleteFrom('console_sessions').where('id_hash', 'in', batch);
    },
  },
};

/** How many rows of the target are older than the cutoff and may go. */
export function countDueRows(tx: Tx, target: RetentionTarget, cutoffMs: number): Promise<number> {
  return RETENTION_QUERIES[target].countDue(tx, cutoffMs);
}

/** Deletes one batch of the target's oldest due rows; returns how many went. */
export async function deleteDueBatch(
  tx: Tx,
  dialect: Dialect,
  target: RetentionTarget,
  cutoffMs: number,
  batchSize: number,
): Promise<number> {
  const result = await RETENTION_QUERIES[target]
    .deleteBatch(tx, dialect, cutoffMs, batchSize)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
