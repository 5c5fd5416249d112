import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { runSandboxCommand } from '../src/cli/sandbox-commands.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { E2, NUMBERS, confirmPayin, straightBody } from './payin-helpers.js';

/**
 * `cauri ussd dial`, `cauri push list|approve|decline` (README, "Sandbox actions"), run as the CLI
 * runs them, on the test gateway's database.
 */
describe.each(BACKENDS)('sandbox CLI on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  const cli = (argv: string[], mode = 'sandbox') =>
    runSandboxCommand(() => Promise.resolve(gw.gw), parseArgs(argv), mode);

  it('dials a USSD OTP code, which then pays', async () => {
    const { phone } = NUMBERS.ussd_otp;
    const output = await cli(['ussd', 'dial', phone, '--code', '*144*4*6#', '--json']);
    const json = output?.json as { action: string; otp: string; operatorName: string };
    expect(json).toMatchObject({ action: 'otp', operatorName: 'ORANGE BURKINA' });
    expect(output?.text).toContain(`payment code ${json.otp}`);
    const created = await gw.call('POST', E2, { body: straightBody(phone, { otp: json.otp }) });
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
  });

  it('lists, approves and declines pushes; the payins settle at once', async () => {
    const first = await gw.call('POST', E2, { body: straightBody(NUMBERS.ussd_push.phone) });
    gw.clock.advance(1000);
    const second = await gw.call('POST', E2, { body: straightBody(NUMBERS.ligdicash_redirect.phone) });
    const listed = (await cli(['push', 'list']))?.json as { id: string; phone: string }[];
    expect(listed.map((p) => p.phone)).toEqual([NUMBERS.ussd_push.phone, NUMBERS.ligdicash_redirect.phone]);
    expect(
      ((await cli(['push', 'list', '--phone', NUMBERS.ussd_push.phone]))?.json as unknown[]).length,
    ).toBe(1);
    expect((await cli(['push', 'approve', listed[0]?.id ?? '']))?.text).toMatch(
      /^approved PSH\d{8}: payin completed$/,
    );
    expect((await cli(['push', 'decline', listed[1]?.id ?? '']))?.json).toMatchObject({
      decision: 'decline',
      settled: 'notcompleted',
    });
    expect((await confirmPayin(gw, first.token)).status).toBe('completed');
    expect((await confirmPayin(gw, second.token)).status).toBe('notcompleted');
    expect((await cli(['push', 'list']))?.text).toBe('no request waiting');
    await expect(cli(['push', 'approve', listed[0]?.id ?? ''])).rejects.toThrow(/already completed/);
  });

  it('dialling approves a waiting guided USSD request', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.guided_ussd.phone) });
    expect((await cli(['ussd', 'dial', NUMBERS.guided_ussd.phone]))?.json).toMatchObject({
      action: 'approved',
      settled: 'completed',
    });
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
  });

  it('refuses what makes no sense, and everything outside the sandbox', async () => {
    await expect(cli(['ussd', 'dial', NUMBERS.ussd_push.phone])).rejects.toThrow(/issues no payment code/);
    await expect(cli(['ussd', 'dial', NUMBERS.ussd_otp.phone, '--code', '*999#'])).rejects.toThrow(
      /has no USSD code \*999#/,
    );
    await expect(cli(['ussd', 'dial', 'abc'])).rejects.toThrow(/not an international phone number/);
    await expect(cli(['push', 'approve', 'PSH00000000'])).rejects.toThrow(/no request/);
    await expect(cli(['push', 'list', '--bogus', '1'])).rejects.toThrow(/unknown option/);
    await expect(cli(['push', 'list'], 'production')).rejects.toThrow(/only in sandbox mode/);
    expect(await cli(['project', 'list'])).toBeUndefined();
  });
});
