import { createHash } from 'node:crypto';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorConnector,
  OperatorNotification,
  OperatorOutcome,
  RawNotification,
  RefundRequest,
} from './connector.js';
import type { SimulatorDesk } from './simulator-desk.js';

/**
 * The sandbox's stand-in for every operator. Outcomes are decided by published magic numbers
 * (README, "Magic numbers"): the last four digits of the customer's number. Everything else
 * succeeds. Outcomes are a pure function of the request, so a status query after a restart gives
 * the same answer as the original call.
 */
export const MAGIC_SUFFIXES = {
  '0002': { state: 'failed', reason: 'declined' },
  '0003': { state: 'failed', reason: 'insufficient_funds' },
  '0004': { state: 'failed', reason: 'operator_error' },
  '0005': { state: 'pending' },
} as const satisfies Record<string, OperatorOutcome | { state: 'failed'; reason: string }>;

export function simulatedOutcome(reference: string, phone: string): OperatorOutcome {
  const magic = MAGIC_SUFFIXES[phone.slice(-4) as keyof typeof MAGIC_SUFFIXES] as OperatorOutcome | undefined;
  const operatorReference =
    'SIM' + createHash('sha256').update(reference).digest('hex').slice(0, 16).toUpperCase();
  if (magic === undefined) return { state: 'completed', operatorReference };
  if (magic.state === 'failed') return { ...magic, operatorReference };
  return magic;
}

export class SimulatorConnector implements OperatorConnector {
  private readonly known = new Map<string, string>();
  private static readonly KNOWN_MAX = 100_000;

  /**
   * `desk` is the simulated operators' back office that payins need (simulator-desk.ts); without
   * it the simulator serves payouts only, as before.
   */
  constructor(
    private readonly delayMs = 0,
    readonly desk?: SimulatorDesk,
  ) {}

  /**
   * The operator takes the credit, then answers after the delay. With a back office the credit is
   * recorded in the database first, so that a status query from any instance (a process that took
   * over a dead one's payouts) finds it, as a real operator's would.
   */
  async requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    if (this.desk) await this.desk.recordCredit(request);
    if (this.known.size >= SimulatorConnector.KNOWN_MAX) this.known.clear();
    this.known.set(request.reference, request.phone);
    await this.delay();
    return simulatedOutcome(request.reference, request.phone);
  }

  async queryStatus(reference: string): Promise<OperatorOutcome> {
    await this.delay();
    const phone = this.known.get(reference) ?? (await this.desk?.creditPhone(reference));
    if (phone !== undefined) return simulatedOutcome(reference, phone);
    return this.desk ? this.desk.queryStatus(reference) : { state: 'pending' };
  }

  async requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    await this.delay();
    if (!this.desk)
      return { state: 'failed', reason: 'operator_error: the simulator has no back office for payins' };
    return this.desk.requestDebit(request);
  }

  parseNotification(operatorId: string, raw: RawNotification): OperatorNotification | undefined {
    return this.desk?.parseNotification(operatorId, raw);
  }

  /**
   * Every simulated operator refunds, whole or in part (ADR 0024). The outcome follows the payer's
   * number like a payout's, and depends on the refund's reference only, so that asking again, or
   * refunding again after a restart, gives the same single answer.
   */
  async refund(request: RefundRequest): Promise<OperatorOutcome> {
    await this.delay();
    if (this.known.size >= SimulatorConnector.KNOWN_MAX) this.known.clear();
    this.known.set(request.reference, request.phone);
    return simulatedOutcome(request.reference, request.phone);
  }

  async queryRefund(request: RefundRequest): Promise<OperatorOutcome> {
    await this.delay();
    return this.known.has(request.reference)
      ? simulatedOutcome(request.reference, request.phone)
      : { state: 'pending' };
  }

  private delay(): Promise<void> {
    return this.delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.delayMs)) : Promise.resolve();
  }
}

/** The simulated operators' back office, when the gateway runs the simulator with one (sandbox actions need it). */
export function simulatorDeskOf(connector: OperatorConnector): SimulatorDesk | undefined {
  return connector instanceof SimulatorConnector ? connector.desk : undefined;
}
