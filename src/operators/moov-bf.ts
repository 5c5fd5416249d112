import { type OperatorFailureCode, operatorFailure } from '../core/operator-failures.js';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorAction,
  OperatorConnector,
  OperatorOutcome,
} from './connector.js';
import { jsonOf, operatorHttp } from './http.js';
import type { ConnectorDeps, ConnectorFactory } from './registry.js';
import { ConnectorConfigError, type Settings } from './secrets.js';

/**
 * Moov Africa Burkina (catalogue operator '12') through Moov Money's Huawei "3pp" JSON gateway
 * (ADR 0012). One URL serves every operation; the `command-id` header names it, HTTP Basic
 * authenticates, and every answer is `{request-id, trans-id, status, message}` where status "0" is
 * success, "12" failure and "15" unknown (still running, or not found). Sources:
 * parice02/bf-mobilemoney `mobilemoney/moovmoney.py` (the merchant OTP commands and the BF URLs),
 * and the community integrations of the same gateway cited in the ADR (USSD push
 * `mror-transaction-ussd`, cash-in `transfer-api-transaction`, status `process-check-transaction`).
 */
export const MOOV_BF_OPERATOR_ID = '12';

export const MOOV_COMMANDS = {
  /** The customer gets a USSD prompt and approves with their PIN (Cauri's `ussd_push` mode). */
  push: 'mror-transaction-ussd',
  /** Merchant OTP payment, step 1: Moov sends the customer a code by SMS. */
  createOtp: 'process-create-mror-otp',
  resendOtp: 'process-mror-resend-otp',
  /** Merchant OTP payment, step 2: the customer's code debits the account. */
  commitOtp: 'process-commit-otppay',
  /** Money from the merchant account to a customer (a payout). */
  transfer: 'transfer-api-transaction',
  /** Where a request stands, by the `request-id` it was sent with. */
  check: 'process-check-transaction',
} as const;

type MoovStatus = 'success' | 'failed' | 'unknown' | 'other';

interface MoovAnswer {
  status: MoovStatus;
  rawStatus: string;
  message: string;
  transId?: string;
  /** `extended-data.data.reference-id` of a status answer: the id of the transaction asked about. */
  referenceId?: string;
}

export type MoovPayinFlow = 'ussd_push' | 'merchant_otp';

interface MoovSettings {
  url: string;
  authorization: string;
  payinFlow: MoovPayinFlow;
  payouts: boolean;
}

/** Bounded memory of OTP sessions (merchant OTP flow): the commit needs the create step's `trans-id`. */
const OTP_SESSIONS_MAX = 10_000;
const OTP_SESSION_TTL_MS = 15 * 60_000;
const TEXT_CHARS_MAX = 140;

export class MoovBurkinaConnector implements OperatorConnector {
  private readonly otpSessions = new Map<string, { transId: string; createdAtMs: number }>();

  constructor(
    private readonly settings: MoovSettings,
    private readonly deps: ConnectorDeps,
  ) {}

  serves(operatorId: string, action: OperatorAction): boolean {
    return operatorId === MOOV_BF_OPERATOR_ID && (action === 'debit' || this.settings.payouts);
  }

