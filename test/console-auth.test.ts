import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONSOLE_POLICY, sessionIdHash } from '../src/commands/console-users.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { ConsoleAgent, OPERATOR, addConsoleUser, textOf } from './console-helpers.js';

/** Console sign-in, sessions, CSRF and lock-out (ADR 0008), on every backend. */
describe.each(BACKENDS)('console authentication on %s', (backend) => {
  let gw: TestGateway;
  let agent: ConsoleAgent;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await addConsoleUser(gw);
    agent = new ConsoleAgent(gw.app);
  });
  afterEach(async () => gw.destroy());

  it('sends a visitor without a session to the sign-in page, and back after signing in', async () => {
    const first = await agent.get('/console/projects');
    expect(first.status).toBe(303);
    expect(first.location).toBe('/console/login?next=%2Fconsole%2Fprojects');
    const login = await agent.get(first.location ?? '');
    expect(login.status).toBe(200);
    expect(login.headers['content-security-policy']).toMatch(/script-src 'none'/);
    expect(login.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(login.headers['x-frame-options']).toBe('DENY');
    expect(login.body).toMatch(/<label for="username">/);
    expect(login.body).toMatch(/<label for="password">/);
    const signedIn = await agent.post('/console/login', {
      username: OPERATOR.username,
      password: OPERATOR.password,
      next: '/console/projects',
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/console/projects');
    const cookie = String(signedIn.headers['set-cookie']);
    expect(cookie).toMatch(
      /^cauri_console=[A-Za-z0-9_-]{43}; Path=\/console; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    const page = await agent.get('/console/projects');
    expect(page.status).toBe(200);
    expect(textOf(page.body)).toContain(`Signed in as ${OPERATOR.username}`);
  });

  it('keeps only hashes: the scrypt hash of the password and the SHA-256 of the session', async () => {
    await agent.signIn();
    const token = agent.cookies.get('cauri_console') ?? '';
    const { user, sessions } = await gw.gw.db.command(async (tx) => ({
      user: await tx.selectFrom('console_users').selectAll().executeTakeFirstOrThrow(),
      sessions: await tx.selectFrom('console_sessions').selectAll().execute(),
    }));
    expect(user.password_hash).toMatch(/^scrypt\$15\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(user.password_hash).not.toContain(OPERATOR.password);
    expect(sessions.map((s) => s.id_hash)).toEqual([sessionIdHash(token)]);
  });

  it('refuses a wrong password, an unknown user and a sign-in form without its CSRF value', async () => {
    expect((await agent.signIn(OPERATOR.username, 'wrong password!')).status).toBe(401);
    expect(textOf(agent.lastBody)).toContain('Wrong username or password');
    expect((await agent.signIn('nobody', OPERATOR.password)).status).toBe(401);
    expect(textOf(agent.lastBody)).toContain('Wrong username or password');
    const forged = await agent.post('/console/login', {
      username: OPERATOR.username,
      password: OPERATOR.password,
      csrf: '0'.repeat(32),
    });
    expect(forged.status).toBe(403);
    expect(agent.cookies.has('cauri_console')).toBe(false);
  });

  it(`locks an account after ${CONSOLE_POLICY.failedAttemptsMax} failures in a row, even for the right password, until the lock ends`, async () => {
    for (let i = 0; i < CONSOLE_POLICY.failedAttemptsMax; i++) {
      expect((await agent.signIn(OPERATOR.username, `guess ${i} guess`)).status).toBe(401);
      gw.clock.advance(1000);
    }
    expect((await agent.signIn()).status).toBe(401);
    expect(agent.cookies.has('cauri_console')).toBe(false);
    const audit = await gw.gw.db.command((tx) =>
      tx.selectFrom('console_audit').select(['action', 'detail']).orderBy('id').execute(),
    );
    expect(audit.map((a) => a.action)).toEqual([
      ...Array<string>(CONSOLE_POLICY.failedAttemptsMax).fill('sign_in_failed'),
      'sign_in_locked',
    ]);
    expect(audit[CONSOLE_POLICY.failedAttemptsMax - 1]?.detail).toBe('account locked');
    gw.clock.advance(CONSOLE_POLICY.lockoutMs - CONSOLE_POLICY.failedAttemptsMax * 1000);
    expect((await agent.signIn()).status).toBe(401);
    gw.clock.advance(CONSOLE_POLICY.failedAttemptsMax * 1000);
    expect((await agent.signIn()).status).toBe(303);
  });

  it('a success resets the failure count', async () => {
    for (let i = 0; i < CONSOLE_POLICY.failedAttemptsMax - 1; i++)
      await agent.signIn(OPERATOR.username, 'not the password');
    expect((await agent.signIn()).status).toBe(303);
    for (let i = 0; i < CONSOLE_POLICY.failedAttemptsMax - 1; i++)
      await agent.signIn(OPERATOR.username, 'not the password');
    expect((await agent.signIn()).status).toBe(303);
  });

  it("refuses actions without the CSRF token, with another session's token, or from another site", async () => {
    await agent.signIn();
    await agent.get('/console/wallets');
    expect((await agent.post('/console/wallets', { phone: '22670990001', csrf: '' })).status).toBe(403);
    const other = new ConsoleAgent(gw.app);
    await other.signIn();
    await other.get('/console/wallets');
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec(other.lastBody)?.[1] ?? '';
    expect((await agent.post('/console/wallets', { phone: '22670990001', csrf: otherCsrf })).status).toBe(
      403,
    );
    await agent.get('/console/wallets');
    expect(
      (await agent.post('/console/wallets', { phone: '22670990001' }, { origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    expect(
      (await agent.post('/console/wallets', { phone: '22670990001' }, { 'sec-fetch-site': 'cross-site' }))
        .status,
    ).toBe(403);
    const wallets = await gw.gw.db.command((tx) =>
      tx.selectFrom('accounts').select('id').where('phone', '=', '22670990001').execute(),
    );
    expect(wallets).toEqual([]);
    await agent.get('/console/wallets');
    expect((await agent.post('/console/wallets', { phone: '22670990001' })).status).toBe(303);
  });

  it('signs out: the session ends on the server, not just in the browser', async () => {
    await agent.signIn();
    const token = agent.cookies.get('cauri_console') ?? '';
    await agent.get('/console');
    const out = await agent.post('/console/logout', {});
    expect(out.status).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/cauri_console=; Path=\/console; Max-Age=0/);
    const replay = new ConsoleAgent(gw.app);
    replay.cookies.set('cauri_console', token);
    expect((await replay.get('/console/projects')).status).toBe(303);
  });

  it('ends a session after an hour without requests, and twelve hours after sign-in in any case', async () => {
    await agent.signIn();
    gw.clock.advance(CONSOLE_POLICY.sessionIdleMs - 1000);
    expect((await agent.get('/console/projects')).status).toBe(200);
    gw.clock.advance(CONSOLE_POLICY.sessionIdleMs - 1000);
    expect((await agent.get('/console/projects')).status).toBe(200);
    gw.clock.advance(CONSOLE_POLICY.sessionIdleMs);
    expect((await agent.get('/console/projects')).status).toBe(303);
    await agent.signIn();
    for (
      let elapsed = 0;
      elapsed < CONSOLE_POLICY.sessionAbsoluteMs;
      elapsed += CONSOLE_POLICY.sessionIdleMs / 2
    ) {
      gw.clock.advance(CONSOLE_POLICY.sessionIdleMs / 2);
      await agent.get('/console/projects');
    }
    expect((await agent.get('/console/projects')).status).toBe(303);
  });

  it('returns to the page asked for, query included, and never outside the console', async () => {
    expect(
      (await new ConsoleAgent(gw.app).signIn(OPERATOR.username, OPERATOR.password, '/console?days=30'))
        .location,
    ).toBe('/console?days=30');
    for (const next of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '/consoleevil',
      'javascript:alert(1)',
    ]) {
      const fresh = new ConsoleAgent(gw.app);
      expect((await fresh.signIn(OPERATOR.username, OPERATOR.password, next)).location).toBe('/console');
    }
  });

  it('answers unknown console pages with an HTML 404, and a garbage cookie with the sign-in page', async () => {
    await agent.signIn();
    const missing = await agent.get('/console/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/text\/html/);
    const garbage = new ConsoleAgent(gw.app);
    garbage.cookies.set('cauri_console', "x'; drop table console_sessions; --");
    expect((await garbage.get('/console')).status).toBe(303);
  });
});

describe('console in production mode', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway('sqlite', { config: { mode: 'production' } });
    await addConsoleUser(gw);
  });
  afterEach(async () => gw.destroy());

  it('sets a Secure cookie, and has no sandbox pages nor sandbox hints', async () => {
    const agent = new ConsoleAgent(gw.app);
    const login = await agent.get('/console/login');
    expect(login.body).not.toContain('cauri-sandbox-console');
    const signedIn = await agent.signIn();
    expect(String(signedIn.headers['set-cookie'])).toMatch(/; Secure$/);
    const page = await agent.get('/console/projects');
    expect(page.body).not.toContain('/console/sandbox/');
    for (const path of ['/console/sandbox/sms', '/console/sandbox/pushes', '/console/sandbox/magic-numbers'])
      expect((await agent.get(path)).status).toBe(404);
  });
});

describe('console sign-in throttling per address', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway('sqlite');
  });
  afterEach(async () => gw.destroy());

  it('refuses an address that failed 30 times in 15 minutes, across usernames, without checking passwords', async () => {
    const agent = new ConsoleAgent(gw.app, '203.0.113.9');
    for (let i = 0; i < 30; i++) expect((await agent.signIn(`user${i}`, 'some password')).status).toBe(401);
    expect((await agent.signIn('user31', 'some password')).status).toBe(429);
    expect((await new ConsoleAgent(gw.app, '203.0.113.10').signIn('user31', 'some password')).status).toBe(
      401,
    );
    gw.clock.advance(15 * 60_000);
    expect((await agent.signIn('user31', 'some password')).status).toBe(401);
  }, 60_000);

  it('counts an IPv6 /64 as one address, so that one host cannot pass each guess from a fresh address', async () => {
    for (let i = 0; i < 30; i++)
      expect(
        (
          await new ConsoleAgent(gw.app, `2001:db8:1:2::${(i + 1).toString(16)}`).signIn(
            `user${i}`,
            'some password',
          )
        ).status,
      ).toBe(401);
    expect(
      (await new ConsoleAgent(gw.app, '2001:db8:1:2:ffff::9').signIn('user31', 'some password')).status,
    ).toBe(429);
    expect((await new ConsoleAgent(gw.app, '2001:db8:1:3::1').signIn('user31', 'some password')).status).toBe(
      401,
    );
  }, 60_000);
});
