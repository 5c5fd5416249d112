import { type Static, Type } from 'typebox';
import type { RefundCallback as RefundCallbackPayload } from '../../core/callbacks.js';
import { REFUNDS_LIST_MAX } from '../../core/refunds.js';
import { RefundCreateBody } from '../routes/refunds.js';
import type { Operation } from './operation.js';
import { ErrorEnvelope, formVariant } from './schemas.js';

/**
 * The refund endpoints and callback of ADR 0024 in the OpenAPI document: `REFUND_OPERATIONS` joins
 * document.ts's list of operations, `RefundCallback` its webhooks.
 */
const WireDate = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\+00$',
  description: 'UTC: `YYYY-MM-DD HH:MM:SS+00`.',
});
const RefundStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')],
  {
    description:
      '`completed` once the money is back with the payer; `failed` gives the amount back to what is left to refund.',
  },
);
const RefundMethod = Type.Union([Type.Literal('wallet'), Type.Literal('operator'), Type.Literal('payout')], {
  description:
    "`wallet`: back to the payer's LigdiCash wallet at once; `operator`: the operator's own refund; `payout`: a payout to the payer's number, where the operator has no refund (ADR 0024).",
});

export const Refund = Type.Object(
  {
    refund_id: Type.String({ pattern: '^rf_[a-z2-7]+$' }),
    status: RefundStatus,
    amount: Type.Integer({ minimum: 1, description: 'XOF.' }),
    method: RefundMethod,
    payin_id: Type.String({ pattern: '^pay_[a-z2-7]+$' }),
    payin_token: Type.String(),
    merchant_refund_reference: Type.String(),
    reason: Type.String(),
    customer: Type.String({ description: 'The payer, who gets the money back.' }),
    operator_id: Type.String(),
    operator_reference: Type.String({
      description: "The operator's reference of the refund, once it has one; else empty.",
    }),
    status_reason: Type.String(),
    created_at: WireDate,
    updated_at: WireDate,
  },
  { additionalProperties: false, title: 'Refund' },
);

const envelope = {
  response_code: Type.Literal('00'),
  response_text: Type.String(),
  description: Type.String(),
};
export const RefundBody = Type.Object(
  { ...envelope, refund: Refund },
  { additionalProperties: false, title: 'RefundBody' },
);
export const RefundListBody = Type.Object(
  {
    ...envelope,
    payin_id: Type.String(),
    payin_token: Type.String(),
    payin_status: Type.String(),
    payin_amount: Type.Integer({ minimum: 0 }),
    refunded_amount: Type.Integer({
      minimum: 0,
      description: 'The sum of the refunds that have not failed.',
    }),
    refundable_amount: Type.Integer({
      minimum: 0,
      description: 'What is left to refund; 0 for a payin that is not completed.',
    }),
    refunds: Type.Array(Refund, { maxItems: REFUNDS_LIST_MAX }),
  },
  { additionalProperties: false, title: 'RefundListBody' },
);

/** The refund callback of src/core/callbacks.ts. */
export const RefundCallback = Type.Object(
  {
    event: Type.Literal('refund'),
    response_code: Type.Literal('00'),
    response_text: Type.String(),
    date: WireDate,
    refund_id: Type.String({ pattern: '^rf_[a-z2-7]+$' }),
    status: RefundStatus,
    amount: Type.Integer({ minimum: 1 }),
    montant: Type.Integer({ minimum: 1 }),
    payin_token: Type.String(),
    merchant_refund_reference: Type.String(),
    reason: Type.String(),
    customer: Type.String(),
    method: Type.String(),
    operator_id: Type.String(),
    operator_name: Type.String(),
    operator_reference: Type.String(),
    status_reason: Type.String(),
  },
  { additionalProperties: false, title: 'RefundCallback' },
);
export const RefundCallbackForm = formVariant(RefundCallback, 'RefundCallbackForm');

// The schema has exactly the payload's keys, with its types (as schemas.ts checks the others).
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const refundKeysDescribed: SameKeys<Static<typeof RefundCallback>, RefundCallbackPayload> = true;
const refundTypesDescribed: Static<typeof RefundCallback> extends RefundCallbackPayload ? true : false = true;
void refundKeysDescribed;
void refundTypesDescribed;

