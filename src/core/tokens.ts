import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Transaction tokens are HS256 JWTs with LigdiCash's payloads (spec §8.3):
 * payin `{"id_invoice":"<digits>","start_date":"YYYY-MM-DD HH:MM:SS+00","expiry_date":<unix s>}`,
 * payout the same with `id_finance`. Cauri signs them with its own secret, so a token names exactly
 * one transaction and cannot be forged; the 24 h `expiry_date` is cosmetic (ADR 0004): confirm keeps
 * answering after it, because LigdiCash transactions never expire.
 */
export type TokenKind = 'payin' | 'payout';

const HEADER = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
const TOKEN_LENGTH_MAX = 1024;

export function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

export function wireDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + '+00';
}

export function signToken(kind: TokenKind, number: string, createdAtMs: number, secret: string): string {
  const idKey = kind === 'payin' ? 'id_invoice' : 'id_finance';
  const payload = base64url(
    JSON.stringify({
      [idKey]: number,
      start_date: wireDate(createdAtMs),
      expiry_date: Math.floor(createdAtMs / 1000) + 86_400,
    }),
  );
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

/** The transaction number a genuine token names, or undefined for anything else. */
export function verifyToken(token: string, secret: string): { kind: TokenKind; number: string } | undefined {
  if (token.length > TOKEN_LENGTH_MAX) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  // The signature is compared as text with the one canonical spelling of the expected MAC
  // (RFC 7515 §2: base64url without padding). Node's decoder is lenient (it takes `=` padding,
  // `+` and `/`, skips characters outside the alphabet, and ignores a last character's unused
  // bits), so comparing decoded bytes let many spellings of one token verify as that token:
  // other strings naming the same transaction, for a cache, a log or a lookup to tell apart.
  // The header and payload need no such care: the MAC covers their exact text.
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'),
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return claimsOf(payload);
}

/**
 * The secret that signed tokens before a rotation (`CAURI_TOKEN_SECRET_PREVIOUS`) and the end of
 * its grace (`CAURI_TOKEN_SECRET_PREVIOUS_UNTIL`), ADR 0022. An explicit end time is the same for
 * every instance and every restart, whereas a period counted from a start would not be.
 */
export interface PreviousTokenSecret {
  secret: string;
  untilMs: number;
}

/**
 * Verifies a token against the current secret and, until its grace ends, the previous one: new
 * tokens are signed with the current secret only, so after a rotation the two verify the tokens
 * handed out before and after it. Once the grace has ended an old token is refused like a forged one.
 */
export function verifyTokenRotated(
  token: string,
  secret: string,
  previous: PreviousTokenSecret | undefined,
  nowMs: number,
): { kind: TokenKind; number: string } | undefined {
  const claims = verifyToken(token, secret);
  if (claims !== undefined || previous === undefined || nowMs >= previous.untilMs) return claims;
  return verifyToken(token, previous.secret);
}

/**
 * The kind and number a token's payload names, without checking its signature: for trusted tools
 * (the CLI, the console) that then match the transaction by number and never act on the claim alone.
 */
export function unverifiedTokenClaims(token: string): { kind: TokenKind; number: string } | undefined {
  const payload = token.trim().split('.')[1];
  if (payload === undefined || payload.length > TOKEN_LENGTH_MAX) return undefined;
  return claimsOf(payload);
}

function claimsOf(payload: string): { kind: TokenKind; number: string } | undefined {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const record = claims as Record<string, unknown>;
  if (typeof record.id_invoice === 'string') return { kind: 'payin', number: record.id_invoice };
  if (typeof record.id_finance === 'string') return { kind: 'payout', number: record.id_finance };
  return undefined;
}
