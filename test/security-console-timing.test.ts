import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONSOLE_POLICY } from '../src/commands/console-users.js';
import { UNKNOWN_USER_HASH } from '../src/core/password.js';
import type * as Password from '../src/core/password.js';
import { ConsoleAgent, OPERATOR, addConsoleUser, type Page } from './console-helpers.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';

/**
 * Issue 10: a locked console account answered in 2-7 ms and an unknown one in 300+ ms, because
 * only the locked path skipped the scrypt check: time told which usernames exist and are locked.
 * Every sign-in now runs exactly one check (against the user's hash, or a hash that matches
 * nothing) and gets the same answer. Work is counted, not timed, so that the test cannot flake.
 */
const checks = vi.hoisted(() => [] as string[]);

vi.mock('../src/core/password.js', async (importOriginal) => {
  const real = await importOriginal<typeof Password>();
  return {
    ...real,
    verifyPassword: (password: string, stored: string): Promise<boolean> => {
      checks.push(stored);
      return real.verifyPassword(password, stored);
    },
  };
});

describe.each(BACKENDS)('console sign-in work and answers on %s', (backend) => {
  let gw: TestGateway;
  let agent: ConsoleAgent;
  let storedHash: string;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await addConsoleUser(gw);
    storedHash = (
      await gw.gw.db.command((tx) =>
        tx.selectFrom('console_users').select('password_hash').executeTakeFirstOrThrow(),
      )
    ).password_hash;
    agent = new ConsoleAgent(gw.app);
    checks.length = 0;
  });
  afterEach(async () => gw.destroy());

  /** Signs in and answers the page with the username replaced, and the hashes the attempt checked. */
  async function attempt(
    username: string,
    password: string,
  ): Promise<{ page: Page; body: string; checked: string[] }> {
    checks.length = 0;
    const page = await agent.signIn(username, password);
    return { page, body: page.body.split(username).join('USER'), checked: [...checks] };
  }

  async function lock(): Promise<void> {
    for (let i = 0; i < CONSOLE_POLICY.failedAttemptsMax; i++)
      await agent.signIn(OPERATOR.username, `guess ${i} guess`);
    const user = await gw.gw.db.command((tx) =>
      tx.selectFrom('console_users').select('locked_until_ms').executeTakeFirstOrThrow(),
    );
    expect(Number(user.locked_until_ms)).toBeGreaterThan(gw.clock.nowMs());
  }

  it('a locked account costs one check of its stored hash, like an unknown user one check of the no-match hash', async () => {
    const unknown = await attempt('nobody@example.com', 'some password here');
    expect(unknown.checked).toEqual([UNKNOWN_USER_HASH]);
    const wrong = await attempt(OPERATOR.username, 'some password here');
    expect(wrong.checked).toEqual([storedHash]);
    await lock();
    const locked = await attempt(OPERATOR.username, 'some password here');
    expect(locked.checked).toEqual([storedHash]);
    const lockedRight = await attempt(OPERATOR.username, OPERATOR.password);
    expect(lockedRight.checked).toEqual([storedHash]);
    expect(lockedRight.page.status).toBe(401);
    expect(agent.cookies.has('cauri_console')).toBe(false);
  });

  it('a locked account, an unknown user and a wrong password get the same answer', async () => {
    const unknown = await attempt('nobody@example.com', 'some password here');
    const wrong = await attempt(OPERATOR.username, 'some password here');
    await lock();
    const locked = await attempt(OPERATOR.username, 'some password here');
    const lockedRight = await attempt(OPERATOR.username, OPERATOR.password);
    for (const other of [wrong, locked, lockedRight]) {
      expect(other.page.status).toBe(unknown.page.status);
      expect(other.body).toBe(unknown.body);
      expect(Object.keys(other.page.headers).sort()).toEqual(Object.keys(unknown.page.headers).sort());
    }
    expect(unknown.page.status).toBe(401);
  });
});
