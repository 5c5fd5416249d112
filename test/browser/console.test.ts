import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestGateway, latestOtp, payoutBody, startTestGateway, walletPayinBody } from '../harness.js';
import { E2, NUMBERS, confirmPayin, straightBody } from '../payin-helpers.js';
import { OPERATOR, addConsoleUser } from '../console-helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, browserAvailable } from './chromium.js';

/**
 * The operator console in Debian's headless Chromium (playwright-core, nothing downloaded): sign
 * in, walk every page from the navigation with the keyboard-reachable links, approve a push,
 * resend a callback, and keep a screenshot of every page in test-artifacts/screenshots/console-*.
 * Console errors (a CSP violation shows as one) fail the test. Skipped with a printed reason
 * without /usr/bin/chromium, unless CAURI_REQUIRE_BROWSER=1.
 */
const WALLET = '22670123456';

describe.skipIf(!browserAvailable)('operator console in Chromium', () => {
  let gw: TestGateway;
  let desktop: BrowserContext;
  let mobile: BrowserContext;
  let profiles: string[] = [];
  let page: Page;
  const consoleErrors: string[] = [];
  let pushPayinToken = '';

  async function traffic(): Promise<void> {
    await gw.wallet(WALLET, 100_000);
    await gw.fundSub('0', 50_000);
    await gw.fundSub(NUMBERS.push_with_guided_fallback.operatorId, 50_000);
    for (const amount of [2_500, 4_000]) {
      await gw.call('GET', `/pay/v02/debitotp/${WALLET}/${amount}`);
      await gw.call('POST', '/pay/v02/debitwallet/withotp', {
        body: walletPayinBody(WALLET, amount, await latestOtp(gw, WALLET), {
          transaction_id: `ORD-${amount}`,
        }),
      });
      gw.clock.advance(60_000);
    }
    await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(WALLET, 1_500, { custom_data: { transaction_id: 'RF-1' } }),
    });
    const push = await gw.call('POST', E2, {
      body: straightBody(NUMBERS.push_with_guided_fallback.phone, { customData: { transaction_id: 'DP-1' } }),
    });
    pushPayinToken = String(push.token);
    // The callbacks go to https://shop.example, which this closed machine cannot reach: each
    // attempt is recorded as failed, which is what a resend is for.
    await gw.callbacks.runOnce();
  }

  function newContext(profile: string, mobileDevice: boolean): Promise<BrowserContext> {
    return chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: mobileDevice ? { width: 390, height: 844 } : { width: 1280, height: 900 },
      deviceScaleFactor: mobileDevice ? 2 : 1,
      isMobile: mobileDevice,
      hasTouch: mobileDevice,
      locale: 'en-US',
    });
  }

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    const address = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    gw.gw.config.publicUrl = address;
    await addConsoleUser(gw);
    await traffic();
    mkdirSync(SHOTS, { recursive: true });
    profiles = [
      mkdtempSync(path.join(tmpdir(), 'cauri-console-')),
      mkdtempSync(path.join(tmpdir(), 'cauri-console-m-')),
    ];
    desktop = await newContext(profiles[0] ?? '', false);
    mobile = await newContext(profiles[1] ?? '', true);
    page = await desktop.newPage();
    page.on('console', (message) => {
      // The wrong password of the first test answers 401, which Chromium reports; nothing else may.
      if (message.type() === 'error' && !message.text().includes('status of 401'))
        consoleErrors.push(message.text());
    });
  }, 90_000);

  afterAll(async () => {
    await desktop?.close();
    await mobile?.close();
    await gw?.destroy();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  });

  const base = () => gw.gw.config.publicUrl;
  /** Inputs and selects a screen reader could not name: no <label> and no aria-label. */
  const unlabelledFields = (p: Page) =>
    p.$$eval('input:not([type=hidden]), select, textarea', (fields) =>
      fields
        .filter((f) => ((f as HTMLInputElement).labels?.length ?? 0) === 0 && !f.getAttribute('aria-label'))
        .map((f) => f.outerHTML),
    );
  const shot = (p: Page, name: string) =>
    p.screenshot({ path: path.join(SHOTS, `console-${name}.png`), fullPage: true });

  async function signIn(p: Page): Promise<void> {
    await p.goto(`${base()}/console`);
    await p.waitForURL(/\/console\/login\?next=/);
    await p.getByLabel('Username').fill(OPERATOR.username);
    await p.getByLabel('Password').fill(OPERATOR.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(`${base()}/console`);
  }

  it('signs in with the keyboard, and refuses a wrong password first', async () => {
    await page.goto(`${base()}/console/login`);
    await shot(page, '01-sign-in');
    await page.getByLabel('Username').fill(OPERATOR.username);
    await page.getByLabel('Password').fill('not the password');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    await signIn(page);
    expect(await page.locator('h1').textContent()).toBe('Dashboard');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  });

  it('walks every page of the navigation', async () => {
    const links = await page
      .locator('nav.main a')
      .evaluateAll((anchors) =>
        anchors.map((a) => ({ text: a.textContent ?? '', href: a.getAttribute('href') ?? '' })),
      );
    expect(links.map((l) => l.text)).toEqual([
      'Dashboard',
      'Transactions',
      'Bulk payouts',
      'Projects',
      'Balances',
      'Statements',
      'Wallets',
      'Activity',
      'Operators',
      'Reconciliation',
      'SMS inbox',
      'Pending pushes',
      'Magic numbers',
    ]);
    for (const [index, link] of links.entries()) {
      await page.locator('nav.main').getByRole('link', { name: link.text, exact: true }).click();
      await page.waitForURL(`${base()}${link.href}`);
      expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe(link.text);
      expect(await page.locator('h1').textContent()).toBeTruthy();
      expect(await unlabelledFields(page), `${link.href}: form fields without a label`).toEqual([]);
      await shot(page, `${String(index + 2).padStart(2, '0')}-${link.href.split('/').pop() || 'dashboard'}`);
    }
    await page.locator('nav.main').getByRole('link', { name: 'Projects', exact: true }).click();
    await page.getByRole('link', { name: 'Test shop' }).click();
    await page.waitForURL(/\/console\/projects\/prj_/);
    expect(await unlabelledFields(page)).toEqual([]);
    await shot(page, '11-project');
    await page.locator('nav.main').getByRole('link', { name: 'Wallets', exact: true }).click();
    await page.getByLabel('Phone (international, e.g. 22670123456)').fill('22670990077');
    await page.getByLabel('Initial funding in XOF (optional)').fill('1500');
    await page.getByRole('button', { name: 'Create wallet' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Wallet created.');
    expect(await page.locator('table tbody tr').first().textContent()).toContain('1\u202f500 XOF');
    await page.goto(`${base()}/console/balances`);
    await page.getByRole('button', { name: /Recompute every balance/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/every cached balance matches/);
    expect(await page.locator('#proof-title .badge').textContent()).toBe('ok');
  });

  it('approves a pending push; the payin completes', async () => {
    await page.goto(`${base()}/console/sandbox/pushes`);
    const approve = page.getByRole('button', { name: /^Approve PSH\d{8}$/ });
    await expect.poll(() => approve.count()).toBe(1);
    await approve.click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^PSH\d{8} approved, settled$/);
    await shot(page, '20-push-approved');
    expect((await confirmPayin(gw, pushPayinToken)).status).toBe('completed');
  });

  it('finds a transaction, shows its story, and resends its callback', async () => {
    await page.goto(`${base()}/console/transactions`);
    await page.getByLabel('Merchant transaction id').fill('ORD-4000');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('table tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().getByRole('link').click();
    await page.waitForURL(/\/console\/transactions\/pay_/);
    expect(await page.locator('#history + ol li').count()).toBeGreaterThan(0);
    expect(await page.locator('#ledger + div table tbody tr').count()).toBe(1);
    await shot(page, '21-transaction-story');
    const eventId = (await page.locator('#callbacks ~ .card code').first().textContent()) ?? '';
    expect(eventId).toMatch(/^evt_/);
    await page.getByRole('button', { name: 'Resend this callback' }).first().click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Callback queued/);
    const event = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('outbox')
        .select(['status', 'cycle_attempts'])
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow(),
    );
    expect(event).toEqual({ status: 'pending', cycle_attempts: 0 });
    await page.goto(`${base()}/console/activity`);
    expect(await page.locator('main').textContent()).toContain('callback resend');
  });

  it('fits a phone screen: no page scrolls sideways, tables scroll inside their box', async () => {
    const phone = await mobile.newPage();
    await signIn(phone);
    for (const path_ of [
      '/console',
      '/console/transactions',
      '/console/projects',
      '/console/balances',
      '/console/wallets',
      '/console/sandbox/pushes',
    ]) {
      await phone.goto(`${base()}${path_}`);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path_).toBeLessThanOrEqual(0);
    }
    await phone.goto(`${base()}/console`);
    await shot(phone, '30-mobile-dashboard');
    await phone.close();
  });

  it('raised no console error (a CSP violation would be one)', () => {
    expect(consoleErrors).toEqual([]);
  });
});
