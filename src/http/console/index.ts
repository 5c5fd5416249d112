import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../commands/context.js';
import { html } from '../../util/html.js';
import { consolePage, sendConsole } from './layout.js';
import { registerActivityPage } from './pages-activity.js';
import { registerBalancesPage } from './pages-balances.js';
import { registerStatementPages } from './pages-statement.js';
import { MULTIPART_BODY_BYTES_MAX, multipartParser } from './upload.js';
import { registerOperatorPages } from './pages-operators.js';
import { registerReconciliationPages } from './pages-reconciliation.js';
import { registerBulkPages } from './pages-bulk.js';
import { registerDashboard } from './pages-dashboard.js';
import { registerConsoleAuth } from './pages-auth.js';
import { registerProjectPages } from './pages-projects.js';
import { registerSandboxPages } from './pages-sandbox.js';
import { registerTransactionPages } from './pages-transactions.js';
import { registerRefundPages } from './pages-refunds.js';
import { registerWalletPages } from './pages-wallets.js';
import { ConsoleRouter } from './router.js';

/**
 * The operator console at /console (ADR 0008): server-rendered pages, no JavaScript, forms that
 * post back and redirect. Its own error pages: a console URL that does not exist is a 404 page,
 * an unexpected failure a 500 page with nothing but an apology (the details go to the log).
 *
 *   GET|POST /console/login, POST /console/logout            pages-auth.ts
 *   GET      /console                                        pages-dashboard.ts
 *   GET      /console/transactions[/:id], POST …/callbacks/:eventId/resend   pages-transactions.ts
 *   GET      /console/payouts/bulk[/:batchId]                pages-bulk.ts
 *   GET|POST /console/projects[/:id[/rotate-…|/fund]]         pages-projects.ts
 *   GET|POST /console/balances[/verify]                      pages-balances.ts
 *   GET      /console/statement[.csv]                        pages-statement.ts (ADR 0023)
 *   GET|POST /console/wallets[/fund]                         pages-wallets.ts
 *   GET      /console/activity                               pages-activity.ts
 *   GET      /console/operators                              pages-operators.ts (ADR 0026)
 *   GET|POST /console/reconciliation[/:importId]             pages-reconciliation.ts (ADR 0027; the one multipart form)
 *   GET|POST /console/sandbox/{sms,pushes,magic-numbers}     pages-sandbox.ts (sandbox only)
 */
export function registerConsole(app: FastifyInstance, gw: Gateway): void {
  void app.register(
    (scope, _options, done) => {
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, parsed) => {
          parsed(null, typeof body === 'string' ? body : body.toString('utf8'));
        },
      );
      scope.addContentTypeParser(
        'multipart/form-data',
        { parseAs: 'buffer', bodyLimit: MULTIPART_BODY_BYTES_MAX },
        multipartParser,
      );
      scope.setNotFoundHandler((_request, reply) => {
        void sendConsole(
          reply,
          404,
          consolePage(undefined, {
            title: 'Not found',
            section: 'none',
            body: html`<p>There is no such console page. <a href="/console">Go to the dashboard</a>.</p>`,
          }),
        );
      });
      scope.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
        const status = error.statusCode !== undefined && error.statusCode < 500 ? 400 : 500;
        if (status === 500) request.log.error({ err: error, url: request.url }, 'console request failed');
        void sendConsole(
          reply,
          status,
          consolePage(undefined, {
            title: status === 500 ? 'Something went wrong' : 'Bad request',
            section: 'none',
            body: html`<p>${status === 500 ? 'The console could not complete this request; nothing was half-done. The details are in the server log.' : 'The request could not be read.'} <a href="/console">Back to the dashboard</a>.</p>`,
          }),
        );
      });
      registerConsoleAuth(scope, gw);
      const router = new ConsoleRouter(scope, gw);
      registerDashboard(router);
      registerTransactionPages(router);
      registerRefundPages(router);
      registerBulkPages(router);
      registerProjectPages(router);
      registerBalancesPage(router);
      registerStatementPages(router);
      registerWalletPages(router);
      registerActivityPage(router);
      registerOperatorPages(router);
      registerReconciliationPages(router);
      if (gw.config.mode === 'sandbox') registerSandboxPages(router);
      done();
    },
    { prefix: '/console' },
  );
}
