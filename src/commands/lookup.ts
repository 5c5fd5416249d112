import { verifyToken } from '../core/tokens.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Tx } from '../store/database.js';
import type { PayinTable, PayoutTable } from '../store/schema.js';
import type { Project } from './projects.js';

/**
 * Finds a transaction by the token its creation returned. The token is verified before any
 * lookup, and a transaction of another project is `not_found`, never "forbidden": a token
 * reveals nothing to a project that does not own it.
 */
export async function findPayinByToken(tx: Tx, secret: string, project: Project, token: string): Promise<Result<PayinTable>> {
  const claims = verifyToken(token.trim(), secret);
  if (claims?.kind !== 'payin') return fail('not_found');
  const row = await tx.selectFrom('payins').selectAll().where('number', '=', claims.number).executeTakeFirst();
  if (!row || row.project_id !== project.id) return fail('not_found');
  return ok(row);
}

export async function findPayoutByToken(tx: Tx, secret: string, project: Project, token: string): Promise<Result<PayoutTable>> {
  const claims = verifyToken(token.trim(), secret);
  if (claims?.kind !== 'payout') return fail('not_found');
  const row = await tx.selectFrom('payouts').selectAll().where('number', '=', claims.number).executeTakeFirst();
  if (!row || row.project_id !== project.id) return fail('not_found');
  return ok(row);
}
