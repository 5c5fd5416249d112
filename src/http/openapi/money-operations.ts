import { Type } from 'typebox';
import { CSV_COLUMNS } from '../../core/statement.js';
import {
  NEXT_CURSOR_HEADER,
  STATEMENT_CSV_LIMIT_DEFAULT,
  STATEMENT_CSV_LIMIT_MAX,
  STATEMENT_LIMIT_DEFAULT,
  STATEMENT_LIMIT_MAX,
  STATEMENT_TYPES_MAX,
} from '../routes/merchant-money.js';
import type { Operation, Parameter } from './operation.js';
import { ErrorEnvelope } from './schemas.js';

/**
 * The merchant money endpoints of ADR 0023 in the OpenAPI document: `MONEY_OPERATIONS` joins
 * document.ts's list of operations.
 */
const ERRORS_AS_200 =
  'Errors are HTTP 200 too, with the error envelope (confirmInvoice codes: Code00 authentication, Code04 input).';
const Xof = (description: string) => Type.Integer({ description: `${description} (XOF).` });
const envelope = {
  response_code: Type.Literal('00'),
  response_text: Type.String(),
  description: Type.String(),
};

const Balance = Type.Object(
  {
    operator_id: Type.String(),
    operator_name: Type.String(),
    posted_xof: Xof('Posted credits minus posted debits: what the gateway owes the merchant on this network'),
    held_xof: Xof('Pending debits: holds of payouts in flight'),
    incoming_xof: Xof('Pending credits: payins the operator has not confirmed yet'),
    available_xof: Xof('What payouts may still spend: posted minus held'),
  },
  { additionalProperties: false, title: 'SubaccountBalance' },
);
const Totals = Type.Object(
  {
    posted_xof: Type.Integer(),
    held_xof: Type.Integer(),
    incoming_xof: Type.Integer(),
    available_xof: Type.Integer(),
  },
  { additionalProperties: false, title: 'BalanceTotals' },
);
export const BalancesBody = Type.Object(
  { ...envelope, balances: Type.Array(Balance), totals: Totals },
  { additionalProperties: false, title: 'BalancesBody' },
);

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
export const StatementEntry = Type.Object(
  {
    transfer_id: Type.String({ pattern: '^tr_[a-z2-7]+$' }),
    operator_id: Type.String(),
    direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')]),
    kind: Type.Union(
      [
        Type.Literal('posting'),
        Type.Literal('hold'),
        Type.Literal('hold_posted'),
        Type.Literal('hold_voided'),
      ],
      {
        description:
          '`posting` and `hold_posted` move the posted balance; `hold` reserves money and `hold_voided` releases it, with `balance_change_xof` 0.',
      },
    ),
    type: Type.String({
      description:
        'Why the money moved: `wallet_payment`, `payin`, `payout_hold`, `payout`, `payout_reversal`, `subaccount_funding`, `refund`, …',
    }),
    amount_xof: Type.Integer({ minimum: 1 }),
    balance_change_xof: Type.Integer({ description: 'The signed change of the posted balance.' }),
    balance_after_xof: Type.Integer({
      description: "The sub-account's posted balance once the entry applied.",
    }),
    subject_type: Type.Union([Type.Literal('payin'), Type.Literal('payout'), Type.Null()]),
    subject_id: Nullable(Type.String({ description: 'The payin, payout or refund the entry belongs to.' })),
    subject_token: Nullable(Type.String({ description: 'The LigdiCash token of that payin or payout.' })),
    merchant_transaction_id: Nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    created_at_ms: Type.Integer(),
  },
  { additionalProperties: false, title: 'StatementEntry' },
);
export const StatementBody = Type.Object(
  {
    ...envelope,
    entries: Type.Array(StatementEntry, { maxItems: STATEMENT_LIMIT_MAX }),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next (older) page; null on the last page.',
    }),
    has_more: Type.Boolean(),
  },
  { additionalProperties: false, title: 'StatementBody' },
);

const query = (name: string, description: string): Parameter => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: Type.String(),
});

const CONSOLE_FILTERS: Parameter[] = [
  query('project', 'The project id (`prj_…`).'),
  query('from', 'First UTC day, `YYYY-MM-DD`.'),
  query('to', 'Last UTC day, included.'),
  query('operator', 'An operator id.'),
  query('type', 'Comma-separated types.'),
];

