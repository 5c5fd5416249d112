import { setImmediate as yieldToOthers } from 'node:timers/promises';
import {
  RETENTION_TARGETS,
  type RetentionPolicy,
  type RetentionTarget,
  retentionCutoffMs,
} from '../core/retention.js';
import type { CompiledQuery, DeleteResult } from 'kysely';
import type { Database, Dialect, Tx } from '../store/database.js';

/**
 * Retention's deletes (ADR 0022). Each batch is one transaction that deletes at most
 * `batchSize` of a target's oldest due rows, chosen by a subquery on the target's time index, so
 * no delete holds its locks for long and the API's commands interleave with a large backlog.
 * Deleting is idempotent: several instances may run retention at once; on PostgreSQL each batch
 * skips the rows another instance's batch has locked, so they share the work instead of queueing.
 *
 * What a live payment needs is never due: the attempts of a callback event still pending or in
 * delivery, and the operator exchanges of a payin or payout still pending. The ledger, payins,
 * payouts, transaction events and the outbox are not targets at all.
 */
const SEPARATE = { separate: true } as const;
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

export interface RetentionOutcome {
  target: RetentionTarget;
  /** 0: kept forever, nothing is due. */
  keepDays: number;
  /** Rows older than this are due; null when kept forever. */
  cutoffMs: number | null;
  /** Rows deleted by this run (0 in a dry run). */
  deleted: number;
  /** In a dry run, the rows that are due; otherwise null (counting would read what was deleted). */
  due: number | null;
  /** The run stopped at its bound with rows still due: the next run goes on. */
  more: boolean;
}

export interface RetentionRunOptions {
  dryRun?: boolean;
  /** Asked between batches; true ends the run there (the gateway is stopping). */
  shouldStop?: () => boolean;
}

/** One run over every target: at most `batchesPerRunMax` batches of `batchSize` rows each. */
export async function runRetention(
  db: Database,
  policy: RetentionPolicy,
  nowMs: number,
  options: RetentionRunOptions = {},
): Promise<RetentionOutcome[]> {
  const outcomes: RetentionOutcome[] = [];
  for (const target of RETENTION_TARGETS) {
    const cutoffMs = retentionCutoffMs(policy, target, nowMs);
    const outcome: RetentionOutcome = {
      target,
      keepDays: policy.keepDays[target],
      cutoffMs: cutoffMs ?? null,
      deleted: 0,
      due: null,
      more: false,
    };
    outcomes.push(outcome);
    if (cutoffMs === undefined) continue;
    const queries = RETENTION_QUERIES[target];
    if (options.dryRun === true) {
      outcome.due = await db.command((tx) => queries.countDue(tx, cutoffMs), SEPARATE);
      continue;
    }
    for (let batch = 0; batch < policy.batchesPerRunMax; batch++) {
      if (options.shouldStop?.() === true) return outcomes;
      const result = await db.command(
        (tx) => queries.deleteBatch(tx, db.dialect, cutoffMs, policy.batchSize).executeTakeFirst(),
        SEPARATE,
      );
      const count = Number(result.numDeletedRows);
      outcome.deleted += count;
      if (count < policy.batchSize) break;
      outcome.more = batch === policy.batchesPerRunMax - 1;
      // Let the API's requests in between two batches.
      await yieldToOthers();
    }
  }
  return outcomes;
}
