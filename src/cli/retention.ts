import { type RetentionOutcome, runRetention } from '../commands/retention.js';
import { RETENTION_ENV, type RetentionPolicy } from '../core/retention.js';
import type { Database } from '../store/database.js';
import { type ParsedArgs, checkFlags } from './args.js';

/**
 * `cauri retention run [--dry-run]` (ADR 0022): one retention run, as the gateway's worker makes
 * it, with the same settings (`CAURI_RETENTION_*`). A dry run deletes nothing and prints, per
 * table, how many rows are due.
 */
export const RETENTION_HELP = `  retention run [--dry-run]                    delete records older than their retention (CAURI_RETENTION_*);
                                               --dry-run prints how many rows are due and deletes nothing`;

type Output = { json: unknown; text: string };

const day = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function line(o: RetentionOutcome, dryRun: boolean): string {
  const name = o.target.padEnd(19);
  if (o.cutoffMs === null) return `${name} kept forever (${RETENTION_ENV[o.target]}=0)`;
  const kept = `keep ${o.keepDays} day${o.keepDays === 1 ? '' : 's'}, older than ${day(o.cutoffMs)}`;
  if (dryRun) return `${name} ${kept}: ${o.due ?? 0} due`;
  return `${name} ${kept}: ${o.deleted} deleted${o.more ? ' (more remain: the next run goes on)' : ''}`;
}

/** The output of a retention command, or undefined when the command is not one. */
export async function runRetentionCommand(
  db: Database,
  args: ParsedArgs,
  command: string,
  policy: RetentionPolicy,
  nowMs: number,
): Promise<Output | undefined> {
  if (command !== 'retention run') return undefined;
  checkFlags(args, []);
  const dryRun = args.booleans.has('dry-run');
  const outcomes = await runRetention(db, policy, nowMs, { dryRun });
  const header = dryRun ? 'retention dry run: nothing deleted' : 'retention run';
  return { json: { dryRun, outcomes }, text: [header, ...outcomes.map((o) => line(o, dryRun))].join('\n') };
}
