/**
 * LigdiCash business error codes. An error answer is HTTP 200 with `response_code` other than "00"
 * and the sub-code as the first `\d{2,3}[a-z]?` of `response_text` (e.g. "Echec (Code15)"); the
 * meaning depends on the endpoint family. The tables merge the four official SDKs' tables (live
 * platform) with the codes Cauri adds (14, 15, 16 for payins). Copied here on purpose: this package
 * ships alone and does not import the gateway.
 */
export type ErrorFamily =
  'createInvoice' | 'confirmInvoice' | 'createWithdrawal' | 'createStraightWithdrawal' | 'debitOtp';

/** The SDKs' regex, case-insensitive as in the JS and Python SDKs. */
export const ERROR_CODE_PATTERN = /\d{2,3}[a-z]?/i;

export const ERROR_MEANINGS: Readonly<Record<ErrorFamily, Readonly<Record<string, string>>>> = {
  createInvoice: {
    '00': 'Authentication failure (api key or token invalid)',
    '01': 'Merchant payin not activated',
    '02': 'Invalid amount',
    '03': 'IP denied',
    '04': 'An error occurred while processing the request',
    '05': 'An error occurred while sending the request (or insufficient wallet balance)',
    '06': 'An error occurred while sending the request',
    '07': 'No network access configured for this number',
    '08': 'Data input error',
    '09': 'API error',
    '10': 'Hash missing',
    '11': 'Invalid hash',
    '12': 'Invalid method',
    '13': 'Unauthorized method',
    '14': 'Wrong wallet credentials',
    '15': 'Wrong OTP',
    '16': 'Expired OTP',
  },
  confirmInvoice: {
    '00': 'Authentication failure (api key or token invalid)',
    '01': 'Merchant payin not activated',
    '02': 'Invoice not found',
    '03': 'An error occurred while processing the request',
    '04': 'Data input error',
    // Cauri's refunds (ADR 0024), which answer in this family.
    '05': 'Payin not completed',
    '06': 'Payin already refunded in full',
    '07': 'Refund amount exceeds what is left to refund',
    '08': 'Refunds unavailable for this operator',
  },
  createWithdrawal: {
    '00': 'Authentication failure (api key or token invalid)',
    '01': 'Merchant payout disabled',
    '02': 'Customer does not exist',
    '03': 'No merchant account on the specified network',
    '03a': 'No pending or processed payout in the last 24 hours',
    '03b': 'No deposit in the last 3 months',
    '04': 'Merchant balance low',
    '05': 'Amount out of range [20;1000000]',
    '06': 'IP denied',
    '07': 'Transaction already exists',
    '08': 'An error occurred while processing the request',
    '09': 'Data input error',
    '10': 'API error',
    '13': 'Hash missing',
    '14': 'Invalid hash',
  },
  createStraightWithdrawal: {
    '00': 'Authentication failure (api key or token invalid)',
    '01': 'Unable to authenticate the application',
    '02': 'Amount out of range [20;1000000]',
    '03': 'No merchant account on the specified network',
    '04': 'No pending or processed payout in the last 24 hours',
    '05': 'Recipient operator not identified',
    '06': 'No merchant account on the specified network',
    '07': 'No merchant account on the specified network',
    '08': 'Merchant balance low',
    '09': 'An error occurred while processing the request',
    '10': 'API error',
    '11': 'Hash missing',
    '12': 'Invalid hash',
    '13': 'Unauthorized currency conversion',
    '14': 'IP denied',
  },
  // `debitotp` answers `{error, message}`, without a code.
  debitOtp: {},
};

/** The first `\d{2,3}[a-z]?` of a response text, lower-cased, or null when there is none. */
export function extractErrorCode(responseText: unknown): string | null {
  if (typeof responseText !== 'string') return null;
  const match = ERROR_CODE_PATTERN.exec(responseText);
  return match ? match[0].toLowerCase() : null;
}

/** The meaning of a code in a family; "Unknown error" for a code the tables do not list (the SDKs' ApiError). */
export function errorMeaning(family: ErrorFamily, code: string | null): string {
  if (code === null) return 'Unknown error';
  return ERROR_MEANINGS[family][code] ?? 'Unknown error';
}
