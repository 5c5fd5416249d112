import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../commands/context.js';
import { registerCallbackResendRoutes } from './callbacks-resend.js';
import { registerRefundRoutes } from './refunds.js';
import { registerMerchantMoneyRoutes } from './merchant-money.js';
import { registerOperatorAvailabilityRoutes } from './operators-availability.js';
import { registerPayoutBulkRoutes } from './payouts-bulk.js';
import { registerPayinConfirmRoutes } from './payin-confirm.js';
import { registerWalletOtpRoutes } from './payin-wallet-otp.js';
import { registerSandboxRoutes } from './sandbox.js';
import { registerWithdrawalConfirmRoutes } from './withdrawal-confirm.js';
import { registerWithdrawalCreateRoutes } from './withdrawal-create.js';
import { registerCheckoutPageRoutes } from './checkout-page.js';
import { registerOperatorNotifyRoutes } from './operator-notify.js';
import { registerPayinCheckoutRoutes } from './payin-checkout.js';
import { registerPayoutStraightRoutes } from './payout-straight.js';
import { registerSandboxOperatorRoutes } from './sandbox-operators.js';
import { registerOpenApiRoutes } from './openapi.js';
import { registerOperationsRoutes } from './operations.js';
import { registerConsole } from '../console/index.js';

/**
 * The route table, one line per endpoint family (spec §2):
 *
 *   GET      /pay/v02/debitotp/:phone/:amount             payin-wallet-otp.ts   (E4)
 *   POST     /pay/v02/debitwallet/withotp                 payin-wallet-otp.ts   (E5)
 *   POST     /pay/v01/redirect/checkout-invoice/create    payin-checkout.ts     (E1)
 *   POST     /pay/v01/straight/checkout-invoice/create    payin-checkout.ts     (E2)
 *   GET|POST /pay/v01/redirect/checkout-invoice/confirm   payin-confirm.ts      (E3)
 *   POST     /pay/v01/withdrawal/create                   withdrawal-create.ts  (E6)
 *   GET|POST /pay/v01/withdrawal/confirm                  withdrawal-confirm.ts (E8)
 *   GET|POST /pay/v01/straight/payout/confirm             withdrawal-confirm.ts (E9)
 *   POST     /pay/v01/straight/payout                     payout-straight.ts    (E7)
 *   GET|POST /directpayment/invoice/:token[/action]       checkout-page.ts      (P, also /pay/invoice/)
 *   POST     /operators/:operatorId/notify                operator-notify.ts    (ADR 0007)
 *   POST     /cauri/v1/callbacks/:eventId/resend          callbacks-resend.ts   (ADR 0006)
 *   POST|GET /cauri/v1/refunds, GET /cauri/v1/refunds/:refundId   refunds.ts   (ADR 0024)
 *   GET      /cauri/v1/balances, /cauri/v1/statement      merchant-money.ts     (ADR 0023; shape: cauri-v1.ts)
 *   GET      /cauri/v1/operators                          operators-availability.ts (ADR 0026)
 *   POST     /cauri/v1/payouts/bulk                       payouts-bulk.ts       (ADR 0025)
 *   GET      /cauri/v1/payouts/bulk/:batchId              payouts-bulk.ts       (ADR 0025)
 *   GET      /health                                      here (liveness: no database)
 *   GET      /ready, /metrics                             operations.ts         (ADR 0020)
 *   GET      /openapi.json, /docs                         openapi.ts
 *   …        /console/…                                   ../console/index.ts (operator console, ADR 0008)
 *   GET      /sandbox/sms                                 sandbox.ts (sandbox mode only)
 *   …        /sandbox/ussd/dial, /sandbox/pushes, /sandbox/operator-portal   sandbox-operators.ts (sandbox only)
 */
export function registerRoutes(app: FastifyInstance, gw: Gateway): void {
  registerWalletOtpRoutes(app, gw);
  registerPayinConfirmRoutes(app, gw);
  registerWithdrawalCreateRoutes(app, gw);
  registerWithdrawalConfirmRoutes(app, gw);
  registerPayinCheckoutRoutes(app, gw);
  registerPayoutStraightRoutes(app, gw);
  registerCheckoutPageRoutes(app, gw);
  registerOperatorNotifyRoutes(app, gw);
  registerCallbackResendRoutes(app, gw);
  registerRefundRoutes(app, gw);
  registerMerchantMoneyRoutes(app, gw);
  registerOperatorAvailabilityRoutes(app, gw);
  registerPayoutBulkRoutes(app, gw);
  app.get('/health', () => ({ status: 'ok', mode: gw.config.mode }));
  registerOperationsRoutes(app, gw);
  registerOpenApiRoutes(app, gw);
  registerConsole(app, gw);
  if (gw.config.mode === 'sandbox') registerSandboxRoutes(app, gw);
  if (gw.config.mode === 'sandbox') registerSandboxOperatorRoutes(app, gw);
}
