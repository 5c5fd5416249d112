import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_CSP, SafeHtml, escapeHtml, html, layout } from './html.js';
import { CHECKOUT_CSS } from './style.js';
import { createHash } from 'node:crypto';

describe('HTML escaping', () => {
  it('escapes the five HTML metacharacters and the backtick', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('leaves no markup character in any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        expect(escapeHtml(text)).not.toMatch(/[<>"'`]/);
      }),
      { numRuns: 300 },
    );
  });

  it('escapes every interpolation of html``, arrays included, but not SafeHtml', () => {
    const item = '<b>';
    const out = html`<p title="${'"x"'}">${item}${[item, html`<i>${item}</i>`]}${new SafeHtml('<br>')}${null}${false}${undefined}${42}</p>`;
    expect(out.value).toBe('<p title="&quot;x&quot;">&lt;b&gt;&lt;b&gt;<i>&lt;b&gt;</i><br>42</p>');
  });
});

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
