import type { Payin } from '../core/payin.js';
import type { Payout } from '../core/payout.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { verifyTokenRotated } from '../core/tokens.js';
import type { Tx } from '../store/database.js';
import { findPayoutByNumber } from '../store/payouts.js';
import { findPayinByNumber } from '../store/payins.js';
import type { WithClock, WithTokens } from './context.js';
import type { Project } from '../core/project.js';

/** What verifies a token: the current secret, the previous one during its grace (ADR 0022), and the time. */
export type TokenVerifier = WithTokens & WithClock;

/** The transaction a genuine token names, or undefined for a forged token or one whose secret's grace has ended. */
export function verifyGatewayToken(
  deps: TokenVerifier,
  token: string,
): { kind: 'payin' | 'payout'; number: string } | undefined {
  return verifyTokenRotated(token, deps.tokenSecret, deps.tokenSecretPrevious, deps.clock.nowMs());
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
): Promise<Result<Payin>> {
  const claims = verifyGatewayToken(verifier, token.trim());
  if (claims?.kind !== 'payin') return fail('not_found');
  const payin = await findPayinByNumber(tx, claims.number);
  if (!payin || payin.projectId !== project.id) return fail('not_found');
  return ok(payin);
}

/** `findPayinByToken` for a payout. */
export async function findPayoutByToken(
  tx: Tx,
  verifier: TokenVerifier,
  project: Project,
  token: string,
): Promise<Result<Payout>> {
  const claims = verifyGatewayToken(verifier, token.trim());
  if (claims?.kind !== 'payout') return fail('not_found');
  const payout = await findPayoutByNumber(tx, claims.number);
  if (!payout || payout.projectId !== project.id) return fail('not_found');
  return ok(payout);
}
