import { randomBytes, randomInt } from 'node:crypto';

/**
 * Identifiers that leave the system are prefixed and unguessable (STYLE.md, "Money, ids, names").
 * An id is 10 characters of creation time in milliseconds followed by 16 random characters
 * (80 bits), in an alphabet whose characters sort in ASCII order. The random part keeps ids
 * unguessable; the time part makes new rows append to the end of every index instead of landing
 * on random pages, which is most of the write cost of a command (ADR 0002).
 */
const ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

/** Random bytes drawn in blocks: one system call serves many ids. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** `count` random bytes from the pool; the slice is valid until the next call. */
export function takeRandom(count: number): Buffer {
  if (poolOffset + count > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, count));
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + count);
  poolOffset += count;
  return slice;
}

export type IdPrefix =
  'prj' | 'pay' | 'po' | 'evt' | 'tr' | 'sms' | 'usr' | 'aud' | 'opx' | 'rf' | 'pob' | 'rcn';

export function newId(prefix: IdPrefix, nowMs = Date.now()): string {
  let time = '';
  let rest = nowMs;
  for (let i = 0; i < TIME_CHARS; i++) {
    time = (ALPHABET[rest % 32] as string) + time;
    rest = Math.floor(rest / 32);
  }
  let random = '';
  for (const byte of takeRandom(RANDOM_CHARS)) random += ALPHABET[byte & 31];
  return `${prefix}_${time}${random}`;
}

/** A string of `length` random decimal digits, the first one non-zero. */
export function randomDigits(length: number): string {
  let out = '';
  // Rejection sampling keeps every digit uniform: bytes 250..255 would favour 0..5.
  while (out.length < length) {
    for (const byte of takeRandom(length * 2)) {
      if (byte >= 250) continue;
      const digit = byte % 10;
      if (out.length === 0 && digit === 0) continue;
      out += String(digit);
      if (out.length === length) break;
    }
  }
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
