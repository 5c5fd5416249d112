/**
 * Phone numbers travel as E.164 digits without `+` (spec §8.2). Merchants commonly send `+226…`,
 * `00226…` or spaced numbers; accepting those is lenient and unambiguous, so we normalise them.
 * A national number without its country code is ambiguous and refused.
 */
export const PHONE_DIGITS_MIN = 8;
export const PHONE_DIGITS_MAX = 15;

export function normalizePhone(raw: unknown): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  // A number's sign or decimal point would otherwise be stripped below as a separator, turning
  // -22670123456 or 22670123456.5 into another customer's number.
  if (typeof raw === 'number' && !(Number.isSafeInteger(raw) && raw >= 0)) return undefined;
  let text = String(raw).trim();
  if (text.length > 32) return undefined;
  text = text.replace(/[\s.-]/g, '');
  // Both prefixes may stand together (`+00226…`); stripping each once keeps the result a fixed
  // point, so one customer never gets two spellings and two wallets.
  if (text.startsWith('+')) text = text.slice(1);
  if (text.startsWith('00')) text = text.slice(2);
  if (!/^\d+$/.test(text)) return undefined;
  if (text.length < PHONE_DIGITS_MIN || text.length > PHONE_DIGITS_MAX) return undefined;
  return text;
}
