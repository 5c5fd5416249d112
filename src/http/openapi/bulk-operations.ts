import { Type } from 'typebox';
import { BULK_ITEMS_MAX } from '../../commands/payout-bulk.js';
import { BATCH_LIST_PAGE_MAX } from '../../store/bulk-payouts.js';
import { BULK_BODY_LIMIT_BYTES, BulkItem } from '../routes/payouts-bulk.js';
import type { Operation } from './operation.js';
import { ErrorEnvelope } from './schemas.js';

/**
 * Bulk payouts in the OpenAPI document (ADR 0025): the two `/cauri/v1/payouts/bulk` operations and
 * the console's batch pages.
 */
const Kind = Type.Union([Type.Literal('customer'), Type.Literal('merchant'), Type.Literal('')], {
  description:
    '`customer` (withdrawal/create) or `merchant` (straight/payout); "" for an item without a valid kind.',
});

const itemFields = {
  index: Type.Integer({ minimum: 0, description: "The item's position in `items`, from 0." }),
  kind: Kind,
  response_code: Type.Union([Type.Literal('00'), Type.Literal('01')]),
  token: Type.String({
    description:
      'The payout token, as withdrawal/create or straight/payout answer it; "" for a refused item.',
  }),
  response_text: Type.String({
    description:
      '"" on success, `Echec (CodeXX)` with the sub-code of the item\'s endpoint (createWithdrawal or createStraightWithdrawal) otherwise.',
  }),
  description: Type.String(),
  wiki: Type.String(),
  amount_xof: Type.Union([Type.Integer(), Type.Null()]),
  customer: Type.String(),
};
const CreatedItem = Type.Object(itemFields, { additionalProperties: false, title: 'BulkPayoutItemResult' });
const LiveItem = Type.Object(
  {
    ...itemFields,
    status: Type.Union(
      [
        Type.Literal('pending'),
        Type.Literal('completed'),
        Type.Literal('notcompleted'),
        Type.Literal('refused'),
      ],
      { description: "The payout's status now; `refused` for an item that made no payout." },
    ),
    status_reason: Type.String(),
  },
  { additionalProperties: false, title: 'BulkPayoutItemStatus' },
);

const summary = {
  response_code: Type.Literal('00'),
  response_text: Type.Literal(''),
  description: Type.String({
    description:
      '`Batch processed`, or `Batch partly processed…` when some items have not run yet (send the request again with the same Idempotency-Key).',
  }),
  wiki: Type.String(),
  batch_id: Type.String({ pattern: '^pob_[a-z2-7]{26}$' }),
  batch_status: Type.Union([Type.Literal('processing'), Type.Literal('processed')]),
  item_count: Type.Integer({ minimum: 1, maximum: BULK_ITEMS_MAX }),
  accepted_count: Type.Integer({ minimum: 0 }),
  refused_count: Type.Integer({ minimum: 0 }),
  created_at: Type.String({ format: 'date-time' }),
};
export const BulkCreateBody = Type.Object(
  { ...summary, items: Type.Array(CreatedItem) },
  { additionalProperties: false, title: 'BulkPayoutCreated' },
);
const Count = Type.Integer({ minimum: 0 });
export const BulkStatusBody = Type.Object(
  {
    ...summary,
    processed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    counts: Type.Object(
      { pending: Count, completed: Count, notcompleted: Count, refused: Count, unprocessed: Count },
      { additionalProperties: false },
    ),
    accepted_amount_xof: Type.Integer({ minimum: 0, description: 'XOF of the items that became payouts.' }),
    completed_amount_xof: Type.Integer({ minimum: 0, description: 'XOF of those payouts completed so far.' }),
    items: Type.Array(LiveItem),
  },
  { additionalProperties: false, title: 'BulkPayoutStatus' },
);

export const BulkRequestSchema = Type.Object(
  {
    items: Type.Array(BulkItem, {
      minItems: 1,
      maxItems: BULK_ITEMS_MAX,
      description: `1 to ${BULK_ITEMS_MAX} payouts; each one the \`commande\` of a single payout with \`kind\`. An item that fails validation is refused on its own.`,
    }),
    callback_url: Type.Optional(
      Type.Union([Type.String({ maxLength: 2048 }), Type.Null()], {
        description: "For the items that name none; else the project's.",
      }),
    ),
  },
  { title: 'BulkPayoutRequest' },
);

const HTML = 'text/html';
const batchIdParam = {
  name: 'batchId',
  in: 'path' as const,
  required: true,
  description: 'The batch id, `pob_…`.',
  schema: Type.String({ pattern: '^pob_[a-z2-7]{26}$' }),
};

export const BULK_OPERATIONS: readonly Operation[] = [
  {
    method: 'post',
    path: '/cauri/v1/payouts/bulk',
    operationId: 'createBulkPayout',
    summary: 'Bulk payouts (Cauri extension)',
    description:
      `Up to ${BULK_ITEMS_MAX} payouts in one request (body up to ${BULK_BODY_LIMIT_BYTES / 1024 / 1024} MiB). Each item is processed exactly as withdrawal/create or straight/payout would process it, ` +
      'with its own token, result and callback; one refused item refuses nothing else. With an Idempotency-Key, the same key and body answer the same batch and resume it if it was interrupted; ' +
      'another body is refused (Code09). The whole request is refused for bad credentials (Code00), payouts off (Code01), a denied IP (Code06) or a malformed request or more than 1,000 items (Code09).',
    tags: ['Payout'],
    authenticated: true,
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Recommended: a retry with the same key and body resumes the batch without paying any item twice.',
        schema: Type.String({ minLength: 1, maxLength: 255 }),
      },
    ],
    requestBody: { schema: BulkRequestSchema, required: true },
    responses: {
      '200': {
        description:
          "The batch and each item's result, or the error envelope (createWithdrawal codes), HTTP 200 too.",
        schema: Type.Union([BulkCreateBody, ErrorEnvelope]),
      },
    },
  },
  {
    method: 'get',
    path: '/cauri/v1/payouts/bulk/{batchId}',
    operationId: 'getBulkPayout',
    summary: "A bulk payout's status (Cauri extension)",
    description:
      'Each item with its payout\'s status now, the counts per status and the totals. Another project\'s batch is "not found" (Code02, confirmInvoice codes).',
    tags: ['Payout'],
    authenticated: true,
    parameters: [batchIdParam],
    responses: {
      '200': {
        description: 'The batch now, or the error envelope, HTTP 200 too.',
        schema: Type.Union([BulkStatusBody, ErrorEnvelope]),
      },
    },
  },
  {
    method: 'get',
    path: '/console/payouts/bulk',
    operationId: 'consoleBulkPayouts',
    summary: `Bulk payout batches, newest first (${BATCH_LIST_PAGE_MAX} a page)`,
    description: 'Needs a console session; without one the browser is sent to /console/login.',
    tags: ['Console'],
    authenticated: false,
    responses: {
      '200': { description: 'The page.', contentType: HTML },
      '303': { description: 'No session: to the sign-in page.' },
    },
  },
  {
    method: 'get',
    path: '/console/payouts/bulk/{batchId}',
    operationId: 'consoleBulkPayout',
    summary: "One batch: each item, its result and a link to its payout's story",
    description: 'Needs a console session; without one the browser is sent to /console/login.',
    tags: ['Console'],
    authenticated: false,
    parameters: [batchIdParam],
    responses: {
      '200': { description: 'The page.', contentType: HTML },
      '303': { description: 'No session: to the sign-in page.' },
      '404': { description: 'No such batch.', contentType: HTML },
    },
  },
];
