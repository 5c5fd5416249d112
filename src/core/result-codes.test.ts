import { describe, expect, it } from 'vitest';
import { errorEnvelope } from '../http/envelope.js';
import {
  type ResultCode,
  WIKI_BASE_URL,
  type Wiki,
  fail,
  ok,
  subCodeFor,
  subCodeTable,
  wikiUrl,
} from './result-codes.js';

/**
 * Every code of the closed list. A `Record` over `ResultCode` makes the compiler insist that this
 * list names every member of the union, so a new code cannot escape these tests.
 */
const EVERY_CODE: Record<ResultCode, true> = {
  auth_failed: true,
  payin_disabled: true,
  payout_disabled: true,
  ip_denied: true,
  amount_out_of_range: true,
  invalid_input: true,
  invalid_phone: true,
  wallet_not_found: true,
  insufficient_wallet_balance: true,
  operator_not_identified: true,
  operator_not_enabled: true,
  operator_unavailable: true,
  subaccount_missing: true,
  subaccount_insufficient: true,
  duplicate_transaction: true,
  otp_missing: true,
  otp_invalid: true,
  otp_expired: true,
  not_found: true,
  method_not_allowed: true,
  idempotency_conflict: true,
  payin_not_completed: true,
  payin_fully_refunded: true,
  refund_exceeds_payin: true,
  refund_unsupported: true,
  internal_error: true,
};
const CODES = Object.keys(EVERY_CODE) as ResultCode[];
const WIKIS: Wiki[] = ['createInvoice', 'confirmInvoice', 'createWithdrawal', 'createStraightWithdrawal'];

/** The regex the official SDKs use to pull the code out of `response_text` (official-sdks §1). */
const SDK_CODE = /\d{2,3}[a-z]?/;

describe('subCodeFor', () => {
  it.each(WIKIS)('maps every result code to a 2-digit code with a description in %s', (wiki) => {
    for (const code of CODES) {
      const sub = subCodeFor(wiki, code);
      expect(sub, `${wiki} ${code}`).toBeDefined();
      expect(sub.code, `${wiki} ${code}`).toMatch(/^\d{2}$/);
      expect(sub.description.length, `${wiki} ${code}`).toBeGreaterThan(0);
    }
  });

  it.each(WIKIS)('lets the SDK regex find the code as the first match of Echec (CodeXX) in %s', (wiki) => {
    for (const code of CODES) {
      const sub = subCodeFor(wiki, code);
      expect(SDK_CODE.exec(`Echec (Code${sub.code})`)?.[0]).toBe(sub.code);
      const envelope = errorEnvelope(wiki, code, 'a detail with digits 123 that must not matter');
      expect(envelope.response_text).toBe(`Echec (Code${sub.code})`);
      expect(SDK_CODE.exec(envelope.response_text)?.[0], `${wiki} ${code}`).toBe(sub.code);
      expect(envelope.response_code).toBe('01');
      expect(envelope.wiki).toBe(wikiUrl(wiki));
    }
  });

  it('keeps the codes the SDKs and merchants branch on', () => {
    expect(subCodeFor('createInvoice', 'auth_failed').code).toBe('00');
    expect(subCodeFor('createInvoice', 'amount_out_of_range').code).toBe('02');
    expect(subCodeFor('createInvoice', 'wallet_not_found').code).toBe('14');
    expect(subCodeFor('createInvoice', 'otp_invalid').code).toBe('15');
    expect(subCodeFor('createInvoice', 'otp_expired').code).toBe('16');
    expect(subCodeFor('confirmInvoice', 'not_found').code).toBe('02');
    expect(subCodeFor('createWithdrawal', 'wallet_not_found').code).toBe('02');
    expect(subCodeFor('createWithdrawal', 'subaccount_missing').code).toBe('03');
    expect(subCodeFor('createWithdrawal', 'subaccount_insufficient').code).toBe('04');
    expect(subCodeFor('createWithdrawal', 'subaccount_insufficient').description).toBe(
      'Merchant balance low',
    );
    expect(subCodeFor('createWithdrawal', 'amount_out_of_range').code).toBe('05');
    expect(subCodeFor('createWithdrawal', 'ip_denied').code).toBe('06');
    expect(subCodeFor('createWithdrawal', 'duplicate_transaction').code).toBe('07');
    expect(subCodeFor('createStraightWithdrawal', 'subaccount_insufficient').code).toBe('08');
    expect(subCodeFor('createStraightWithdrawal', 'ip_denied').code).toBe('14');
  });
});

describe('subCodeTable', () => {
  it.each(WIKIS)('lists each code of %s once, sorted, covering every mapping', (wiki) => {
    const table = subCodeTable(wiki);
    const codes = table.map((entry) => entry.code);
    expect(codes).toEqual([...new Set(codes)].sort());
    expect(new Set(codes)).toEqual(new Set(CODES.map((code) => subCodeFor(wiki, code).code)));
  });
});

describe('wikiUrl', () => {
  it('points at the LigdiCash wiki page of the family', () => {
    expect(wikiUrl('createWithdrawal')).toBe(`${WIKI_BASE_URL}createWithdrawal`);
    expect(WIKI_BASE_URL).toBe('https://client.ligdicash.com/wiki/');
  });
});

describe('ok and fail', () => {
  it('build results, with a detail only when given', () => {
    expect(ok(5)).toEqual({ ok: true, value: 5 });
    expect(fail('not_found')).toStrictEqual({ ok: false, code: 'not_found' });
    expect(fail('not_found', 'no such payout')).toStrictEqual({
      ok: false,
      code: 'not_found',
      detail: 'no such payout',
    });
  });
});
