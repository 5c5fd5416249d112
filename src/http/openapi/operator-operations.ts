import { Type } from 'typebox';
import type { Operation, Parameter } from './operation.js';
import { ErrorEnvelope } from './schemas.js';

/**
 * Operator availability (ADR 0026) and reconciliation (ADR 0027): the merchant API's
 * `GET /cauri/v1/operators`, and the console's pages for both, listed so that the document covers
 * every route the gateway serves.
 */
const HTML = 'text/html';
const ERRORS_AS_200 =
  'Errors are HTTP 200 too, with the error envelope: `response_code` "01" and `Echec (CodeXX)` in `response_text` (confirmInvoice codes: Code00 authentication, Code04 input).';

export const OperatorAvailabilityItem = Type.Object(
  {
    operator_id: Type.String({ pattern: '^[0-9]{1,3}$' }),
    operator_name: Type.String(),
    status: Type.Union([Type.Literal('up'), Type.Literal('degraded'), Type.Literal('down')], {
      description:
        '`up`: payouts are sent as they come. `degraded`: many calls fail or are slow, or the operator just recovered; payouts are sent at a bounded rate. `down`: payouts stay pending (queued) and are sent when it recovers.',
    }),
    since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Since when this status holds; null when not yet judged.',
    }),
    calls: Type.Integer({
      minimum: 0,
      description: 'Calls to the operator in the window (at most 200 newest).',
    }),
    failures: Type.Integer({
      minimum: 0,
      description: 'Calls that got no answer: unreachable, 5xx, timed out.',
    }),
    success_rate: Type.Number({ minimum: 0, maximum: 1 }),
    latency_p50_ms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    latency_p95_ms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    consecutive_failures: Type.Integer({ minimum: 0 }),
    queued_payouts: Type.Integer({
      minimum: 0,
      description: 'This project’s pending payouts waiting for the operator.',
    }),
  },
  { additionalProperties: false, title: 'OperatorAvailability' },
);

export const OperatorsBody = Type.Object(
  {
    response_code: Type.Literal('00'),
    response_text: Type.String(),
    description: Type.String(),
    window_seconds: Type.Integer({ minimum: 1 }),
    operators: Type.Array(OperatorAvailabilityItem, { maxItems: 64 }),
  },
  { additionalProperties: false, title: 'OperatorsBody' },
);
export const OperatorsResponse = Type.Union([OperatorsBody, ErrorEnvelope], { title: 'OperatorsResponse' });

const param = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: Type.String(),
});

function consolePage(
  path: string,
  operationId: string,
  summary: string,
  parameters: Parameter[] = [],
): Operation {
  return {
    method: 'get',
    path,
    operationId,
    summary,
    description: `${summary}. Needs a console session; without one the browser is sent to /console/login.`,
    tags: ['Console'],
    authenticated: false,
    parameters,
    responses: {
      '200': { description: 'The page.', contentType: HTML },
      '303': { description: 'No session: to the sign-in page.' },
    },
  };
}

export const OPERATOR_OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/cauri/v1/operators',
    operationId: 'operators',
    summary: 'Availability of the project’s operators (Cauri extension)',
    description:
      'Each enabled operator’s availability as Cauri judges it from its own calls over the last 5 minutes (shared by every instance): status, since when, success rate, latency p50/p95, and the project’s payouts queued for it. Payouts to a `down` operator are accepted and stay `pending`; they are sent, oldest first, when it recovers. No query parameters.',
    tags: ['Operators'],
    authenticated: true,
    responses: {
      '200': {
        description: `The operators, or the error envelope. ${ERRORS_AS_200}`,
        schema: OperatorsResponse,
      },
    },
  },
  consolePage('/console/operators', 'consoleOperators', 'Operator availability'),
  consolePage(
    '/console/reconciliation',
    'consoleReconciliation',
    'Reconciliation imports and the upload form',
  ),
  consolePage(
    '/console/reconciliation/{importId}',
    'consoleReconciliationImport',
    'One reconciliation import and its mismatches',
    [param('importId', 'The import id, `rcn_…`.')],
  ),
  {
    method: 'post',
    path: '/console/reconciliation',
    operationId: 'consoleReconciliationUpload',
    summary: 'Import an operator statement (CSV)',
    description:
      'A `multipart/form-data` form: `statement` (the CSV file, at most 2 MiB and 20,000 lines), `operator`, `format` (`generic` or a preset), optional `from` and `to` (YYYY-MM-DD), and `csrf`. Answered with a 303 to the import, or the form again with the lines that could not be read.',
    tags: ['Console'],
    authenticated: false,
    requestBody: {
      schema: Type.Record(Type.String(), Type.String()),
      contentType: 'multipart/form-data',
      required: true,
    },
    responses: {
      '200': { description: 'The form with its error.', contentType: HTML },
      '303': { description: 'To the import.' },
    },
  },
];
