import { describe, expect, it } from 'vitest';
import { html } from '../../util/html.js';
import { PAGE_CSP, layout } from './html.js';
import { CHECKOUT_CSS } from './style.js';
import { createHash } from 'node:crypto';

describe('page layout', () => {
  it('allows exactly its own inline stylesheet, no script and no framing', () => {
    const hash = createHash('sha256').update(CHECKOUT_CSS).digest('base64');
    expect(PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(PAGE_CSP).toContain("script-src 'none'");
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
    const page = layout(
      { lang: 'fr', title: '<t>', refreshSeconds: 3, refreshUrl: '/x?a=1&b="2"' },
      html`<p>ok</p>`,
    );
    expect(page).toContain('<title>&lt;t&gt;</title>');
    expect(page).toContain('<meta http-equiv="refresh" content="3;url=/x?a=1&amp;b=&quot;2&quot;">');
    expect(page).not.toMatch(/<script/i);
  });
});