/** The console's pages of the same data (ADR 0008's conventions: a session, HTML, no script). */
const CONSOLE_STATEMENT: Operation[] = [
  {
    method: 'get',
    path: '/console/statement',
    operationId: 'consoleStatement',
    summary: "A project's balances and statement",
    description:
      "A project's balances and statement, 50 entries per page. Needs a console session; without one the browser is sent to /console/login.",
    tags: ['Console'],
    authenticated: false,
    parameters: [...CONSOLE_FILTERS, query('cursor', 'The older-entries cursor.')],
    responses: {
      '200': { description: 'The page.', contentType: 'text/html' },
      '303': { description: 'No session: to the sign-in page.' },
      '400': { description: 'A bad filter: the page with the error.', contentType: 'text/html' },
    },
  },
  {
    method: 'get',
    path: '/console/statement.csv',
    operationId: 'consoleStatementCsv',
    summary: "A project's statement as CSV",
    description: `The filtered statement, newest first, at most ${STATEMENT_CSV_LIMIT_MAX} entries, as an attachment. Needs a console session; audited as \`statement_export\`.`,
    tags: ['Console'],
    authenticated: false,
    parameters: CONSOLE_FILTERS,
    responses: {
      '200': { description: 'The CSV file.', contentType: 'text/csv' },
      '303': { description: 'No session: to the sign-in page.' },
      '400': { description: 'A bad filter or project.', contentType: 'text/html' },
    },
  },
];

export const MONEY_OPERATIONS: readonly Operation[] = [
  ...CONSOLE_STATEMENT,
  {
    method: 'get',
    path: '/cauri/v1/balances',
    operationId: 'getBalances',
    summary: 'Balances of the project per operator sub-account (Cauri extension)',
    description:
      'Every operator the project has enabled or has money on, with posted, held, incoming and available amounts, and their totals. Not IP-restricted: it moves no money.',
    tags: ['Money'],
    authenticated: true,
    responses: {
      '200': {
        description: `The balances, or the error envelope. ${ERRORS_AS_200}`,
        schema: Type.Union([BalancesBody, ErrorEnvelope], { title: 'BalancesResponse' }),
      },
    },
  },
  {
    method: 'get',
    path: '/cauri/v1/statement',
    operationId: 'getStatement',
    summary: 'Ledger entries of the project, newest first, with running balances (Cauri extension)',
    description:
      "Each transfer that touched one of the project's sub-accounts is an entry, holds included. Pages are keyset-paged by an opaque cursor: entries that arrive while paging never shift nor repeat a page. " +
      `With \`format=csv\` the same page is \`text/csv; charset=utf-8\` with the columns ${CSV_COLUMNS.join(', ')}; the next cursor is then in the \`${NEXT_CURSOR_HEADER}\` header. ` +
      'Unknown parameters, bad dates and bad cursors are the input error envelope (Code04).',
    tags: ['Money'],
    authenticated: true,
    parameters: [
      query('from', 'Inclusive start: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time.'),
      query('to', 'Exclusive end, same forms.'),
      query('operator', 'An operator id: that sub-account only.'),
      query('type', `Up to ${STATEMENT_TYPES_MAX} comma-separated types (transfer reasons).`),
      query(
        'limit',
        `Entries per page: JSON ${STATEMENT_LIMIT_DEFAULT} by default, at most ${STATEMENT_LIMIT_MAX}; CSV ${STATEMENT_CSV_LIMIT_DEFAULT}, at most ${STATEMENT_CSV_LIMIT_MAX}.`,
      ),
      query('cursor', 'The `next_cursor` of the previous page.'),
      query('format', '`json` (default) or `csv`.'),
    ],
    responses: {
      '200': {
        description: `A page of entries (JSON, or CSV with \`format=csv\`), or the error envelope. ${ERRORS_AS_200}`,
        schema: Type.Union([StatementBody, ErrorEnvelope], { title: 'StatementResponse' }),
        headers: { [NEXT_CURSOR_HEADER]: 'CSV only: the cursor of the next page, absent on the last page.' },
      },
    },
  },
];
