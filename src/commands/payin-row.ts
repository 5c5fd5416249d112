import { type CustomData, externalIdOf, logfileFor } from '../core/custom-data.js';
import { newId, newRequestId, randomDigits } from '../core/ids.js';
import { type Xof, xof } from '../core/money.js';
import type { Payin, PayinKind } from '../core/payin.js';
import { signToken } from '../core/tokens.js';
import type { WithTokens } from './context.js';
import type { Project } from '../core/project.js';
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

/** A new payin, with its token, LigdiCash ids (`request_id`, `logfile`) and `hash`. */
export function newPayin(
  deps: Pick<WithTokens, 'tokenSecret'>,
  project: Project,
  p: {
    id?: string;
    kind: PayinKind;
    status: 'pending' | 'completed';
    customer: string | null;
    operatorId: string | null;
    input: PayinFields;
    nowMs: number;
  },
): Payin {
  const number = randomDigits(12);
  const token = signToken('payin', number, p.nowMs, deps.tokenSecret);
  return {
    id: p.id ?? newId('pay'),
    number,
    token,
    projectId: project.id,
    requestId: newRequestId(),
    kind: p.kind,
    status: p.status,
    amountXof: p.input.amountXof,
    customer: p.customer,
    operatorId: p.operatorId,
    description: p.input.description,
    customData: JSON.stringify(p.input.customData),
    externalId: p.input.externalId !== '' ? p.input.externalId : externalIdOf(p.input.customData),
    merchantTransactionId: p.input.customData.transaction_id ?? null,
    callbackUrl: p.input.callbackUrl,
    logfile: logfileFor(p.nowMs),
    hash: transactionHash(project.apikey, token),
    statusReason: null,
    statusReasonCode: null,
    createdAtMs: p.nowMs,
    updatedAtMs: p.nowMs,
    refundedXof: xof(0),
  };
}
