import type { Database, Tx } from '../store/database.js';
import { lockPayinRow } from '../store/payins.js';

/**
 * The payin through an operator lives in files of one idea each: payin-create.ts (E1, E2),
 * payin-attempt.ts (starting an operator attempt), payin-flow.ts (sending it), payin-settle.ts
 * (recording the operator's answer) and payin-cancel.ts (the page's Cancel, an expired page).
 *
 * What is left here is the row lock refunds.ts still reads a payin row through, until it reads a
 * `Payin` (store/payins.ts, `lockPayin`).
 */
export function lockPayin(tx: Tx, db: Pick<Database, 'dialect'>, payinId: string) {
  return lockPayinRow(tx, db.dialect, payinId);
}
