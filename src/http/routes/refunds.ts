import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { WithProjectCache, WithTokens } from '../../commands/context.js';
import {
  type RefundDeps,
  type RefundInput,
  type RefundView,
  createRefund,
  getRefund,
  listPayinRefunds,
} from '../../commands/refunds.js';
import { checkUrl } from '../../core/checkout.js';
import { parseAmountXof } from '../../core/money.js';
import {
  REFUND_REASON_CHARS_MAX,
  REFUND_REFERENCE_CHARS_MAX,
  REFUND_REFERENCE_PATTERN,
  type RefundStatus,
} from '../../core/refunds.js';
import { type Result, fail, ok } from '../../core/result-codes.js';
import { wireDate } from '../../core/tokens.js';
import { uniqueViolation } from '../../store/database.js';
import { errorEnvelope } from '../envelope.js';
import { firstError, text } from '../schemas.js';
import { CAURI_V1_READ_WIKI, cauriV1, queryValidator, requireAllowedIp, success } from './cauri-v1.js';
import { envelopeOf, idempotentCreate } from './common.js';

/**
 * Refunds of payins, a Cauri extension under `/cauri/v1/` (ADR 0024) in the shape of cauri-v1.ts:
 * LigdiCash credentials and envelopes with the confirmInvoice family's codes, and, since a refund
 * sends money out of the project, the project's IP allow-list on creation (spec §1.4, as payouts).
 * A payin or refund of another project is "not found".
 *
 *   POST /cauri/v1/refunds                 refund a completed payin (Idempotency-Key supported)
 *   GET  /cauri/v1/refunds/{refundId}      one refund
 *   GET  /cauri/v1/refunds?payin=…         a payin's refunds, with what is left to refund
 */
const WIKI = CAURI_V1_READ_WIKI;
const REFUND_ID = /^rf_[a-z2-7]{1,64}$/;
/** A payin token (a JWT) or a `pay_` id. */
const PAYIN_REF_CHARS_MAX = 1024;

export const RefundCreateBody = Type.Object({
  payin: Type.String({
    minLength: 1,
    maxLength: PAYIN_REF_CHARS_MAX,
    description: 'The payin token its creation returned, or its `pay_…` id.',
  }),
  amount: Type.Optional(
    Type.Union([Type.Number(), Type.String({ maxLength: 32 }), Type.Null()], {
      description: 'Whole XOF; absent or null: what is left to refund.',
    }),
  ),
  reason: Type.String({ minLength: 1, maxLength: REFUND_REASON_CHARS_MAX }),
  merchant_refund_reference: Type.String({
    minLength: 1,
    maxLength: REFUND_REFERENCE_CHARS_MAX,
    pattern: REFUND_REFERENCE_PATTERN.source,
  }),
  callback_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
});
const refundCreateBody = Compile(RefundCreateBody);

export function parseRefundBody(body: unknown): Result<RefundInput> {
  if (!refundCreateBody.Check(body)) return fail('invalid_input', firstError(refundCreateBody, body));
  let amountXof: RefundInput['amountXof'];
  if (body.amount !== undefined && body.amount !== null && body.amount !== '') {
    amountXof = parseAmountXof(body.amount);
    if (amountXof === undefined || amountXof <= 0)
      return fail('invalid_input', 'amount must be a positive whole number of XOF');
  }
  const reason = body.reason.trim();
  if (reason === '' || /\p{Cc}/u.test(reason))
    return fail('invalid_input', 'reason must be text without control characters');
  const callbackUrl = text(body.callback_url);
  if (checkUrl(callbackUrl) === undefined)
    return fail('invalid_input', 'callback_url must be an http(s) URL');
  return ok({
    payin: body.payin,
    amountXof,
    reason,
    merchantReference: body.merchant_refund_reference,
    callbackUrl,
  });
}

/** A refund on the wire: amounts are integers, times as LigdiCash writes them. */
export function refundJson(refund: RefundView) {
  return {
    refund_id: refund.id,
    status: refund.status,
    amount: refund.amountXof,
    method: refund.method,
    payin_id: refund.payinId,
    payin_token: refund.payinToken,
    merchant_refund_reference: refund.merchantReference,
    reason: refund.reason,
    customer: refund.customer,
    operator_id: refund.operatorId,
    operator_reference: refund.operatorReference ?? '',
    status_reason: refund.statusReason ?? '',
    created_at: wireDate(refund.createdAtMs),
    updated_at: wireDate(refund.updatedAtMs),
  };
}

const DESCRIPTIONS: Readonly<Record<RefundStatus, string>> = {
  completed: 'Refund completed',
  pending: 'Refund accepted; its outcome comes by callback',
  failed: 'Refund failed',
};

function refundBody(refund: RefundView) {
  return success({ refund: refundJson(refund) }, DESCRIPTIONS[refund.status]);
}

const listQuery = queryValidator<{ payin: string }>(
  Type.Object(
    { payin: Type.String({ minLength: 1, maxLength: PAYIN_REF_CHARS_MAX }) },
    { additionalProperties: false },
  ),
);

export function registerRefundRoutes(
  app: FastifyInstance,
  deps: RefundDeps & WithTokens & WithProjectCache,
): void {
  app.post('/cauri/v1/refunds', { config: { wiki: WIKI } }, async (request) => {
    try {
      return await idempotentCreate(deps, request, WIKI, 'cauri/v1/refunds', async (tx, project) => {
        const denied = requireAllowedIp(request, project, WIKI);
        if (denied !== undefined) return { body: denied, succeeded: false };
        const parsed = parseRefundBody(request.body);
        if (!parsed.ok) return { body: envelopeOf(WIKI, parsed), succeeded: false };
        const refund = await createRefund(deps, tx, project, parsed.value);
        if (!refund.ok) return { body: envelopeOf(WIKI, refund), succeeded: false };
        return { body: refundBody(refund.value), succeeded: true };
      });
    } catch (error) {
      // Two refunds of two payins with one merchant reference raced on PostgreSQL; the unique index stopped the second.
      if (uniqueViolation(error)?.includes('refunds_project_reference'))
        return errorEnvelope(
          WIKI,
          'duplicate_transaction',
          'A refund with this merchant reference exists already',
        );
      throw error;
    }
  });

  app.get(
    '/cauri/v1/refunds/:refundId',
    { config: { wiki: WIKI } },
    (request: FastifyRequest<{ Params: { refundId: string } }>) =>
      cauriV1(deps, request, WIKI, async (tx, project) => {
        const { refundId } = request.params;
        if (!REFUND_ID.test(refundId)) return errorEnvelope(WIKI, 'not_found', 'No such refund');
        const refund = await getRefund(tx, project.id, refundId);
        return refund.ok ? refundBody(refund.value) : envelopeOf(WIKI, refund);
      }),
  );

  app.get('/cauri/v1/refunds', { config: { wiki: WIKI } }, (request) =>
    cauriV1(deps, request, WIKI, async (tx, project) => {
      const query = listQuery.parse(request.query);
      if (!query.ok) return errorEnvelope(WIKI, 'invalid_input', query.detail);
      const listed = await listPayinRefunds(deps, tx, project, query.value.payin);
      if (!listed.ok) return envelopeOf(WIKI, listed);
      const { payin: row, refunds, refundedXof, refundableXof } = listed.value;
      return success({
        payin_id: row.id,
        payin_token: row.token,
        payin_status: row.status,
        payin_amount: row.amountXof,
        refunded_amount: refundedXof,
        refundable_amount: refundableXof,
        refunds: refunds.map(refundJson),
      });
    }),
  );
}
