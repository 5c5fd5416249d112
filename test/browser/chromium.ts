import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../console-helpers.js';

/**
 * What the browser suites share: Debian's Chromium driven by playwright-core (nothing is
 * downloaded), headless, and as root without its sandbox. Without /usr/bin/chromium the suites are
 * skipped with a printed reason, unless CAURI_REQUIRE_BROWSER=1 (as in CI) makes that a failure.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where each suite keeps a screenshot of every page it visits. */
export const SHOTS = path.resolve('test-artifacts', 'screenshots');

export const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.CAURI_REQUIRE_BROWSER === '1')
  throw new Error(`CAURI_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
if (!browserAvailable)
  console.warn(`[cauri tests] skipping browser suites: ${CHROMIUM} is missing (apt-get install chromium)`);

/** Opens the console at `baseUrl`, is sent to the sign-in page, and signs in as the test operator. */
export async function signInToConsole(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.waitForURL(/\/console\/login\?next=/);
  await page.getByLabel('Username').fill(OPERATOR.username);
  await page.getByLabel('Password').fill(OPERATOR.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/console`);
}
