import { setImmediate as yieldToOthers } from 'node:timers/promises';
import {
  RETENTION_TARGETS,
  type RetentionPolicy,
  type RetentionTarget,
  retentionCutoffMs,
} from '../core/retention.js';
import type { Database } from '../store/database.js';
import { countDueRows, deleteDueBatch } from '../store/retention.js';

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
    if (options.dryRun === true) {
      outcome.due = await db.command((tx) => countDueRows(tx, target, cutoffMs), SEPARATE);
      continue;
    }
    for (let batch = 0; batch < policy.batchesPerRunMax; batch++) {
      if (options.shouldStop?.() === true) return outcomes;
      const count = await db.command(
        (tx) => deleteDueBatch(tx, db.dialect, target, cutoffMs, policy.batchSize),
        SEPARATE,
      );
      outcome.deleted += count;
      if (count < policy.batchSize) break;
      outcome.more = batch === policy.batchesPerRunMax - 1;
      // Let the API's requests in between two batches.
      await yieldToOthers();
    }
  }
  return outcomes;
}
