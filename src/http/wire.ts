import { type CustomData, customDataRows } from '../core/custom-data.js';
import { operatorById } from '../core/operators.js';
import { wikiUrl } from '../core/result-codes.js';
import type { Payin } from '../core/payin.js';
import { wireDate } from '../core/tokens.js';

/**
 * Response bodies the SDKs parse (official-sdks §1). The confirm body has exactly 16 keys, in
 * this order: the Python SDK rejects any other key and the Dart SDK needs amounts as digit
 * strings and operator fields as strings.
 */
export interface ConfirmBody {
  response_code: '00';
  token: string;
  response_text: string;
  description: string;
  custom_data: ReturnType<typeof customDataRows> | [];
  wiki: string;
  status: string;
  operator_id: string;
  operator_name: string;
  customer: string | null;
  montant: string;
  amount: string;
  date: string;
  external_id: string;
  request_id: string;
  transaction_id: string;
}

export const CONFIRM_KEYS = [
  'response_code',
  'token',
  'response_text',
  'description',
  'custom_data',
  'wiki',
  'status',
  'operator_id',
  'operator_name',
  'customer',
  'montant',
  'amount',
  'date',
  'external_id',
  'request_id',
  'transaction_id',
] as const;

/** Wire status of a failed transaction: `notcompleted`, as the current docs say (spec §8.6, ADR 0004). */
export const FAILED_STATUS = 'notcompleted';

function parseCustomData(json: string): CustomData {
  return JSON.parse(json) as CustomData;
}

export function payinConfirmBody(payin: Payin): ConfirmBody {
  const pending = payin.status === 'pending';
  const operator = payin.operatorId !== null ? operatorById(payin.operatorId) : undefined;
  const customData = parseCustomData(payin.customData);
  const amount = String(payin.amountXof);
  return {
    response_code: '00',
    token: '',
    response_text: '',
    description: '',
    custom_data: customDataRows(customData, { hash: payin.hash, logfile: payin.logfile }, payin.createdAtMs),
    wiki: wikiUrl('confirmInvoice'),
    status: payin.status,
    operator_id: pending || !operator ? '' : operator.id,
    operator_name: pending || !operator ? '' : operator.name,
    customer: pending ? null : payin.customer,
    montant: amount,
    amount,
    date: wireDate(payin.updatedAtMs),
    external_id: payin.externalId,
    request_id: payin.requestId,
    transaction_id: customData.transaction_id ?? payin.externalId,
  };
}

/** The create envelope of a payin (E2/E5): `custom_data` echoed as an object plus `logfile`. */
export function payinCreatedBody(payin: Payin, responseText: string) {
  return {
    response_code: '00' as const,
    token: payin.token,
    response_text: responseText,
    description: '',
    custom_data: { ...parseCustomData(payin.customData), logfile: payin.logfile },
    wiki: wikiUrl('createInvoice'),
  };
}
