import { describe, expect, it } from 'vitest';
import {
  PASSWORD_LENGTH_MAX,
  UNKNOWN_USER_HASH,
  hashPassword,
  passwordProblem,
  verifyPassword,
} from './password.js';

describe('console passwords (scrypt)', () => {
  it('verifies the password it hashed and nothing else; salts every hash', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$15\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapLe', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
  });

  it('keeps its parameters in the hash, so that cheaper old hashes still verify', async () => {
    const cheap = await hashPassword('a long enough password', {
      log2N: 10,
      blockSize: 8,
      parallelization: 1,
    });
    expect(cheap.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('a long enough password', cheap)).toBe(true);
  });

  it('normalises Unicode, so é typed two ways is the same password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait sucré');
    expect(await verifyPassword('cafe\u0301 au lait sucré', hash)).toBe(true);
  });

  it('matches nothing with a malformed or out-of-bounds hash, and never the unknown-user hash', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$15$8$3$AAAA$BBBB',
      'scrypt$30$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43),
      'bcrypt$x',
    ]) {
      expect(await verifyPassword('anything at all', stored)).toBe(false);
    }
    expect(await verifyPassword('', UNKNOWN_USER_HASH)).toBe(false);
    expect(
      await verifyPassword(
        'x'.repeat(PASSWORD_LENGTH_MAX + 1),
        await hashPassword('x'.repeat(PASSWORD_LENGTH_MAX + 1)),
      ),
    ).toBe(false);
  });

  it('asks for at least 12 characters and at most 256', () => {
    expect(passwordProblem('short')).toMatch(/at least 12/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
    expect(passwordProblem('twelve chars')).toBeUndefined();
  });
});
