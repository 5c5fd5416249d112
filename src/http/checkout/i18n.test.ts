import { describe, expect, it } from 'vitest';
import {
  MESSAGES,
  PAGE_ERRORS,
  errorText,
  fill,
  formatXof,
  isPageError,
  modeHint,
  negotiateLang,
} from './i18n.js';

describe('payment page language', () => {
  it.each([
    [undefined, undefined, 'fr'],
    ['en', 'fr-FR', 'en'],
    ['fr', 'en-US', 'fr'],
    ['de', undefined, 'fr'],
    [undefined, 'en-US,en;q=0.9', 'en'],
    [undefined, 'fr-FR,fr;q=0.9,en;q=0.8', 'fr'],
    [undefined, 'de-DE,en;q=0.5,fr;q=0.4', 'en'],
    [undefined, 'en;q=0,fr;q=0.1', 'fr'],
    [undefined, 'wo-SN,*;q=0.5', 'fr'],
    [undefined, 'x'.repeat(600), 'fr'],
  ])('?lang=%s with Accept-Language %s → %s', (query, accept, lang) => {
    expect(negotiateLang(query, accept)).toBe(lang);
  });

  it('has the same words in both languages', () => {
    expect(Object.keys(MESSAGES.en).sort()).toEqual(Object.keys(MESSAGES.fr).sort());
    for (const error of PAGE_ERRORS) {
      expect(errorText('fr', error)).not.toBe('');
      expect(errorText('en', error)).not.toBe(errorText('fr', error));
    }
    expect(modeHint('fr', 'guided_ussd', 'waiting')).toContain('{code}');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(fill('Composez {code} sur le {phone} {x}', { code: '*133#', phone: '2250511223344' })).toBe(
      'Composez *133# sur le 2250511223344 {x}',
    );
  });

  it('formats amounts per language', () => {
    expect(formatXof('fr', 1_500_000)).toBe('1\u202f500\u202f000 FCFA');
    expect(formatXof('en', 1_500_000)).toBe('1,500,000 FCFA');
  });

  it('knows its error codes and nothing else', () => {
    expect(isPageError('otp_invalid')).toBe(true);
    expect(isPageError('<script>')).toBe(false);
    expect(isPageError(1)).toBe(false);
  });
});
