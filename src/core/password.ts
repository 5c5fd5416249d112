import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

/**
 * Console passwords, hashed with scrypt (RFC 7914), a memory-hard function: each guess costs
 * 32 MiB of memory and tens of milliseconds, which is what makes a stolen table slow to attack on
 * GPUs. The stored form names its parameters, so they can be raised later without breaking old
 * hashes: `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url).
 */
export interface ScryptParams {
  log2N: number;
  blockSize: number;
  parallelization: number;
}

/**
 * N = 2^15, r = 8, p = 3: one of the equivalent settings of the OWASP Password Storage Cheat Sheet
 * (N = 2^17, r = 8, p = 1 spends the same work with 128 MiB). Node computes the p lanes one after
 * another, so a sign-in holds 32 MiB for about 0.3 s of one thread-pool thread.
 */
export const SCRYPT_DEFAULT: ScryptParams = { log2N: 15, blockSize: 8, parallelization: 3 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Parameters accepted from a stored hash: bounds what a tampered row could make us spend. */
const LOG2N_MIN = 10;
const LOG2N_MAX = 20;
export const PASSWORD_LENGTH_MIN = 12;
export const PASSWORD_LENGTH_MAX = 256;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  // scrypt needs 128·N·r bytes; allow twice that so Node's default 32 MiB cap does not refuse it.
  const maxmem = 256 * N * params.blockSize;
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize('NFC'),
      salt,
      KEY_BYTES,
      { N, r: params.blockSize, p: params.parallelization, maxmem },
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return [
    'scrypt',
    params.log2N,
    params.blockSize,
    params.parallelization,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [log2N, blockSize, parallelization] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(log2N) || log2N < LOG2N_MIN || log2N > LOG2N_MAX) return undefined;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 32) return undefined;
  if (!Number.isInteger(parallelization) || parallelization < 1 || parallelization > 4) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || key.length !== KEY_BYTES) return undefined;
  return { params: { log2N, blockSize, parallelization }, salt, key };
}

/** True when `password` matches; compared in constant time. A malformed hash matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined || password.length > PASSWORD_LENGTH_MAX) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** A hash that matches no password, verified for unknown users so that timing does not reveal which usernames exist. */
export const UNKNOWN_USER_HASH = `scrypt$15$8$3$${Buffer.alloc(SALT_BYTES).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`;

/** Why a new password is refused, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_LENGTH_MIN)
    return `a password needs at least ${PASSWORD_LENGTH_MIN} characters`;
  if (password.length > PASSWORD_LENGTH_MAX)
    return `a password has at most ${PASSWORD_LENGTH_MAX} characters`;
  return undefined;
}
