import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SafeHtml, escapeHtml, html } from './html.js';

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
