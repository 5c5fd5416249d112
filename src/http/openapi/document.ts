import { type TSchema, Type } from 'typebox';
import type { EventType } from '../../commands/outbox.js';
import { CALLBACK_ATTEMPTS_MAX, CONTENT_TYPES } from '../../core/callbacks.js';
import { WEBHOOK_TOLERANCE_SECONDS } from '../../core/webhook-signature.js';
import { PayinCommande, PayoutCommande } from '../schemas.js';
import { BULK_OPERATIONS } from './bulk-operations.js';
import { CONSOLE_OPERATIONS } from './console-operations.js';
import { REFUND_OPERATIONS, RefundCallback, RefundCallbackForm } from './refund-operations.js';
import { MONEY_OPERATIONS } from './money-operations.js';
import { OPERATOR_OPERATIONS } from './operator-operations.js';
import { OPS_OPERATIONS } from './ops-operations.js';
import type { Method, Operation, Parameter, ResponseSpec } from './operation.js';
import {
  ConfirmResponse,
  CreateResponse,
  DebitOtpBody,
  DialBody,
  DialRequest,
  FormFields,
  HealthBody,
  NotifyBody,
  PayinCallback,
  PayinCallbackForm,
  PayinConfirmRequest,
  PayoutCallback,
  PayoutCallbackForm,
  PayoutConfirmRequest,
  PlainError,
  PushDecision,
  PushList,
  ResendResponse,
  SmsInbox,
} from './schemas.js';

/**
 * The OpenAPI 3.1 document of every endpoint the gateway serves, built from a declarative list of
 * operations whose request and response schemas are TypeBox schemas (JSON Schema 2020-12, which
 * OpenAPI 3.1 embeds as is). Served at `GET /openapi.json`, rendered at `GET /docs` (routes/openapi.ts).
 */

const HTML = 'text/html';

const pathParam = (name: string, description: string, schema: TSchema = Type.String()): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});
const queryParam = (name: string, description: string): Parameter => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: Type.String(),
});

const IDEMPOTENCY_KEY: Parameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Cauri extension: a repeated key with the same body replays the recorded success; with another body it is refused (Code08/09/10).',
  schema: Type.String({ minLength: 1, maxLength: 255 }),
};

const ERRORS_AS_200 =
  'Errors are HTTP 200 too, with the error envelope: `response_code` "01" and `Echec (CodeXX)` in `response_text`, the sub-code of this endpoint family.';

function createResponse(what: string): Operation['responses'] {
  return {
    '200': { description: `${what}, or the error envelope. ${ERRORS_AS_200}`, schema: CreateResponse },
  };
}

function confirmResponse(): Operation['responses'] {
  return {
    '200': {
      description: `The 16-key status body, or the error envelope (confirmInvoice codes). ${ERRORS_AS_200}`,
      schema: ConfirmResponse,
    },
  };
}

const PAGE_RESPONSES: Operation['responses'] = {
  '200': { description: 'The page (server-rendered HTML, no script, strict CSP).', contentType: HTML },
  '404': { description: 'Unknown or invalid token: the not-found page.', contentType: HTML },
};

function walletOperations(version: 'v01' | 'v02'): Operation[] {
  const alias = version === 'v01' ? ' (`/pay/v01/` alias, which one merchant used)' : '';
  return [
    {
      method: 'get',
      path: `/pay/${version}/debitotp/{phone}/{amount}`,
      operationId: `debitOtp_${version}`,
      summary: `Send a wallet OTP to the customer (E4)${alias}`,
      description:
        'Sends a six-digit code by SMS (in sandbox mode, to the SMS inbox). This endpoint alone answers `{error, message}` instead of the LigdiCash envelope. Moves no money.',
      tags: ['Payin'],
      authenticated: true,
      parameters: [
        pathParam('phone', 'The customer wallet number, e.g. 22670111111 (also +226…, 00226…).'),
        pathParam('amount', 'The amount in XOF, a whole number.'),
      ],
      responses: {
        '200': {
          description:
            '`{error: false}` once sent; `{error: true, message}` when refused (HTTP 200 as well).',
          schema: DebitOtpBody,
        },
      },
    },
    {
      method: 'post',
      path: `/pay/${version}/debitwallet/withotp`,
      operationId: `debitWalletWithOtp_${version}`,
      summary: `Pay from the customer's wallet with the OTP (E5)${alias}`,
      description:
        '`commande.invoice.customer` is the wallet number and `commande.invoice.otp` the code sent by debitotp. Wrong OTP: Code15; expired: Code16.',
      tags: ['Payin'],
      authenticated: true,
      parameters: [IDEMPOTENCY_KEY],
      requestBody: { schema: PayinCommande, required: true },
      responses: createResponse(
        'The create envelope, `response_text` "Votre requête est en cours de traitement"',
      ),
    },
  ];
}

