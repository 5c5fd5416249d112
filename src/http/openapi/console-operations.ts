import { Type } from 'typebox';
import type { Operation, Parameter } from './operation.js';

/**
 * The console's pages and form posts (ADR 0008), listed so that the document covers every route
 * the gateway serves. They are for browsers, not API clients: HTML answers, form fields with a
 * `csrf` token, a session cookie from `POST /console/login`, and 303 redirects after each change.
 */
const HTML = 'text/html';
const FORM = 'application/x-www-form-urlencoded';
const TAGS = ['Console'];
const Form = Type.Record(Type.String(), Type.String(), { description: 'Form fields, always with `csrf`.' });
const param = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: Type.String(),
});

function page(path: string, operationId: string, summary: string, extra: Partial<Operation> = {}): Operation {
  return {
    method: 'get',
    path,
    operationId,
    summary,
    description: `${summary}. Needs a console session; without one the browser is sent to /console/login.`,
    tags: TAGS,
    authenticated: false,
    responses: {
      '200': { description: 'The page.', contentType: HTML },
      '303': { description: 'No session: to the sign-in page.' },
    },
    ...extra,
  };
}

function action(
  path: string,
  operationId: string,
  summary: string,
  fields: string,
  extra: Partial<Operation> = {},
): Operation {
  return {
    method: 'post',
    path,
    operationId,
    summary,
    description: `${summary}. Form fields: ${fields}, and \`csrf\`. Answered with a 303 to the page that shows the result, or the page again with what was wrong.`,
    tags: TAGS,
    authenticated: false,
    requestBody: { schema: Form, contentType: FORM, required: true },
    responses: {
      '200': {
        description: 'A page: new secrets shown once, or the form with its error.',
        contentType: HTML,
      },
      '303': { description: 'Done: to the page that shows it.' },
      '403': {
        description: 'No session, or a missing or wrong CSRF token, or a cross-site post.',
        contentType: HTML,
      },
    },
    ...extra,
  };
}

const PROJECT = param('id', 'The project id (`prj_…`).');

export const CONSOLE_OPERATIONS: readonly Operation[] = [
  page('/console/login', 'consoleSignInPage', 'The sign-in page', {
    responses: { '200': { description: 'The page.', contentType: HTML } },
  }),
  action('/console/login', 'consoleSignIn', 'Sign in', '`username`, `password`, `next`', {
    responses: {
      '200': { description: 'Not used.', contentType: HTML },
      '303': { description: 'Signed in: a session cookie, and on to `next` (a console path).' },
      '401': { description: 'Wrong username or password, or the account is locked.', contentType: HTML },
      '403': { description: 'The form expired (CSRF).', contentType: HTML },
      '429': { description: 'Too many failures from this address.', contentType: HTML },
      '503': { description: 'Too many sign-ins at once.', contentType: HTML },
    },
  }),
  action('/console/logout', 'consoleSignOut', 'Sign out (ends the session on the server)', 'none'),
  page('/console', 'consoleDashboard', 'The dashboard: volume and success rate per day and per operator'),
  page('/console/transactions', 'consoleTransactions', 'Search payins and payouts'),
  page('/console/transactions/{id}', 'consoleTransaction', "One transaction's story", {
    parameters: [param('id', 'A payin (`pay_…`) or payout (`po_…`) id.')],
  }),
  action(
    '/console/transactions/{id}/callbacks/{eventId}/resend',
    'consoleResendCallback',
    'Send a callback event again',
    'none',
    {
      parameters: [
        param('id', 'The payin or payout id.'),
        param('eventId', 'The callback event id (`evt_…`).'),
      ],
    },
  ),
  page('/console/projects', 'consoleProjects', 'Projects'),
  action(
    '/console/projects',
    'consoleCreateProject',
    'Create a project (its credentials are shown once)',
    '`name`, `payin`, `payout`, `allowed_ips`, `operators`, `callback_url`, `callback_mode`',
  ),
  page('/console/projects/{id}', 'consoleProject', 'One project', { parameters: [PROJECT] }),
  action('/console/projects/{id}', 'consoleUpdateProject', "Change a project's settings", 'as for creation', {
    parameters: [PROJECT],
  }),
  action(
    '/console/projects/{id}/rotate-credentials',
    'consoleRotateCredentials',
    'New Apikey and API token, shown once',
    '`confirm=yes`',
    { parameters: [PROJECT] },
  ),
  action(
    '/console/projects/{id}/rotate-webhook-secret',
    'consoleRotateWebhookSecret',
    'New callback signing secret, shown once',
    'none',
    { parameters: [PROJECT] },
  ),
  action(
    '/console/projects/{id}/fund',
    'consoleFundSubaccount',
    'Fund a sub-account',
    '`operator`, `amount`',
    { parameters: [PROJECT] },
  ),
  page('/console/balances', 'consoleBalances', 'Every balance, with the proof that they sum to zero'),
  action(
    '/console/balances/verify',
    'consoleVerifyBalances',
    'Recompute every balance from the transfers',
    'none',
  ),
  page('/console/wallets', 'consoleWallets', 'Customer wallets'),
  action('/console/wallets', 'consoleCreateWallet', 'Create a wallet', '`phone`, `holder_name`, `amount`'),
  action('/console/wallets/fund', 'consoleFundWallet', 'Fund a wallet', '`phone`, `amount`'),
  page('/console/activity', 'consoleActivity', 'Console users and the audit trail'),
  page('/console/sandbox/sms', 'consoleSms', 'The SMS inbox (sandbox)', { sandboxOnly: true }),
  page('/console/sandbox/pushes', 'consolePushes', 'Requests waiting for a customer (sandbox)', {
    sandboxOnly: true,
  }),
  action(
    '/console/sandbox/pushes/{id}/{decision}',
    'consoleDecidePush',
    'Approve or decline a waiting request (sandbox)',
    'none',
    {
      sandboxOnly: true,
      parameters: [param('id', 'The request id (`PSH…`).'), param('decision', '`approve` or `decline`.')],
    },
  ),
  page('/console/sandbox/magic-numbers', 'consoleMagicNumbers', 'The magic numbers (sandbox)', {
    sandboxOnly: true,
  }),
];
