import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestGateway, startTestGateway } from '../harness.js';
import { E1, NUMBERS, checkoutBody, confirmPayin } from '../payin-helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, browserAvailable } from './chromium.js';

/**
 * The payment page in a real browser: Debian's headless Chromium driven by playwright-core, which
 * downloads nothing. The gateway listens on 127.0.0.1; the merchant's site is answered by route
 * interception, so nothing leaves the machine. Screenshots land in test-artifacts/screenshots/.
 * Without /usr/bin/chromium the suite is skipped with a printed reason, unless
 * CAURI_REQUIRE_BROWSER=1 (as in CI) makes that a failure.
 */
const XSS_STORE = '<script>alert("x")</script> & Co';

describe.skipIf(!browserAvailable)('payment page in Chromium', () => {
  let gw: TestGateway;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    const address = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    // Payment links must name the address the browser reaches.
    gw.gw.config.publicUrl = address;
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'cauri-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      // A French-speaking customer; the English test asks with ?lang=en.
      locale: 'fr-FR',
    });
    await context.route('https://shop.example/**', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: `<!doctype html><title>Shop</title><h1>Merchant page</h1><p>${new URL(route.request().url()).pathname}</p>`,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await gw?.destroy();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  beforeEach(async () => {
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  async function invoice(
    options: Parameters<typeof checkoutBody>[0] = {},
  ): Promise<{ url: string; token: string }> {
    const created = await gw.call('POST', E1, {
      body: checkoutBody({ store: { name: XSS_STORE, website_url: 'https://shop.example' }, ...options }),
    });
    expect(created.response_code).toBe('00');
    return { url: String(created.response_text), token: String(created.token) };
  }

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('success: push approved, then back to return_url with the token', async () => {
    const { url, token } = await invoice();
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    // The merchant's markup is shown as text, never run.
    expect(await page.locator('#store').textContent()).toBe(XSS_STORE);
    await expect.poll(() => page.locator('[data-testid="amount"]').textContent()).toBe('5\u202f000 FCFA');
    await shot('01-choose-operator');
    await page.getByRole('link', { name: /MOOV AFRICA BURKINA/ }).click();
    await page.locator('#phone').fill(NUMBERS.push_with_guided_fallback.phone);
    await shot('02-enter-number');
    await page.getByRole('button', { name: /^Payer/ }).click();
    await page.locator('[data-testid="waiting"]').waitFor();
    await shot('03-waiting-for-approval');
    await page.getByRole('button', { name: 'Approuver' }).click();
    await page.locator('[data-testid="completed"]').waitFor();
    await shot('04-completed');
    await page.locator('[data-testid="back"]').click();
    await page.waitForURL(/^https:\/\/shop\.example\/return\?token=/);
    expect(new URL(page.url()).searchParams.get('token')).toBe(token);
    expect((await confirmPayin(gw, token)).status).toBe('completed');
    expect(dialogs).toEqual([]);
  });

  it('success in English with a USSD OTP obtained by dialling', async () => {
    const { url, token } = await invoice();
    await page.goto(`${url}?lang=en`);
    await page.getByRole('link', { name: /ORANGE BURKINA/ }).click();
    await page.locator('#phone').fill(NUMBERS.ussd_otp.phone);
    await page.locator('#otp').fill('000000');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await expect.poll(() => page.locator('[data-testid="error"]').textContent()).toBe('Wrong payment code.');
    await shot('05-wrong-otp-en');
    await page.locator('#dial-phone').fill(NUMBERS.ussd_otp.phone);
    await page.getByRole('button', { name: /^Dial/ }).click();
    const code = (await page.locator('[data-testid="sim-code"]').textContent()) ?? '';
    expect(code).toMatch(/^\d{6}$/);
    await shot('06-code-dialled-en');
    await page.locator('#otp').fill(code);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.locator('[data-testid="completed"]').waitFor();
    expect(await page.locator('h2').textContent()).toBe('Payment successful');
    await shot('07-completed-en');
    expect((await confirmPayin(gw, token)).status).toBe('completed');
  });

  it('failure: a declined push, then back to the shop', async () => {
    const { url, token } = await invoice();
    await page.goto(url);
    await page.getByRole('link', { name: /AIRTEL NIGER/ }).click();
    await page.locator('#phone').fill(NUMBERS.ussd_push.phone);
    await page.getByRole('button', { name: /^Payer/ }).click();
    await page.getByRole('button', { name: 'Refuser' }).click();
    await page.locator('[data-testid="failed"]').waitFor();
    await shot('08-failed');
    await page.locator('[data-testid="back"]').click();
    await page.waitForURL(/^https:\/\/shop\.example\/return\?token=/);
    expect((await confirmPayin(gw, token)).status).toBe('notcompleted');
  });

  it('cancel: to cancel_url with the token, the payin notcompleted', async () => {
    const { url, token } = await invoice();
    await page.goto(url);
    await page.getByRole('button', { name: 'Annuler et retourner à la boutique' }).click();
    await page.locator('[data-testid="cancelled"]').waitFor();
    await shot('09-cancelled');
    await page.locator('[data-testid="back"]').click();
    await page.waitForURL(/^https:\/\/shop\.example\/cancel\?token=/);
    expect(new URL(page.url()).searchParams.get('token')).toBe(token);
    expect((await confirmPayin(gw, token)).status).toBe('notcompleted');
  });

  it('operator redirect: to the portal and back', async () => {
    const { url, token } = await invoice();
    await page.goto(url);
    await page.getByRole('link', { name: /ORANGE CI/ }).click();
    await page.locator('#phone').fill(NUMBERS.operator_redirect.phone);
    await page.getByRole('button', { name: /^Payer/ }).click();
    await page.locator('[data-testid="portal"]').waitFor();
    await shot('10-operator-portal');
    await page.getByRole('button', { name: 'Payer' }).click();
    await page.locator('[data-testid="completed"]').waitFor();
    expect((await confirmPayin(gw, token)).status).toBe('completed');
  });

  it('refuses to be framed', async () => {
    const { url } = await invoice();
    await page.goto(`${gw.gw.config.publicUrl}/health`);
    await page.setContent(`<iframe id="f" src="${url}" width="300" height="300"></iframe>`);
    await page.waitForTimeout(500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const content = frame ? await frame.content().catch(() => '') : '';
    expect(content).not.toContain('Paiement');
    await shot('11-framing-refused');
  });
});
