import type { CommandOptions, Database, Tx } from '../store/database.js';

/**
 * Which HTTP request a command runs for, so that the payins and payouts it writes name it in
 * `last_request_id` and their history (migration 0011's triggers) records it (ADR 0020).
 *
 * Each write stamps the row with `<request id>#<n>`, `n` new for every write of this process: a
 * trigger sees only the row, so a stamp that differs from the row's previous one is how it knows
 * that this very write named a request (and keeps the part before `#`). A write that does not
 * stamp (a worker's) leaves the old stamp, which the trigger then ignores: a worker's change is
 * never credited to the request that last touched the row, stamped or not by its writer.
 *
 * On one transaction object the store runs commands strictly one after another (SQLite's and
 * PostgreSQL's group commits await each command before the next starts; the commands of a
 * PostgreSQL wave run at once, but each on a transaction object of its own), so the request of the
 * command running on a transaction object is a plain map entry, set for the length of the
 * command's function. A retried command sets it again; a worker's command finds none and writes
 * null. Explicit, like `afterCommit`: no async-context tracking on the hot path.
 */
const requestIds = new WeakMap<Tx, string>();

let stamps = 0;

/** The request the command on `tx` runs for, or undefined outside a request (a worker, the CLI). */
export function requestIdOf(tx: Tx): string | undefined {
  return requestIds.get(tx);
}

/** The `last_request_id` for a payin or payout this command writes: a fresh stamp of its request, or null. */
export function requestStamp(tx: Tx): string | null {
  const id = requestIds.get(tx);
  if (id === undefined) return null;
  stamps = stamps >= Number.MAX_SAFE_INTEGER ? 1 : stamps + 1;
  return `${id}#${stamps.toString(36)}`;
}

/** Runs `fn` as a command's work for this request: what it writes to payins and payouts names the request. */
export async function forRequest<T>(tx: Tx, requestId: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (requestId === undefined) return fn();
  requestIds.set(tx, requestId);
  try {
    return await fn();
  } finally {
    requestIds.delete(tx);
  }
}

/** `db.command` for a request: one command whose writes name the request that asked for it. */
export function commandFor<T>(
  db: Database,
  requestId: string | undefined,
  fn: (tx: Tx) => Promise<T>,
  options?: CommandOptions,
): Promise<T> {
  return db.command((tx) => forRequest(tx, requestId, () => fn(tx)), options);
}