function checkoutPageOperations(base: string, name: string): Operation[] {
  const documented = base === '/pay/invoice' ? ' (the form the docs show)' : '';
  return [
    {
      method: 'get',
      path: `${base}/{token}`,
      route: `${base}/*`,
      operationId: `checkoutPage_${name}`,
      summary: `The hosted payment page${documented}`,
      description:
        "The URL E1 answers in `response_text`. The token is the capability: whoever has the link may pay. Query: `lang` (fr, en), and the page's own state (`op`, `phone`, `e`, …).",
      tags: ['Payment page'],
      authenticated: false,
      parameters: [
        pathParam('token', 'The invoice token.'),
        queryParam('lang', '`fr` or `en`; else Accept-Language.'),
      ],
      responses: PAGE_RESPONSES,
    },
    {
      method: 'post',
      path: `${base}/{token}/{action}`,
      route: `${base}/*`,
      operationId: `checkoutPageAction_${name}`,
      summary: `A form post of the payment page${documented}`,
      description:
        'Form posts with the CSRF field, answered with a 303 redirect to the page (PRG). `simulate` and `dial` act in sandbox mode only.',
      tags: ['Payment page'],
      authenticated: false,
      parameters: [
        pathParam('token', 'The invoice token.'),
        pathParam(
          'action',
          'What the customer does.',
          Type.Union([
            Type.Literal('pay'),
            Type.Literal('cancel'),
            Type.Literal('simulate'),
            Type.Literal('dial'),
          ]),
        ),
      ],
      requestBody: { schema: FormFields, contentType: 'application/x-www-form-urlencoded', required: true },
      responses: {
        ...PAGE_RESPONSES,
        '303': {
          description: 'Back to the page, or to the operator.',
          headers: { location: 'The page URL with its state.' },
        },
      },
    },
  ];
}

function confirmOperations(
  path: string,
  id: string,
  summary: string,
  description: string,
  request: TSchema,
  names: Parameter[],
): Operation[] {
  const common = {
    path,
    summary,
    description,
    tags: ['Status'],
    authenticated: true,
    responses: confirmResponse(),
  };
  return [
    { ...common, method: 'get', operationId: `${id}_get`, parameters: names },
    {
      ...common,
      method: 'post',
      operationId: `${id}_post`,
      parameters: names,
      requestBody: {
        schema: request,
        required: false,
        description: 'The token may also come in a JSON body.',
      },
    },
  ];
}

const INVOICE_TOKEN = [
  queryParam('invoiceToken', 'The invoice token (as the SDKs send it).'),
  queryParam('token', "Same, as the docs' reference page names it."),
];
const PAYOUT_TOKEN = [
  queryParam('withdrawalToken', 'The payout token (docs, customer payouts).'),
  queryParam('payoutToken', 'The payout token (SDKs, merchant payouts).'),
  queryParam('token', 'Either kind of payout token.'),
];

const PAYOUT_STATUS =
  'Any payout token of the project on either path, with either parameter name. The SDKs append `/` before `?`; both forms are served. Amounts are digit strings.';

