import type { CustomData } from '../core/custom-data.js';
import { operatorById } from '../core/operators.js';
import type { Payout } from '../core/payout.js';
import { wikiUrl } from '../core/result-codes.js';
import { wireDate } from '../core/tokens.js';
import { type ConfirmBody, FAILED_STATUS } from './wire.js';

/** A payout's status as the SDKs parse it (E8/E9, spec §2.8): wire.ts's 16-key confirm body. */
export function payoutConfirmBody(payout: Payout): ConfirmBody {
  const operator = operatorById(payout.operatorId);
  const amount = String(payout.amountXof);
  return {
    response_code: '00',
    token: payout.token,
    response_text: '',
    description: payout.status === FAILED_STATUS && payout.statusReason ? payout.statusReason : '',
    custom_data: [],
    wiki: wikiUrl('createStraightWithdrawal'),
    status: payout.status,
    operator_id: operator?.id ?? '',
    operator_name: operator?.name ?? '',
    customer: payout.customer,
    montant: amount,
    amount,
    date: wireDate(payout.updatedAtMs),
    external_id: payout.externalId,
    request_id: payout.requestId,
    transaction_id: payout.merchantTransactionId ?? payout.externalId,
  };
}

/**
 * The create envelope of a payout. The docs show `custom_data: []` (E6) and `""` (E7), which the
 * Dart SDK cannot parse; Cauri echoes the object, which every SDK accepts (ADR 0004).
 */
export function payoutCreatedBody(payout: Payout, wiki: 'createWithdrawal' | 'createStraightWithdrawal') {
  return {
    response_code: '00' as const,
    token: payout.token,
    response_text: '',
    description: '',
    custom_data: { ...(JSON.parse(payout.customData) as CustomData), logfile: payout.logfile },
    wiki: wikiUrl(wiki),
  };
}
