import { randomBytes, randomInt } from 'node:crypto';

/**
 * Identifiers that leave the system are prefixed and unguessable (STYLE.md, "Money, ids, names").
 * 16 random bytes in base32 give 128 bits of entropy in 26 characters.
 */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export type IdPrefix = 'prj' | 'pay' | 'po' | 'evt' | 'tr' | 'sms';

export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return `${prefix}_${out}`;
}

/** A string of `length` random decimal digits, the first one non-zero. */
export function randomDigits(length: number): string {
  let out = String(randomInt(1, 10));
  for (let i = 1; i < length; i++) out += String(randomInt(0, 10));
  return out;
}

/** LigdiCash's short transaction id: `P` followed by 13 digits (spec §8.3). */
export function newRequestId(): string {
  return `P${randomDigits(13)}`;
}

/** Upper-case alphanumeric string, the shape of a LigdiCash Apikey (17 characters, spec §1.2). */
export function randomUpperAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(0, alphabet.length)];
  return out;
}
