import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { runConsoleCommand } from '../src/cli/console-commands.js';
import { CONSOLE_POLICY } from '../src/commands/console-users.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { ConsoleAgent } from './console-helpers.js';

/** `cauri console user …` (README, "Console"), run as the CLI runs them, on the test gateway's database. */
describe.each(BACKENDS)('console user CLI on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  const cli = (argv: string[]) => runConsoleCommand(gw.gw.db, parseArgs(argv), gw.clock.nowMs());

  it('creates a user with a generated password shown once, which signs in', async () => {
    const created = await cli(['console', 'user', 'create', 'Awa@Example.com', '--json']);
    const { username, password } = created?.json as { username: string; password: string };
    expect(username).toBe('awa@example.com');
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(created?.text).toContain('shown only now');
    const agent = new ConsoleAgent(gw.app);
    expect((await agent.signIn(username, password)).status).toBe(303);
    await expect(cli(['console', 'user', 'create', 'awa@example.com'])).rejects.toThrow(/already exists/);
    await expect(cli(['console', 'user', 'create', 'a'])).rejects.toThrow(/2 to 64 characters/);
  });

  it('sets a new password (ending sessions), unlocks, lists and deletes', async () => {
    const first = (await cli(['console', 'user', 'create', 'ops']))?.json as { password: string };
    const agent = new ConsoleAgent(gw.app);
    await agent.signIn('ops', first.password);
    expect((await agent.get('/console/wallets')).status).toBe(200);
    const second = (await cli(['console', 'user', 'password', 'ops']))?.json as { password: string };
    expect((await agent.get('/console/wallets')).status).toBe(303);
    for (let i = 0; i < CONSOLE_POLICY.failedAttemptsMax; i++) await agent.signIn('ops', 'wrong wrong wrong');
    expect((await cli(['console', 'user', 'list']))?.text).toMatch(/^ops\s+created .* LOCKED until /);
    expect((await agent.signIn('ops', second.password)).status).toBe(401);
    expect((await cli(['console', 'user', 'unlock', 'ops']))?.text).toBe('console user ops unlocked');
    expect((await agent.signIn('ops', second.password)).status).toBe(303);
    expect((await cli(['console', 'user', 'delete', 'ops']))?.text).toBe('console user ops deleted');
    expect((await agent.get('/console/wallets')).status).toBe(303);
    expect((await cli(['console', 'user', 'list']))?.text).toBe('no console users');
    await expect(cli(['console', 'user', 'unlock', 'ops'])).rejects.toThrow(/no console user ops/);
    await expect(cli(['console', 'group', 'list'])).rejects.toThrow(/console user create/);
    expect(await cli(['project', 'list'])).toBeUndefined();
  });
});