  async requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    if (this.settings.payinFlow === 'merchant_otp')
      return request.otp === '' ? this.createOtp(request) : this.commitOtp(request);
    // `remarks` carries Cauri's reference: no spaces (the gateway refuses them in some deployments)
    // and it ties Moov's statements to Cauri's records; `message` is what the customer's phone shows.
    const answer = await this.call(MOOV_COMMANDS.push, {
      'request-id': request.reference,
      destination: request.phone,
      amount: String(request.amountXof),
      remarks: request.reference,
      message: cut(`${request.merchantName} ${request.amountXof} FCFA ${request.description}`.trim()),
      'extended-data': {},
    });
    // "0" means the prompt was sent, not that the customer approved: the outcome comes from the
    // status query. A refusal at submission ("12") is definitive: no prompt, no money moved.
    if (answer.status === 'failed') return failure(answer, 'declined', 'payer');
    return { state: 'pending' };
  }

  async requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    if (!this.settings.payouts)
      return operatorFailure('operator_unavailable', 'payouts are disabled for Moov Africa Burkina');
    const answer = await this.call(MOOV_COMMANDS.transfer, {
      'request-id': request.reference,
      destination: request.phone,
      amount: String(request.amountXof),
      remarks: request.reference,
      'extended-data': { ext2: request.reference },
    });
    if (answer.status === 'success')
      return { state: 'completed', operatorReference: answer.transId ?? request.reference };
    if (answer.status !== 'failed') return { state: 'pending' };
    // Money leaves here: a "12" could also be the gateway refusing a request-id it already knows
    // (a re-send after a lost answer), so the failure is confirmed by a status query first.
    const checked = await this.queryStatus(request.reference);
    if (checked.state === 'completed') return checked;
    return checked.state === 'failed' ? failure(answer, 'operator_error', 'payee') : { state: 'pending' };
  }

  async queryStatus(reference: string): Promise<OperatorOutcome> {
    const answer = await this.call(MOOV_COMMANDS.check, { 'request-id': reference });
    switch (answer.status) {
      case 'success':
        return { state: 'completed', operatorReference: answer.referenceId ?? answer.transId ?? reference };
      case 'failed':
        return reference.startsWith('po_') || reference.startsWith('rf_')
          ? failure(answer, 'operator_error', 'payee')
          : failure(answer, 'declined', 'payer');
      default:
        // "15" is Moov's "unknown": still running, or no such request. Never a final state.
        return { state: 'pending' };
    }
  }

  /** Merchant OTP flow, step 1: Moov texts the customer a code; the payin waits for it. */
  private async createOtp(request: DebitRequest): Promise<DebitOutcome> {
    const answer = await this.call(MOOV_COMMANDS.createOtp, {
      'request-id': `${request.reference}.otp`,
      destination: request.phone,
      amount: String(request.amountXof),
      remarks: 'Merchant Payment with OTP',
      'extended-data': { module: 'MERCHOTPPAY' },
    });
    if (answer.status === 'failed') return failure(answer, 'operator_error', 'payer');
    if (answer.status === 'success' && answer.transId !== undefined)
      this.rememberOtp(request.reference, answer.transId);
    return { state: 'pending' };
  }

  /** Merchant OTP flow, step 2: the customer's code, with the `trans-id` of step 1. */
  private async commitOtp(request: DebitRequest): Promise<DebitOutcome> {
    const session = this.otpSessions.get(request.reference);
    if (session === undefined || this.deps.clock.nowMs() - session.createdAtMs > OTP_SESSION_TTL_MS) {
      this.otpSessions.delete(request.reference);
      return {
        state: 'refused',
        code: 'otp_expired',
        reason: 'no Moov OTP session for this payment on this instance: a new code must be requested',
      };
    }
    const answer = await this.call(MOOV_COMMANDS.commitOtp, {
      'request-id': request.reference,
      destination: request.phone,
      amount: String(request.amountXof),
      remarks: request.reference,
      'extended-data': {
        module: 'MERCHOTPPAY',
        otp: request.otp,
        'trans-id': session.transId,
        ext1: request.reference,
        ext2: request.reference,
      },
    });
    if (answer.status === 'success') {
      this.otpSessions.delete(request.reference);
      return { state: 'completed', operatorReference: answer.transId ?? request.reference };
    }
    if (answer.status !== 'failed') return { state: 'pending' };
    // Moov answers a wrong or stale code with "12" and words only; read them narrowly.
    if (/otp|code/i.test(answer.message)) {
      const expired = /expir/i.test(answer.message);
      return {
        state: 'refused',
        code: expired ? 'otp_expired' : 'otp_invalid',
        reason: `Moov: ${cut(answer.message)}`,
      };
    }
    return failure(answer, 'declined', 'payer');
  }

  private rememberOtp(reference: string, transId: string): void {
    if (this.otpSessions.size >= OTP_SESSIONS_MAX) {
      const oldest = this.otpSessions.keys().next();
      if (oldest.done !== true) this.otpSessions.delete(oldest.value);
    }
    this.otpSessions.set(reference, { transId, createdAtMs: this.deps.clock.nowMs() });
  }

  /**
   * One command to the gateway. Rejects (outcome unknown) on transport errors, 5xx, refused
   * credentials and answers without a status; the credentials never appear in a message.
   */
  private async call(commandId: string, body: Record<string, unknown>): Promise<MoovAnswer> {
    const response = await operatorHttp({
      method: 'POST',
      url: this.settings.url,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'command-id': commandId,
        authorization: this.settings.authorization,
      },
      body: JSON.stringify(body),
      timeoutMs: this.deps.timeoutMs,
    });
    if (response.status === 401 || response.status === 403)
      throw new Error(
        `Moov Africa Burkina refused the credentials (HTTP ${response.status}) on ${commandId}`,
      );
    if (response.status >= 500)
      throw new Error(`Moov Africa Burkina answered HTTP ${response.status} on ${commandId}`);
    const answer = answerOf(jsonOf(response.text));
    if (answer === undefined)
      throw new Error(
        `Moov Africa Burkina answered HTTP ${response.status} without a status on ${commandId}`,
      );
    return answer;
  }
}

