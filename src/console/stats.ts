import { assert } from '../core/assert.js';
import { operatorById } from '../core/operators.js';
import { DAY_MS, type GroupedCounts, countsByDay } from '../store/console-stats.js';
import type { Tx } from '../store/database.js';
import { compareOperatorIds } from './operator-order.js';

/**
 * What the operator console shows on its dashboard: payins and payouts per UTC day and per
 * operator, read in the caller's transaction (the queries are in store/console-stats.ts) and
 * spread over a dense series here. No HTTP, no HTML (the console renders; charts.ts draws).
 * The balances page's read model is balances.ts.
 */

/** The longest period the dashboard covers; a bound on the series and on the rows scanned. */
export const STATS_DAYS_MAX = 90;

/** Payins or payouts of one day (or one period), by their status today. */
export interface Counts {
  created: number;
  /** Of those created, how many are `completed` now. */
  completed: number;
  /** Of those created, how many ended in failure (`notcompleted`, and any final status but `completed`). */
  failed: number;
  /** The sum of `amount_xof` of the completed ones. */
  volumeXof: number;
}

export interface FlowCounts {
  payins: Counts;
  payouts: Counts;
}

/** One UTC day of the series: from `dayStartMs` (midnight UTC) for 24 hours. */
export interface DayPoint extends FlowCounts {
  dayStartMs: number;
}

/** One operator over the period; `days` is aligned index by index with `DashboardStats.days`. */
export interface OperatorPoint {
  /** Null for payins whose operator is not chosen yet (a hosted page nobody paid on). */
  operatorId: string | null;
  operatorName: string;
  days: FlowCounts[];
  totals: FlowCounts;
}

export interface DashboardStats {
  /** Midnight UTC of the first day; the period ends at `toMs` (exclusive), the end of today. */
  fromMs: number;
  toMs: number;
  /** Exactly one point per day, oldest first; days without data are zeros. */
  days: DayPoint[];
  /** Operators that had at least one payin or payout in the period, by operator id. */
  operators: OperatorPoint[];
  totals: FlowCounts;
}

/**
 * completed / (completed + failed), or undefined when nothing is final yet. Pending ones are left
 * out: they are neither a success nor a failure, and counting them would dip today's rate.
 */
export function successRate(counts: Counts): number | undefined {
  const final = counts.completed + counts.failed;
  return final === 0 ? undefined : counts.completed / final;
}

export function zeroCounts(): Counts {
  return { created: 0, completed: 0, failed: 0, volumeXof: 0 };
}

function zeroFlows(): FlowCounts {
  return { payins: zeroCounts(), payouts: zeroCounts() };
}

function addInto(target: Counts, more: Counts): void {
  target.created += more.created;
  target.completed += more.completed;
  target.failed += more.failed;
  target.volumeXof += more.volumeXof;
  assert(Number.isSafeInteger(target.volumeXof), 'volume exceeds the safe integer range');
}

/** The series' day count: at least 1, at most STATS_DAYS_MAX. */
export function clampDays(days: number): number {
  assert(Number.isFinite(days), `days ${days} is not a number`);
  return Math.min(STATS_DAYS_MAX, Math.max(1, Math.floor(days)));
}

/**
 * Payins and payouts per UTC day and per operator over the last `days` days, today included. A
 * payin counts on the day it was created, with the status it has now (a cohort view): yesterday's
 * payin completed this morning is yesterday's success.
 */
export async function dashboardStats(
  tx: Tx,
  options: { nowMs: number; days: number; projectId?: string },
): Promise<DashboardStats> {
  const dayCount = clampDays(options.days);
  const lastDay = Math.floor(options.nowMs / DAY_MS);
  const firstDay = lastDay - dayCount + 1;
  const fromMs = firstDay * DAY_MS;
  const toMs = (lastDay + 1) * DAY_MS;
  const payins = await countsByDay(tx, 'payins', fromMs, toMs, options.projectId);
  const payouts = await countsByDay(tx, 'payouts', fromMs, toMs, options.projectId);
  return assembleStats(firstDay, dayCount, { payins, payouts });
}

/** Spreads grouped rows over a dense series of days and over operators. Pure. */
function assembleStats(
  firstDay: number,
  dayCount: number,
  grouped: Record<keyof FlowCounts, GroupedCounts[]>,
): DashboardStats {
  const days: DayPoint[] = Array.from({ length: dayCount }, (_, i) => ({
    dayStartMs: (firstDay + i) * DAY_MS,
    ...zeroFlows(),
  }));
  const operators = new Map<string | null, OperatorPoint>();
  const totals = zeroFlows();
  for (const flow of ['payins', 'payouts'] as const) {
    for (const row of grouped[flow]) {
      const index = row.dayIndex - firstDay;
      const point = days[index];
      assert(point !== undefined, `day ${row.dayIndex} is outside the period`);
      let operator = operators.get(row.operatorId);
      if (operator === undefined) {
        operator = {
          operatorId: row.operatorId,
          operatorName: operatorName(row.operatorId),
          days: days.map(() => zeroFlows()),
          totals: zeroFlows(),
        };
        operators.set(row.operatorId, operator);
      }
      addInto(point[flow], row.counts);
      addInto((operator.days[index] as FlowCounts)[flow], row.counts);
      addInto(operator.totals[flow], row.counts);
      addInto(totals[flow], row.counts);
    }
  }
  const ordered = [...operators.values()].sort((a, b) => compareOperatorIds(a.operatorId, b.operatorId));
  return {
    fromMs: firstDay * DAY_MS,
    toMs: (firstDay + dayCount) * DAY_MS,
    days,
    operators: ordered,
    totals,
  };
}

function operatorName(operatorId: string | null): string {
  if (operatorId === null) return 'No operator yet';
  return operatorById(operatorId)?.name ?? `Operator ${operatorId}`;
}