/** Every operation, in the order of the route table (routes/index.ts). */
/** `/operators/{operatorId}/notify`, by POST or PUT: the same route either way. */
function notifyOperation(method: Method, operationId: string, summary: string): Operation {
  return {
    method,
    path: '/operators/{operatorId}/notify',
    operationId,
    summary,
    description:
      'Where operators report on requests. Authenticated by the operator connector (signature), not by Apikey. Plain HTTP statuses.',
    tags: ['Operators'],
    authenticated: false,
    parameters: [pathParam('operatorId', 'The operator, e.g. 11.')],
    requestBody: { schema: Type.Unknown(), required: false, description: "The operator's own format." },
    responses: {
      '200': { description: 'Settled, or already settled (operators retry).', schema: NotifyBody },
      '401': { description: 'Not authenticated by the connector.', schema: PlainError },
    },
  };
}

export const OPERATIONS: readonly Operation[] = [
  ...walletOperations('v02'),
  ...walletOperations('v01'),
  {
    method: 'post',
    path: '/pay/v01/redirect/checkout-invoice/create',
    operationId: 'createRedirectInvoice',
    summary: 'Create a checkout invoice paid on the hosted page (E1)',
    description:
      'Answers the payment page URL in `response_text` and the invoice token. `actions.callback_url` is the callback; `return_url`/`cancel_url` receive the browser with `?token=`.',
    tags: ['Payin'],
    authenticated: true,
    parameters: [IDEMPOTENCY_KEY],
    requestBody: { schema: PayinCommande, required: true },
    responses: createResponse('The create envelope, `response_text` the payment page URL'),
  },
  {
    method: 'post',
    path: '/pay/v01/straight/checkout-invoice/create',
    operationId: 'createStraightInvoice',
    summary: 'Direct payin: ask the operator of invoice.customer at once (E2)',
    description:
      'Answers per the operator\'s validation mode: "Votre requête est en cours de traitement" (USSD OTP, push, guided USSD), the payment page (LigdiCash redirect) or the operator portal (operator redirect). The JS SDK\'s bug is honoured: with `actions.callback_url: null` the callback is `actions.cancel_url`. Wrong OTP: Code15; expired: Code16.',
    tags: ['Payin'],
    authenticated: true,
    requestBody: { schema: PayinCommande, required: true },
    responses: createResponse('The create envelope'),
  },
  ...confirmOperations(
    '/pay/v01/redirect/checkout-invoice/confirm',
    'confirmInvoice',
    'Payin status (E3)',
    'A failed payin is `response_code` "00" with status `notcompleted`: "01" is for requests that could not be answered. `custom_data` comes back as rows. The SDKs append `/` before `?`; both forms are served.',
    PayinConfirmRequest,
    INVOICE_TOKEN,
  ),
  {
    method: 'post',
    path: '/pay/v01/withdrawal/create',
    operationId: 'createWithdrawal',
    summary: 'Customer payout (E6)',
    description:
      "`top_up_wallet` 1/0 (docs, Python, PHP, Dart) or `to_ligdicash` true/false (JS SDK): 1 credits the customer's LigdiCash wallet (the default), 0 pays the mobile-money account. `custom_data` is echoed as an object (the docs show `[]`, which the Dart SDK cannot parse).",
    tags: ['Payout'],
    authenticated: true,
    parameters: [IDEMPOTENCY_KEY],
    requestBody: { schema: PayoutCommande, required: true },
    responses: createResponse('The create envelope with the payout token'),
  },
  ...confirmOperations(
    '/pay/v01/withdrawal/confirm',
    'confirmWithdrawal',
    'Payout status (E8)',
    PAYOUT_STATUS,
    PayoutConfirmRequest,
    PAYOUT_TOKEN,
  ),
  ...confirmOperations(
    '/pay/v01/straight/payout/confirm',
    'confirmStraightPayout',
    'Merchant payout status (E9)',
    PAYOUT_STATUS,
    PayoutConfirmRequest,
    PAYOUT_TOKEN,
  ),
  {
    method: 'post',
    path: '/pay/v01/straight/payout',
    operationId: 'createStraightPayout',
    summary: 'Merchant payout (E7)',
    description:
      "The customer payout's body without the wallet flag, answered with the createStraightWithdrawal codes.",
    tags: ['Payout'],
    authenticated: true,
    parameters: [IDEMPOTENCY_KEY],
    requestBody: { schema: PayoutCommande, required: true },
    responses: createResponse('The create envelope with the payout token'),
  },
  ...checkoutPageOperations('/directpayment/invoice', 'directpayment'),
  ...checkoutPageOperations('/pay/invoice', 'payInvoice'),
  notifyOperation('post', 'operatorNotify', 'Operator notification (not a LigdiCash endpoint)'),
  // MTN MoMo may call back with PUT as well as POST (ADR 0010).
  notifyOperation(
    'put',
    'operatorNotifyPut',
    'Operator notification by PUT (MTN MoMo may call back with PUT)',
  ),
  {
    method: 'post',
    path: '/cauri/v1/callbacks/{eventId}/resend',
    operationId: 'resendCallback',
    summary: 'Send a callback event again (Cauri extension)',
    description:
      'Queues the event now with a fresh retry cycle. An event of another project is "not found" (Code02, confirmInvoice codes).',
    tags: ['Callbacks'],
    authenticated: true,
    parameters: [
      pathParam('eventId', 'The event id, `evt_…`.', Type.String({ pattern: '^evt_[a-z2-7]{1,64}$' })),
    ],
    responses: {
      '200': { description: `Queued, or the error envelope. ${ERRORS_AS_200}`, schema: ResendResponse },
    },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness',
    description: 'Answers while the process serves requests.',
    tags: ['Operations'],
    authenticated: false,
    responses: { '200': { description: 'Up.', schema: HealthBody } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of the gateway.',
    tags: ['Operations'],
    authenticated: false,
    responses: {
      '200': { description: 'The document.', schema: Type.Object({ openapi: Type.Literal('3.1.0') }) },
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    summary: 'The API reference page',
    description: 'This document as a readable HTML page, with the LigdiCash quirks.',
    tags: ['Operations'],
    authenticated: false,
    responses: { '200': { description: 'The page.', contentType: HTML } },
  },
  {
    method: 'get',
    path: '/sandbox/sms',
    operationId: 'sandboxSms',
    summary: 'The sandbox SMS inbox',
    description: 'Where the OTPs of debitotp land, newest first.',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    parameters: [queryParam('phone', 'Only this number.'), queryParam('limit', '1 to 200, default 20.')],
    responses: { '200': { description: 'The messages.', schema: SmsInbox } },
  },
  {
    method: 'post',
    path: '/sandbox/ussd/dial',
    operationId: 'sandboxDial',
    summary: 'The customer dials a USSD code',
    description: 'A payment code (USSD OTP mode) or a guided USSD approval.',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    requestBody: { schema: DialRequest, required: true },
    responses: {
      '200': { description: 'The code, or the approved request.', schema: DialBody },
      '400': { description: 'Nothing to dial for.', schema: PlainError },
      '409': { description: 'The operator simulator is not in use.', schema: PlainError },
      '415': {
        description: 'Not sent as application/json (a cross-site form or text/plain post).',
        schema: PlainError,
      },
    },
  },
  {
    method: 'get',
    path: '/sandbox/pushes',
    operationId: 'sandboxPushes',
    summary: "Requests waiting for the customer's approval",
    description: 'Push, app and portal requests of the simulated operators.',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    parameters: [queryParam('phone', 'Only this number.'), queryParam('limit', 'Default 20.')],
    responses: {
      '200': { description: 'The requests.', schema: PushList },
      '409': { description: 'The operator simulator is not in use.', schema: PlainError },
    },
  },
  {
    method: 'post',
    path: '/sandbox/pushes/{id}/{decision}',
    operationId: 'sandboxPushDecision',
    summary: "The customer's answer to a request",
    description: "Reaches the gateway as the operator's signed notification.",
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    parameters: [
      pathParam('id', 'The request id.'),
      pathParam(
        'decision',
        'approve or decline.',
        Type.Union([Type.Literal('approve'), Type.Literal('decline')]),
      ),
    ],
    responses: {
      '200': { description: 'Decided.', schema: PushDecision },
      '404': { description: 'Neither approve nor decline.', schema: PlainError },
      '409': { description: 'Already decided, or no simulator.', schema: PlainError },
      '415': {
        description: 'Not sent as application/json (a cross-site form or text/plain post).',
        schema: PlainError,
      },
    },
  },
  {
    method: 'get',
    path: '/sandbox/console',
    operationId: 'sandboxConsole',
    summary: "The sandbox console: the customers' phones in one page",
    description: 'Waiting requests with Approve and Decline, a Dial form, the latest SMS.',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    responses: {
      '200': { description: 'The page.', contentType: HTML },
      '409': { description: 'No simulator.', schema: PlainError },
    },
  },
  {
    method: 'post',
    path: '/sandbox/console',
    operationId: 'sandboxConsoleAction',
    summary: 'A form post of the sandbox console',
    description:
      'Fields `csrf`, `action` (approve, decline, dial), `id`, `phone`; answered with a 303 to the console.',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    requestBody: { schema: FormFields, contentType: 'application/x-www-form-urlencoded', required: true },
    responses: {
      '200': { description: 'Not used: the answer is a redirect.', contentType: HTML },
      '303': { description: 'Back to the console with a message.' },
    },
  },
  {
    method: 'get',
    path: '/sandbox/operator-portal/{id}',
    operationId: 'sandboxOperatorPortal',
    summary: 'The simulated operator portal (operator redirect mode)',
    description: 'Pay or Decline buttons for one request.',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    parameters: [pathParam('id', 'The portal request id.')],
    responses: {
      '200': { description: 'The page.', contentType: HTML },
      '404': { description: 'No such request.', contentType: HTML },
    },
  },
  {
    method: 'post',
    path: '/sandbox/operator-portal/{id}',
    operationId: 'sandboxOperatorPortalDecision',
    summary: 'Pay or decline on the simulated portal',
    description: 'Fields `csrf` and `decision`; the browser goes back where Cauri asked (the payment page).',
    tags: ['Sandbox'],
    authenticated: false,
    sandboxOnly: true,
    parameters: [pathParam('id', 'The portal request id.')],
    requestBody: { schema: FormFields, contentType: 'application/x-www-form-urlencoded', required: true },
    responses: {
      '200': { description: 'Not used: the answer is a redirect.', contentType: HTML },
      '303': { description: 'Back to the payment page.' },
      '404': { description: 'No such request.', schema: PlainError },
    },
  },
  ...BULK_OPERATIONS,
  ...CONSOLE_OPERATIONS,
  ...REFUND_OPERATIONS,
  ...MONEY_OPERATIONS,
  ...OPERATOR_OPERATIONS,
  ...OPS_OPERATIONS,
];

/**
 * A callback Cauri POSTs to the merchant (README "Callbacks", spec §3, ADR 0006), documented as an
 * OpenAPI 3.1 webhook named after its event type (src/commands/outbox.ts).
 */
export interface Webhook {
  event: EventType;
  operationId: string;
  summary: string;
  description: string;
  /** The JSON payload (src/core/callbacks.ts). */
  schema: TSchema;
  /** The same payload form-urlencoded, every value a string. */
  formSchema: TSchema;
}

/** The Standard Webhooks headers of every callback POST (src/core/webhook-signature.ts). */
export const WEBHOOK_HEADERS: readonly Parameter[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The event id: the same on both encodings and on every attempt, so de-duplicate on it.',
    schema: Type.String({ pattern: '^evt_[a-z2-7]+$' }),
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: `Unix seconds when this attempt was sent; refuse one more than ${WEBHOOK_TOLERANCE_SECONDS / 60} minutes from your clock (replays).`,
    schema: Type.String({ pattern: '^\\d+$' }),
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      "`v1,` + base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${raw body}`, keyed with the base64-decoded part of the project's `whsec_…` secret. For 24 h after a secret rotation both secrets sign, separated by a space. Standard Webhooks (standardwebhooks.com); LigdiCash sends no such headers, and code that ignores them keeps working.",
    schema: Type.String({ pattern: '^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$' }),
  },
];

const CALLBACK_ACK = 'Any 2xx acknowledges; anything else is retried (schedule in the README).';

/** What the merchant's answer means; its body is ignored (at most 4 KiB of it is read). */
export const WEBHOOK_RESPONSES: Readonly<Record<string, ResponseSpec>> = {
  '2XX': { description: CALLBACK_ACK },
  '200': { description: CALLBACK_ACK },
  default: {
    description: `Any other status, a redirect (not followed), a timeout or a connection error: the event is sent again, up to ${CALLBACK_ATTEMPTS_MAX} attempts over at least three days (schedule in the README), then marked failed. A 2xx on either encoding delivers the event.`,
  },
};

const CALLBACK_DELIVERY =
  "POSTed to the transaction's callback URL (else the project's) once the final status is committed, so confirm already returns it. In `ligdicash` mode (the default) it is sent twice, as JSON then as a form, with the same `webhook-id`; in `json` mode as JSON only. Confirm with the creation token before acting (spec §3.4).";
const PAYIN_QUIRKS =
  'Amounts are integers, `token` is empty, `operator_id` a string; `custom_data` comes as rows with `hash` and `logfile` added.';
const PAYOUT_QUIRKS =
  'Amounts are digit strings, `operator_id` a number, `token` a payout token other than the creation token (confirm accepts both); wallet payouts name their operator `LigdiCash …`.';

/** Every callback event, by type: the record makes the compiler ask for each one. */
const WEBHOOK_BY_EVENT: Readonly<Record<EventType, Omit<Webhook, 'event'>>> = {
  'payin.completed': {
    operationId: 'payinCompletedCallback',
    summary: 'A payin completed',
    description: `The customer paid: status \`completed\`. ${PAYIN_QUIRKS} ${CALLBACK_DELIVERY}`,
    schema: PayinCallback,
    formSchema: PayinCallbackForm,
  },
  'payin.notcompleted': {
    operationId: 'payinNotCompletedCallback',
    summary: 'A payin failed',
    description: `Declined, cancelled or expired: status \`notcompleted\`, \`response_code\` still "00". ${PAYIN_QUIRKS} ${CALLBACK_DELIVERY}`,
    schema: PayinCallback,
    formSchema: PayinCallbackForm,
  },
  'payout.completed': {
    operationId: 'payoutCompletedCallback',
    summary: 'A payout completed',
    description: `The money reached the customer: status \`completed\`. ${PAYOUT_QUIRKS} ${CALLBACK_DELIVERY}`,
    schema: PayoutCallback,
    formSchema: PayoutCallbackForm,
  },
  'payout.notcompleted': {
    operationId: 'payoutNotCompletedCallback',
    summary: 'A payout failed',
    description: `The operator refused or failed it and the held funds were released: status \`notcompleted\`, \`response_code\` still "00". ${PAYOUT_QUIRKS} ${CALLBACK_DELIVERY}`,
    schema: PayoutCallback,
    formSchema: PayoutCallbackForm,
  },
  'refund.completed': {
    operationId: 'refundCompletedCallback',
    summary: 'A refund completed (Cauri extension)',
    description: `The money is back with the payer: \`event\` "refund", status \`completed\`. Sent for every refund, wallet refunds included (ADR 0024). Amounts are integers. ${CALLBACK_DELIVERY}`,
    schema: RefundCallback,
    formSchema: RefundCallbackForm,
  },
  'refund.failed': {
    operationId: 'refundFailedCallback',
    summary: 'A refund failed (Cauri extension)',
    description: `The operator refused or failed it; the held money went back to the project's sub-account and to what is left to refund: status \`failed\`. ${CALLBACK_DELIVERY}`,
    schema: RefundCallback,
    formSchema: RefundCallbackForm,
  },
};

export const WEBHOOKS: readonly Webhook[] = Object.entries(WEBHOOK_BY_EVENT).map(([event, webhook]) => ({
  event: event as EventType,
  ...webhook,
}));

/** The Fastify route of an operation: `route`, or `path` with `{name}` as `:name`. */
export function routeOf(operation: Operation): string {
  return operation.route ?? operation.path.replace(/\{([^}]+)\}/g, ':$1');
}

