/**
 * Phone numbers travel as E.164 digits without `+` (spec §8.2). Merchants commonly send `+226…`,
 * `00226…` or spaced numbers; accepting those is lenient and unambiguous, so we normalise them.
 * A national number without its country code is ambiguous and refused.
 */
export const PHONE_DIGITS_MIN = 8;
export const PHONE_DIGITS_MAX = 15;

export function normalizePhone(raw: unknown): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  let text = String(raw).trim();
  if (text.length > 32) return undefined;
  text = text.replace(/[\s.-]/g, '');
  if (text.startsWith('+')) text = text.slice(1);
  else if (text.startsWith('00')) text = text.slice(2);
  if (!/^\d+$/.test(text)) return undefined;
  if (text.length < PHONE_DIGITS_MIN || text.length > PHONE_DIGITS_MAX) return undefined;
  return text;
}
