/**
 * What the logs must not carry (ADR 0020). Credentials are removed by pino's `redact` wherever
 * they appear in a logged object; the request path is written by the access log itself, with the
 * phone numbers it may hold (debitotp's `/:phone/`) cut to their last 4 digits: a phone number is
 * personal data, and 4 digits still let an operator match a complaint to a line. Query strings are
 * not logged at all: they carry invoice tokens (confirm), which are bearer credentials.
 */
export const REDACTED = '[redacted]';

/** pino `redact` paths: the credential headers, and credential-like keys one level down in any logged object. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'headers.authorization',
  'headers.apikey',
  'headers.cookie',
  '*.authorization',
  '*.apikey',
  '*.token',
  '*.apiToken',
  '*.api_token',
  '*.invoiceToken',
  '*.otp',
  '*.password',
  '*.secret',
];

/** Digit runs this long or longer are taken for phone numbers (BF numbers are 8 digits, 11 with 226). */
const PHONE_DIGITS_MIN = 8;
const DIGIT_RUN = /\d{8,}/g;

/** A phone number with all but its last 4 digits replaced by `*`. */
export function maskPhone(digits: string): string {
  return digits.length < PHONE_DIGITS_MIN ? digits : `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** The path of a request URL for the log: no query string, phone-like digit runs masked, bounded. */
export function loggedPath(url: string): string {
  const question = url.indexOf('?');
  const path = question === -1 ? url : url.slice(0, question);
  const masked = path.replace(DIGIT_RUN, maskPhone);
  return masked.length <= 200 ? masked : `${masked.slice(0, 199)}…`;
}
