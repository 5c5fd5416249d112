import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { expectEchec } from './http-helpers.js';
import { E1, E2, NUMBERS, PageClient, checkoutBody, pagePath, straightBody } from './payin-helpers.js';

/**
 * `store.website_url` is free text shown on the payment page (ADR 0016). The Python SDK's own
 * README sends `masuperboutique.com`, which LigdiCash accepts; Cauri refused it (Code08). It is now
 * accepted whatever it holds, within 2048 characters, and the page makes it a link only when it is
 * an http(s) URL, so that `javascript:` or `data:` can never become one.
 */
describe.each(BACKENDS)('store.website_url on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  async function pageOf(websiteUrl: unknown): Promise<string> {
    const created = await gw.call('POST', E1, {
      body: checkoutBody({ store: { name: 'Ma super boutique', website_url: websiteUrl } }),
    });
    expect(created.response_code, JSON.stringify(created)).toBe('00');
    return (await new PageClient(gw).get(pagePath(created.response_text))).body;
  }

  it.each([
    'masuperboutique.com',
    'www.masuperboutique.com/fr',
    'javascript:alert(1)',
    'data:text/html,hi',
    'Ma boutique à Ouaga',
  ])('accepts %s and shows the store name without a link', async (websiteUrl) => {
    const page = await pageOf(websiteUrl);
    expect(page).toContain('Ma super boutique');
    expect(page).not.toMatch(/<a href="(?!\/)[^"]*"[^>]*>Ma super boutique<\/a>/);
    expect(page).not.toContain('javascript:');
    expect(page).not.toContain('data:text');
  });

  it('links an http(s) website', async () => {
    expect(await pageOf('https://masuperboutique.com/')).toContain(
      '<a href="https://masuperboutique.com/" rel="noopener noreferrer">Ma super boutique</a>',
    );
  });

  it('accepts a bare domain on the direct payin (E2) too', async () => {
    const created = await gw.call('POST', E2, {
      body: straightBody(NUMBERS.ussd_push.phone, {
        store: { name: 'S', website_url: 'masuperboutique.com' },
      }),
    });
    expect(created.response_code).toBe('00');
  });

  it('still bounds its length (2048 characters)', async () => {
    expectEchec(
      await gw.call('POST', E1, {
        body: checkoutBody({ store: { name: 'S', website_url: 'a'.repeat(2049) } }),
      }),
      'createInvoice',
      '08',
    );
  });
});
