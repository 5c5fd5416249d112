import { type CustomData, externalIdOf, logfileFor } from '../core/custom-data.js';
import { newId, newRequestId, randomDigits } from '../core/ids.js';
import type { Xof } from '../core/money.js';
import { signToken } from '../core/tokens.js';
import type { PayinTable } from '../store/schema.js';
import type { Gateway } from './context.js';
import type { Project } from './projects.js';
import { transactionHash } from './transaction-hash.js';

/** What every payin request carries, whatever its channel (wallet, hosted, direct). */
export interface PayinFields {
  amountXof: Xof;
  description: string;
  callbackUrl: string;
  customData: CustomData;
  /** `invoice.external_id`; when empty, derived from `custom_data` (spec §2.3). */
  externalId: string;
}

/** The row of a new payin, with its token, LigdiCash ids (`request_id`, `logfile`) and `hash`. */
export function newPayinRow(
  gw: Pick<Gateway, 'tokenSecret'>,
  project: Project,
  p: {
    id?: string;
    kind: string;
    status: 'pending' | 'completed';
    customer: string | null;
    operatorId: string | null;
    input: PayinFields;
    nowMs: number;
  },
): PayinTable {
  const number = randomDigits(12);
  const token = signToken('payin', number, p.nowMs, gw.tokenSecret);
  return {
    id: p.id ?? newId('pay'),
    number,
    token,
    project_id: project.id,
    request_id: newRequestId(),
    kind: p.kind,
    status: p.status,
    amount_xof: p.input.amountXof,
    customer: p.customer,
    operator_id: p.operatorId,
    description: p.input.description,
    custom_data: JSON.stringify(p.input.customData),
    external_id: p.input.externalId !== '' ? p.input.externalId : externalIdOf(p.input.customData),
    merchant_transaction_id: p.input.customData.transaction_id ?? null,
    callback_url: p.input.callbackUrl,
    logfile: logfileFor(p.nowMs),
    hash: transactionHash(project.apikey, token),
    status_reason: null,
    created_at_ms: p.nowMs,
    updated_at_ms: p.nowMs,
  };
}