export interface DocumentOptions {
  mode: string;
  publicUrl: string;
  version: string;
}

/** The operations served in a mode: the sandbox ones only in sandbox mode. */
export function operationsFor(mode: string): Operation[] {
  return OPERATIONS.filter((operation) => mode === 'sandbox' || operation.sandboxOnly !== true);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A TypeBox schema as plain JSON Schema (its internal markers are not enumerable). */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

function responseObject(response: ResponseSpec): Json {
  const out: { [key: string]: Json } = { description: response.description };
  if (response.headers) {
    out.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, description]) => [
        name,
        { description, schema: { type: 'string' } },
      ]),
    );
  }
  if (response.contentType !== undefined || response.schema !== undefined) {
    const media: { [key: string]: Json } =
      response.schema !== undefined ? { schema: plain(response.schema) } : { schema: { type: 'string' } };
    out.content = { [response.contentType ?? 'application/json']: media };
  }
  return out;
}

function parameterObject(p: Parameter): Json {
  return {
    name: p.name,
    in: p.in,
    required: p.required,
    description: p.description,
    schema: plain(p.schema),
  };
}

function operationObject(operation: Operation): Json {
  const out: { [key: string]: Json } = {
    operationId: operation.operationId,
    summary: operation.summary,
    description:
      operation.sandboxOnly === true ? `${operation.description} Sandbox mode only.` : operation.description,
    tags: operation.tags,
    security: operation.authenticated ? [{ apikey: [], bearer: [] }] : [],
    parameters: (operation.parameters ?? []).map(parameterObject),
    responses: Object.fromEntries(
      Object.entries(operation.responses).map(([status, response]) => [status, responseObject(response)]),
    ),
  };
  if (operation.requestBody) {
    const body = operation.requestBody;
    out.requestBody = {
      required: body.required,
      ...(body.description !== undefined ? { description: body.description } : {}),
      content: { [body.contentType ?? 'application/json']: { schema: plain(body.schema) } },
    };
  }
  return out;
}

