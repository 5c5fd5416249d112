import { loadConfig } from '../config.js';
import { systemClock } from '../core/clock.js';
import type {
  WithClock,
  WithConfig,
  WithConnector,
  WithDb,
  WithPrefixes,
  WithTokens,
} from '../commands/context.js';
import { deliverNotification } from '../commands/operator-notification.js';
import { loadPrefixes, tokenSecretOf } from '../gateway.js';
import { SIM_LIST_LIMIT_MAX, SimulatorDesk, simulatorKey } from '../operators/simulator-desk.js';
import { SimulatorConnector, simulatorDeskOf } from '../operators/simulator.js';
import type { Database } from '../store/database.js';
import { type ParsedArgs, UsageError, checkFlags, flag } from './args.js';

/**
 * The sandbox's customer-side actions from the command line (README, "Sandbox actions"): dialling
 * a USSD code, and listing, approving or declining the requests waiting on a customer's phone.
 * They work on the server's database, as a customer's phone works on the operator's: a decision
 * is delivered as the operator's signed notification and settles the payin at once.
 */
export const SANDBOX_HELP = `  ussd dial PHONE [--code CODE]                the customer dials a USSD code: prints the payment code
                                               (USSD OTP), or approves a waiting guided USSD request
  push list [--phone PHONE] [--limit N]        requests waiting on customers' phones (push, app, portal)
  push approve|decline PUSH_ID                 the customer's answer to a waiting request`;

export type Output = { json: unknown; text: string };

/** What the sandbox actions need: the server's database and settings, and the simulator as connector. */
export type CliDeps = WithDb & WithClock & WithConfig & WithTokens & WithPrefixes & WithConnector;

/** A gateway context for the CLI: the same database, the simulator, the system clock. */
export async function cliDeps(db: Database): Promise<CliDeps> {
  const config = loadConfig();
  // The simulator exists only in the sandbox (ADR 0009), from the CLI as from the server.
  if (config.mode !== 'sandbox') throw new UsageError('sandbox actions exist only in sandbox mode');
  const prefixes = await loadPrefixes(config.operatorPrefixesFile);
  const tokenSecret = await tokenSecretOf(db, config.tokenSecret);
  const desk = new SimulatorDesk({
    db,
    clock: systemClock,
    prefixes,
    publicUrl: () => config.publicUrl,
    notificationKey: simulatorKey(tokenSecret),
  });
  return {
    db,
    config,
    clock: systemClock,
    prefixes,
    connector: new SimulatorConnector(0, desk),
    tokenSecret,
  };
}

/** Runs `ussd …` and `push …`; undefined for any other command. */
export async function runSandboxCommand(
  depsOf: () => Promise<CliDeps>,
  args: ParsedArgs,
  mode: string,
): Promise<Output | undefined> {
  const [group, action, ...rest] = args.positionals;
  if (group !== 'ussd' && group !== 'push') return undefined;
  if (mode !== 'sandbox') throw new UsageError('sandbox actions exist only in sandbox mode');
  const deps = await depsOf();
  const desk = simulatorDeskOf(deps.connector);
  if (!desk) throw new UsageError('the operator simulator is not in use');
  switch (`${group} ${action ?? ''}`) {
    case 'ussd dial': {
      checkFlags(args, ['code']);
      const dialled = await desk.dial(rest[0] ?? '', flag(args, 'code'));
      if (!dialled.ok) throw new UsageError(dialled.error);
      const value = dialled.value;
      if (value.action === 'otp') {
        const json = {
          action: 'otp',
          phone: value.phone,
          operatorId: value.operatorId,
          operatorName: value.operatorName,
          otp: value.otp,
          expiresAt: new Date(value.expiresAtMs).toISOString(),
        };
        return {
          json,
          text: `${value.operatorName} ${value.phone}: payment code ${value.otp} (valid until ${json.expiresAt})`,
        };
      }
      const settled = await deliverNotification(deps, value.notification);
      return {
        json: { action: 'approved', phone: value.phone, push: value.approval, settled },
        text: `approved ${value.approval.id} (${value.approval.operatorName}, ${value.approval.amountXof} XOF): payin ${settled}`,
      };
    }
    case 'push list': {
      checkFlags(args, ['phone', 'limit']);
      const limit = Math.min(Math.max(Number(flag(args, 'limit') ?? 20) || 20, 1), SIM_LIST_LIMIT_MAX);
      const pending = await desk.listPending(flag(args, 'phone'), limit);
      const text = pending.map(
        (p) =>
          `${p.id}  ${p.createdAt}  ${p.phone.padEnd(14)} ${p.operatorName.padEnd(20)} ${String(p.amountXof).padStart(9)} XOF  ${p.kind.padEnd(6)} ${p.merchantName}`,
      );
      return { json: pending, text: text.join('\n') || 'no request waiting' };
    }
    case 'push approve':
    case 'push decline': {
      checkFlags(args, []);
      const decision = action === 'approve' ? 'approve' : 'decline';
      const decided = await desk.decide(rest[0] ?? '', decision);
      if (!decided.ok) throw new UsageError(decided.error);
      const settled = await deliverNotification(deps, decided.value.notification);
      return {
        json: { push: decided.value.approval, decision, settled },
        text: `${decision === 'approve' ? 'approved' : 'declined'} ${decided.value.approval.id}: payin ${settled}`,
      };
    }
    default:
      throw new UsageError(`unknown command "${args.positionals.join(' ')}"`);
  }
}
