import { verifyTokenRotated } from '../core/tokens.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Tx } from '../store/database.js';
import type { Payout } from '../core/payout.js';
import { payoutFromRow } from '../store/payout-rows.js';
import type { PayinTable } from '../store/schema.js';
import type { Gateway } from './context.js';
import type { Project } from './projects.js';

/** What verifies a token: the current secret, the previous one during its grace (ADR 0022), and the time. */
export type TokenVerifier = Pick<Gateway, 'tokenSecret' | 'tokenSecretPrevious' | 'clock'>;

/** The transaction a genuine token names, or undefined for a forged token or one whose secret's grace has ended. */
export function verifyGatewayToken(
  gw: TokenVerifier,
  token: string,
): { kind: 'payin' | 'payout'; number: string } | undefined {
  return verifyTokenRotated(token, gw.tokenSecret, gw.tokenSecretPrevious, gw.clock.nowMs());
}

/**
 * Finds a transaction by the token its creation returned. The token is verified before any
 * lookup, and a transaction of another project is `not_found`, never "forbidden": a token
 * reveals nothing to a project that does not own it.
 */
export async function findPayinByToken(
  tx: Tx,
  verifier: TokenVerifier,
  project: Project,
  token: string,
): Promise<Result<PayinTable>> {
  const claims = verifyGatewayToken(verifier, token.trim());
  if (claims?.kind !== 'payin') return fail('not_found');
  const row = await tx
    .selectFrom('payins')
    .selectAll()
    .where('number', '=', claims.number)
    .executeTakeFirst();
  if (!row || row.project_id !== project.id) return fail('not_found');
  return ok(row);
}

export async function findPayoutByToken(
  tx: Tx,
  verifier: TokenVerifier,
  project: Project,
  token: string,
): Promise<Result<Payout>> {
  const claims = verifyGatewayToken(verifier, token.trim());
  if (claims?.kind !== 'payout') return fail('not_found');
  const row = await tx
    .selectFrom('payouts')
    .selectAll()
    .where('number', '=', claims.number)
    .executeTakeFirst();
  if (!row || row.project_id !== project.id) return fail('not_found');
  return ok(payoutFromRow(row));
}
