import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestGateway, latestOtp, startTestGateway, walletPayinBody } from '../harness.js';
import { E2, NUMBERS, straightBody, ussdOtp } from '../payin-helpers.js';
import { OPERATOR, addConsoleUser } from '../console-helpers.js';
import { expectLedgerSound, readLedger } from '../ledger-checks.js';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, browserAvailable, signInToConsole } from './chromium.js';

/**
 * Refunds in the operator console (ADR 0024), in Debian's headless Chromium: the Refund form on
 * the story page of a completed payin, a wallet refund done at once, an operator refund sent by the
 * refund worker, a refusal shown on the page, and the audit trail. Skipped with a printed reason
 * without /usr/bin/chromium, unless CAURI_REQUIRE_BROWSER=1.
 */
const WALLET = '22670123456';

describe.skipIf(!browserAvailable)('refunds in the operator console (Chromium)', () => {
  let gw: TestGateway;
  let context: BrowserContext;
  let profile = '';
  let page: Page;
  const consoleErrors: string[] = [];
  let walletPayinId = '';
  let orangePayinId = '';

  const base = () => gw.gw.config.publicUrl;
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `console-refunds-${name}.png`), fullPage: true });
  const payinIdOf = async (token: unknown) =>
    (
      await gw.gw.db.command((tx) =>
        tx.selectFrom('payins').select('id').where('token', '=', String(token)).executeTakeFirstOrThrow(),
      )
    ).id;
  const refundRows = () => page.locator('#refund-list tbody tr');

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    const address = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    gw.gw.config.publicUrl = address;
    await addConsoleUser(gw);
    await gw.wallet(WALLET, 100_000);
    await gw.call('GET', `/pay/v02/debitotp/${WALLET}/4000`);
    const wallet = await gw.call('POST', '/pay/v02/debitwallet/withotp', {
      body: walletPayinBody(WALLET, 4000, await latestOtp(gw, WALLET), { transaction_id: 'ORD-W' }),
    });
    walletPayinId = await payinIdOf(wallet.token);
    const otp = await ussdOtp(gw, NUMBERS.ussd_otp.phone);
    const orange = await gw.call('POST', E2, {
      body: straightBody(NUMBERS.ussd_otp.phone, { otp, amount: 6000 }),
    });
    orangePayinId = await payinIdOf(orange.token);
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'cauri-console-refunds-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await signInToConsole(page, base());
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await gw?.destroy();
    if (profile !== '') rmSync(profile, { recursive: true, force: true });
  });

  it('refunds part of a wallet payin from its story page, at once, and lists it', async () => {
    await page.goto(`${base()}/console/transactions/${walletPayinId}`);
    expect(await page.locator('#refunds').textContent()).toBe('Refunds');
    expect(await page.getByText('No refund.').count()).toBe(1);
    await page.getByLabel(/^Amount \(XOF/).fill('1500');
    await page.getByLabel('Reason').fill('One item returned');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.waitForURL(/done=refunded/);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Refund recorded');
    expect(await refundRows().count()).toBe(1);
    const row = (await refundRows().first().textContent()) ?? '';
    expect(row).toContain('1\u202f500 XOF');
    expect(row).toContain('completed');
    expect(row).toContain('wallet');
    expect(row).toContain('One item returned');
    expect(await page.getByText(/2\u202f500 XOF left to refund/).count()).toBe(1);
    await shot('wallet');
  });

  it('shows why a refund is refused, and moves no money', async () => {
    await page.getByLabel(/^Amount \(XOF/).fill('2501');
    await page.getByLabel('Reason').fill('Too much');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.waitForURL(/refund_error=refund_exceeds_payin/);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('more than is left to refund');
    expect(await refundRows().count()).toBe(1);
    await shot('refused');
  });

  it('refunds the rest of the wallet payin with an empty amount, and then offers no more form', async () => {
    await page.goto(`${base()}/console/transactions/${walletPayinId}`);
    await page.getByLabel('Reason').fill('The rest');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.waitForURL(/done=refunded/);
    expect(await refundRows().count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Refund', exact: true }).count()).toBe(0);
    expect(await page.getByText(/0 .*left to refund/).count()).toBe(1);
  });

  it('refunds an operator payin: pending until the refund worker has the operator answer, then completed', async () => {
    await page.goto(`${base()}/console/transactions/${orangePayinId}`);
    await page.getByLabel(/^Amount \(XOF/).fill('2000');
    await page.getByLabel('Reason').fill('Late delivery');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.waitForURL(/done=refunded/);
    expect((await refundRows().first().textContent()) ?? '').toContain('pending');
    expect(await gw.refunds.runOnce()).toBe(1);
    await page.reload();
    const row = (await refundRows().first().textContent()) ?? '';
    expect(row).toContain('completed');
    expect(row).toContain('operator');
    expect(row).toMatch(/SIM[0-9A-F]{16}/);
    await shot('operator');
  });

  it('keeps every refund on the audit trail, with who and from where', async () => {
    const audit = await gw.gw.db.command((tx) =>
      tx.selectFrom('console_audit').selectAll().where('action', '=', 'refund').orderBy('at_ms').execute(),
    );
    expect(audit).toHaveLength(3);
    for (const entry of audit) {
      expect(entry.username).toBe(OPERATOR.username);
      expect(entry.target).toMatch(/^rf_/);
      expect(entry.ip).toBe('127.0.0.1');
    }
    expect(audit[0]?.detail).toBe(`${walletPayinId} 1500 XOF: One item returned`);
    await page.goto(`${base()}/console/activity`);
    expect(await page.getByText('refund', { exact: true }).count()).toBeGreaterThan(0);
    expectLedgerSound(await readLedger(gw.gw.db));
    expect(consoleErrors).toEqual([]);
  });
});
