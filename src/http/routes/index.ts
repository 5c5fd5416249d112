import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../commands/context.js';
import { registerPayinConfirmRoutes } from './payin-confirm.js';
import { registerWalletOtpRoutes } from './payin-wallet-otp.js';
import { registerSandboxRoutes } from './sandbox.js';
import { registerWithdrawalConfirmRoutes } from './withdrawal-confirm.js';
import { registerWithdrawalCreateRoutes } from './withdrawal-create.js';

/**
 * The route table, one line per endpoint family (spec §2):
 *
 *   GET      /pay/v02/debitotp/:phone/:amount             payin-wallet-otp.ts   (E4)
 *   POST     /pay/v02/debitwallet/withotp                 payin-wallet-otp.ts   (E5)
 *   GET|POST /pay/v01/redirect/checkout-invoice/confirm   payin-confirm.ts      (E3)
 *   POST     /pay/v01/withdrawal/create                   withdrawal-create.ts  (E6)
 *   GET|POST /pay/v01/withdrawal/confirm                  withdrawal-confirm.ts (E8)
 *   GET|POST /pay/v01/straight/payout/confirm             withdrawal-confirm.ts (E9)
 *   GET      /health                                      here
 *   GET      /sandbox/sms                                 sandbox.ts (sandbox mode only)
 */
export function registerRoutes(app: FastifyInstance, gw: Gateway): void {
  registerWalletOtpRoutes(app, gw);
  registerPayinConfirmRoutes(app, gw);
  registerWithdrawalCreateRoutes(app, gw);
  registerWithdrawalConfirmRoutes(app, gw);
  app.get('/health', () => ({ status: 'ok', mode: gw.config.mode }));
  if (gw.config.mode === 'sandbox') registerSandboxRoutes(app, gw);
}