/** A webhook as an OpenAPI path item: a POST whose body comes in either encoding. */
function webhookObject(webhook: Webhook): Json {
  return {
    post: {
      operationId: webhook.operationId,
      summary: webhook.summary,
      description: webhook.description,
      tags: ['Callbacks'],
      parameters: WEBHOOK_HEADERS.map(parameterObject),
      requestBody: {
        required: true,
        description:
          "The same event in either encoding; in the form every value is a string, and nested values (`custom_data`, a payin's `customer_details`) are JSON text (spec §3.1).",
        content: {
          [CONTENT_TYPES.json]: { schema: plain(webhook.schema) },
          [CONTENT_TYPES.form]: { schema: plain(webhook.formSchema) },
        },
      },
      responses: Object.fromEntries(
        Object.entries(WEBHOOK_RESPONSES).map(([status, response]) => [status, responseObject(response)]),
      ),
    },
  };
}

/** The OpenAPI 3.1 document of the operations served in `options.mode`. */
export function buildOpenApiDocument(options: DocumentOptions): { [key: string]: Json } {
  const paths: { [path: string]: { [method: string]: Json } } = {};
  for (const operation of operationsFor(options.mode)) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: operationObject(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cauri',
      version: options.version,
      summary: 'A self-hostable payment gateway that speaks the LigdiCash Payment API.',
      description:
        'LigdiCash-compatible endpoints answer HTTP 200 even for errors: look at `response_code` ("00" success, "01" error) and the `Echec (CodeXX)` sub-code in `response_text`. See /docs for the sub-codes of each family and the other quirks.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: options.publicUrl }],
    tags: [
      { name: 'Payin' },
      { name: 'Payout' },
      { name: 'Status' },
      { name: 'Payment page' },
      { name: 'Callbacks' },
      { name: 'Operators' },
      { name: 'Operations' },
      ...(options.mode === 'sandbox' ? [{ name: 'Sandbox' }] : []),
    ],
    paths,
    webhooks: Object.fromEntries(WEBHOOKS.map((webhook) => [webhook.event, webhookObject(webhook)])),
    components: {
      securitySchemes: {
        apikey: {
          type: 'apiKey',
          in: 'header',
          name: 'Apikey',
          description: 'The project API key (matched case-insensitively).',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The project API token, `Authorization: Bearer <token>`.',
        },
      },
    },
  };
}