const ERRORS_AS_200 =
  'Errors are HTTP 200 too, with the error envelope: `response_code` "01" and `Echec (CodeXX)` in `response_text` (confirmInvoice codes; refunds add Code05 payin not completed, Code06 already refunded in full, Code07 more than is left, Code08 refunds unavailable).';
const REFUND_ID = {
  name: 'refundId',
  in: 'path' as const,
  required: true,
  description: 'The refund id, `rf_…`.',
  schema: Type.String({ pattern: '^rf_[a-z2-7]{1,64}$' }),
};
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description:
    'A repeated key with the same body replays the recorded success; with another body it is refused (Code04).',
  schema: Type.String({ minLength: 1, maxLength: 255 }),
};

export const REFUND_OPERATIONS: readonly Operation[] = [
  {
    method: 'post',
    path: '/cauri/v1/refunds',
    operationId: 'createRefund',
    summary: 'Refund a completed payin, in full or in part (Cauri extension)',
    description:
      "Never more than is left to refund of the payin. A wallet payin's money goes back to the wallet at once (`completed`); an operator payin's is held on the project's sub-account and sent through the operator (`pending`, then a `refund` callback). The caller's IP must be on the project's list, as for payouts. A payin of another project is \"not found\" (Code02).",
    tags: ['Refunds'],
    authenticated: true,
    parameters: [IDEMPOTENCY_KEY],
    requestBody: { schema: RefundCreateBody, required: true },
    responses: {
      '200': {
        description: `The refund, or the error envelope. ${ERRORS_AS_200}`,
        schema: Type.Union([RefundBody, ErrorEnvelope], { title: 'RefundResponse' }),
      },
    },
  },
  {
    method: 'get',
    path: '/cauri/v1/refunds/{refundId}',
    operationId: 'getRefund',
    summary: 'One refund (Cauri extension)',
    description: 'A refund of another project is "not found" (Code02).',
    tags: ['Refunds'],
    authenticated: true,
    parameters: [REFUND_ID],
    responses: {
      '200': {
        description: `The refund, or the error envelope. ${ERRORS_AS_200}`,
        schema: Type.Union([RefundBody, ErrorEnvelope], { title: 'RefundGetResponse' }),
      },
    },
  },
  {
    method: 'get',
    path: '/cauri/v1/refunds',
    operationId: 'listPayinRefunds',
    summary: "A payin's refunds, with what is left to refund (Cauri extension)",
    description: `Oldest first, at most ${REFUNDS_LIST_MAX}.`,
    tags: ['Refunds'],
    authenticated: true,
    parameters: [
      {
        name: 'payin',
        in: 'query',
        required: true,
        description: 'The payin token, or its `pay_…` id.',
        schema: Type.String({ minLength: 1, maxLength: 1024 }),
      },
    ],
    responses: {
      '200': {
        description: `The payin's refunds, or the error envelope. ${ERRORS_AS_200}`,
        schema: Type.Union([RefundListBody, ErrorEnvelope], { title: 'RefundListResponse' }),
      },
    },
  },
  {
    method: 'post',
    path: '/console/transactions/{id}/refund',
    operationId: 'consoleRefundPayin',
    summary: 'Refund a payin from its story page (console)',
    description:
      "Form fields: `amount` (whole XOF; empty: what is left to refund), `reason`, and `csrf`. Needs a console session. Refunds for the payin's project through the same command as `POST /cauri/v1/refunds`, on the audit trail. Answered with a 303 to the story page, which shows the refund or why it was refused.",
    tags: ['Console'],
    authenticated: false,
    parameters: [
      {
        name: 'id',
        in: 'path',
        required: true,
        description: 'The payin id (`pay_…`).',
        schema: Type.String(),
      },
    ],
    requestBody: {
      schema: Type.Record(Type.String(), Type.String(), { description: 'Form fields, always with `csrf`.' }),
      contentType: 'application/x-www-form-urlencoded',
      required: true,
    },
    responses: {
      '200': { description: 'Not used: the answer is a redirect.', contentType: 'text/html' },
      '303': { description: 'Back to the story page, with the refund or the reason it was refused.' },
      '403': {
        description: 'No session, or a missing or wrong CSRF token, or a cross-site post.',
        contentType: 'text/html',
      },
    },
  },
];