function answerOf(json: unknown): MoovAnswer | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const record = json as Record<string, unknown>;
  const raw = record.status;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const rawStatus = String(raw);
  const status: MoovStatus =
    rawStatus === '0' ? 'success' : rawStatus === '12' ? 'failed' : rawStatus === '15' ? 'unknown' : 'other';
  const message = textOf(record.message) ?? textOf(record.statusdescription) ?? '';
  const transId = textOf(record['trans-id']);
  const extended = record['extended-data'];
  const data =
    extended !== null && typeof extended === 'object'
      ? (extended as Record<string, unknown>).data
      : undefined;
  const referenceId =
    data !== null && typeof data === 'object'
      ? textOf((data as Record<string, unknown>)['reference-id'])
      : undefined;
  return {
    status,
    rawStatus,
    message,
    ...(transId !== undefined ? { transId } : {}),
    ...(referenceId !== undefined ? { referenceId } : {}),
  };
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined;
}

function cut(text: string): string {
  return text.length > TEXT_CHARS_MAX ? text.slice(0, TEXT_CHARS_MAX) : text;
}

/**
 * Moov's failures carry one status ("12") and free French or English text. The text is read for
 * the few reasons it states plainly; anything else keeps the caller's default code.
 */
export function moovFailureCode(
  message: string,
  fallback: OperatorFailureCode,
  party: 'payer' | 'payee',
): OperatorFailureCode {
  if (/insuffisan|insufficient/i.test(message)) return 'insufficient_funds';
  if (/plafond|limit/i.test(message)) return 'limit_reached';
  if (/bloqu|block|suspend|inacti/i.test(message)) return 'account_inactive';
  if (/introuvable|inexistant|not found|unknown subscriber|n'existe/i.test(message))
    return party === 'payer' ? 'payer_not_found' : 'payee_not_found';
  return fallback;
}

function failure(
  answer: MoovAnswer,
  fallback: OperatorFailureCode,
  party: 'payer' | 'payee',
): OperatorOutcome {
  const detail = `Moov status ${answer.rawStatus}${answer.message !== '' ? `: ${answer.message}` : ''}`;
  return operatorFailure(moovFailureCode(answer.message, fallback, party), detail, answer.transId);
}

function choice<T extends string>(settings: Settings, name: string, values: readonly T[], fallback: T): T {
  const value = settings.string(name, fallback);
  const found = values.find((v) => v === value);
  if (found === undefined)
    throw new ConnectorConfigError(`moov-bf settings.${name} must be one of ${values.join(', ')}`);
  return found;
}

export const moovBurkinaFactory: ConnectorFactory = {
  type: 'moov-bf',
  operators: [MOOV_BF_OPERATOR_ID],
  create(settings, _operators, deps) {
    const username = settings.string('username');
    const password = settings.secret('password');
    return new MoovBurkinaConnector(
      {
        url: settings.url('url'),
        authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
        payinFlow: choice(settings, 'payinFlow', ['ussd_push', 'merchant_otp'] as const, 'ussd_push'),
        payouts: choice(settings, 'payouts', ['enabled', 'disabled'] as const, 'enabled') === 'enabled',
      },
      deps,
    );
  },
};
