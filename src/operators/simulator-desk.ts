import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { randomDigits } from '../core/ids.js';
import {
  type Operator,
  type PrefixTable,
  type ValidationMode,
  operatorById,
  operatorForPhone,
} from '../core/operators.js';
import { generateOtpCode } from '../core/otp.js';
import { normalizePhone } from '../core/phone.js';
import {
  type SimDebit,
  type SimDebitKind,
  type SimDebitStatus,
  isSimDebitStatus,
} from '../core/sim-debit.js';
import type { Database, Tx } from '../store/database.js';
import {
  decideSimDebit,
  deleteUssdCode,
  findSimCreditPhone,
  findSimDebit,
  findSimDebitByReference,
  findUssdCode,
  getSimDebit,
  insertSandboxSms,
  insertSimCredit,
  insertSimDebit,
  pendingSimDebits,
  pendingSimDebitsToDial,
  saveUssdCode,
  setUssdCodeAttempts,
} from '../store/simulator.js';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorNotification,
  OperatorOutcome,
  RawNotification,
} from './connector.js';

/**
 * The simulated operators' back office: what a real operator keeps on its side of a payin. It has
 * its own records in the database (so that the CLI, another process, can approve a push the server
 * is waiting for) and runs its own transactions, never inside one of the gateway's: to Cauri it is
 * as remote as a real operator.
 *
 * It behaves like the operator's validation mode (spec §5): a USSD OTP operator checks a code the
 * customer obtained by dialling (`dial`), a push or guided USSD operator waits for the customer's
 * approval (`decide`, or `dial` for guided USSD), an app or portal waits likewise. Published magic
 * numbers (`PAYIN_MAGIC_SUFFIXES`) decide without a human. Decisions produce signed notifications
 * that the gateway parses like any operator's (`parseSimulatorNotification`).
 */
export const SIM_USSD_CODE_TTL_MS = 5 * 60_000;
export const SIM_USSD_CODE_ATTEMPTS_MAX = 3;
export const SIM_LIST_LIMIT_MAX = 200;
export const SIM_NOTIFICATION_HEADER = 'x-cauri-simulator-signature';

/**
 * Outcomes of a payin decided by the last four digits of the customer's number (README, "Magic
 * numbers"). The payout table (simulator.ts) has the same failures; `0001` is added for payins,
 * which otherwise wait for the customer.
 */
export const PAYIN_MAGIC_SUFFIXES = {
  '0001': { state: 'completed' },
  '0002': { state: 'failed', reason: 'declined' },
  '0003': { state: 'failed', reason: 'insufficient_funds' },
  '0004': { state: 'failed', reason: 'operator_error' },
  '0005': { state: 'pending' },
} as const;

const KIND_OF_MODE: Record<Exclude<ValidationMode, 'sms_otp'>, SimDebitKind> = {
  ussd_otp: 'otp',
  ussd_push: 'push',
  guided_ussd: 'guided',
  ligdicash_redirect: 'app',
  operator_redirect: 'portal',
};

/** Kinds a person approves or declines (`cauri push list`). */
export const APPROVABLE_KINDS: readonly SimDebitKind[] = ['push', 'guided', 'app', 'portal'];

export type DeskResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface PendingApproval {
  id: string;
  reference: string;
  operatorId: string;
  operatorName: string;
  phone: string;
  amountXof: number;
  kind: string;
  merchantName: string;
  description: string;
  createdAt: string;
}

export type DialResult =
  | {
      action: 'otp';
      phone: string;
      operatorId: string;
      operatorName: string;
      otp: string;
      expiresAtMs: number;
    }
  | {
      action: 'approved';
      phone: string;
      approval: PendingApproval;
      notification: { operatorId: string; raw: RawNotification };
    };

export interface DeskOptions {
  db: Database;
  clock: Clock;
  prefixes: PrefixTable;
  /** Where the simulated operator portal lives (this gateway's public URL, read when needed). */
  publicUrl: () => string;
  /** Signs the notifications; derived from the gateway's token secret (`simulatorKey`). */
  notificationKey: string;
  /**
   * The key derived from the previous token secret, accepted on notifications until the secret's
   * grace ends (ADR 0022), so that a notification signed by an instance not yet restarted after a
   * rotation still counts. Nothing is signed with it.
   */
  previousNotificationKey?: { key: string; untilMs: number };
}

/** The notification key, derived so that it is shared by every process that knows the token secret. */
export function simulatorKey(tokenSecret: string): string {
  return createHmac('sha256', tokenSecret).update('cauri-simulator-notifications').digest('hex');
}

function codeHash(phone: string, code: string): string {
  return createHash('sha256').update(`${phone}\u0000${code}`).digest('hex');
}

function operatorReferenceOf(reference: string): string {
  return 'SIM' + createHash('sha256').update(reference).digest('hex').slice(0, 16).toUpperCase();
}

/** The outcome a magic number imposes on a payin, if the number is one. */
export function payinMagicOf(
  phone: string,
): { state: 'completed' } | { state: 'failed'; reason: string } | { state: 'pending' } | undefined {
  return PAYIN_MAGIC_SUFFIXES[phone.slice(-4) as keyof typeof PAYIN_MAGIC_SUFFIXES];
}

export function outcomeOf(debit: Pick<SimDebit, 'status' | 'reason' | 'operatorReference'>): OperatorOutcome {
  if (debit.status === 'completed') return { state: 'completed', operatorReference: debit.operatorReference };
  if (debit.status === 'failed')
    return { state: 'failed', reason: debit.reason ?? 'failed', operatorReference: debit.operatorReference };
  return { state: 'pending' };
}

function toApproval(debit: SimDebit): PendingApproval {
  return {
    id: debit.id,
    reference: debit.reference,
    operatorId: debit.operatorId,
    operatorName: operatorById(debit.operatorId)?.name ?? debit.operatorId,
    phone: debit.phone,
    amountXof: debit.amountXof,
    kind: debit.kind,
    merchantName: debit.merchantName,
    description: debit.description,
    createdAt: new Date(debit.createdAtMs).toISOString(),
  };
}

/** The text a notification's signature covers: its fields in a fixed order. */
function signedText(body: {
  reference: string;
  operator_id: string;
  status: string;
  reason: string;
  operator_reference: string;
}): string {
  return [body.reference, body.operator_id, body.status, body.reason, body.operator_reference].join('\n');
}

export function signSimulatorNotification(
  key: string,
  debit: Pick<SimDebit, 'reference' | 'operatorId' | 'status' | 'reason' | 'operatorReference'>,
): RawNotification {
  const body = {
    reference: debit.reference,
    operator_id: debit.operatorId,
    status: debit.status,
    reason: debit.reason ?? '',
    operator_reference: debit.operatorReference,
  };
  const signature = createHmac('sha256', key).update(signedText(body)).digest('hex');
  return { headers: { [SIM_NOTIFICATION_HEADER]: signature, 'content-type': 'application/json' }, body };
}

/** Parses a simulator notification; undefined unless it is well formed and genuinely signed. */
export function parseSimulatorNotification(
  key: string,
  operatorId: string,
  raw: RawNotification,
): OperatorNotification | undefined {
  const signature = raw.headers[SIM_NOTIFICATION_HEADER];
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  if (typeof raw.body !== 'object' || raw.body === null) return undefined;
  const b = raw.body as Record<string, unknown>;
  const fields = ['reference', 'operator_id', 'status', 'reason', 'operator_reference'] as const;
  for (const field of fields) if (typeof b[field] !== 'string' || b[field].length > 255) return undefined;
  const body = {
    reference: b.reference as string,
    operator_id: b.operator_id as string,
    status: b.status as string,
    reason: b.reason as string,
    operator_reference: b.operator_reference as string,
  };
  if (body.operator_id !== operatorId) return undefined;
  const expected = createHmac('sha256', key).update(signedText(body)).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return undefined;
  if (!isSimDebitStatus(body.status)) return undefined;
  return {
    reference: body.reference,
    outcome: outcomeOf({
      status: body.status,
      reason: body.reason,
      operatorReference: body.operator_reference,
    }),
  };
}

export class SimulatorDesk {
  constructor(private readonly options: DeskOptions) {}

  get notificationKey(): string {
    return this.options.notificationKey;
  }

  /** A genuine notification under the current key, or the previous one during its grace. */
  parseNotification(operatorId: string, raw: RawNotification): OperatorNotification | undefined {
    const parsed = parseSimulatorNotification(this.options.notificationKey, operatorId, raw);
    const previous = this.options.previousNotificationKey;
    if (parsed !== undefined || previous === undefined || this.options.clock.nowMs() >= previous.untilMs)
      return parsed;
    return parseSimulatorNotification(previous.key, operatorId, raw);
  }

  /** A debit request; a reference seen before is the same request and gets its current outcome. */
  requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    const { db, clock } = this.options;
    return db.command(async (tx) => {
      const nowMs = clock.nowMs();
      const known = await findSimDebitByReference(tx, request.reference);
      if (known) return this.outcomeWithPortal(known);
      const operator = operatorById(request.operatorId);
      if (!operator || operator.validationMode === 'sms_otp')
        return { state: 'failed', reason: 'operator_error: unknown operator' };
      const magic = payinMagicOf(request.phone);
      const kind: SimDebitKind = magic ? 'magic' : KIND_OF_MODE[operator.validationMode];
      let status: SimDebitStatus = magic?.state ?? 'pending';
      let reason = magic?.state === 'failed' ? magic.reason : null;
      if (kind === 'otp') {
        const verdict = await this.consumeCode(tx, request.phone, request.otp, nowMs);
        if (verdict !== 'accepted') {
          return verdict === 'expired'
            ? { state: 'refused', code: 'otp_expired', reason: 'Expired OTP: dial the code again' }
            : { state: 'refused', code: 'otp_invalid', reason: 'Wrong OTP' };
        }
        status = 'completed';
        reason = null;
      }
      const debit: SimDebit = {
        id: `PSH${randomDigits(8)}`,
        reference: request.reference,
        operatorId: operator.id,
        phone: request.phone,
        amountXof: request.amountXof,
        kind,
        status,
        reason,
        operatorReference: operatorReferenceOf(request.reference),
        merchantName: request.merchantName.slice(0, 255),
        description: request.description.slice(0, 255),
        returnUrl: request.returnUrl.slice(0, 2048),
        createdAtMs: nowMs,
        decidedAtMs: status === 'pending' ? null : nowMs,
      };
      await insertSimDebit(tx, debit);
      if (kind === 'guided' || (kind === 'push' && operator.fallbackMode === 'guided_ussd'))
        await this.sendGuidedSms(tx, operator, debit, nowMs);
      return this.outcomeWithPortal(debit);
    });
  }

  /**
   * Remembers a credit the simulated operator received, before it answers, so that every instance
   * sharing the database knows it (a repeat of a reference is the same credit: the first is kept).
   */
  recordCredit(request: CreditRequest): Promise<void> {
    const { db, clock } = this.options;
    return db.command(
      async (tx) => {
        await insertSimCredit(tx, {
          reference: request.reference,
          operatorId: request.operatorId,
          phone: request.phone,
          amountXof: request.amountXof,
          nowMs: clock.nowMs(),
        });
      },
      // Each credit's own row: beside the API's group commits, as a wave (ADR 0019).
      { separate: true, concurrent: true },
    );
  }

  /** The number a credit was sent to, if the simulated operator received it. */
  creditPhone(reference: string): Promise<string | undefined> {
    return this.options.db.command((tx) => findSimCreditPhone(tx, reference), {
      separate: true,
      concurrent: true,
    });
  }

  /** What the operator says about a request; `pending` for one it never received. */
  queryStatus(reference: string): Promise<OperatorOutcome> {
    return this.options.db.command(async (tx) => {
      const debit = await findSimDebitByReference(tx, reference);
      return debit ? outcomeOf(debit) : { state: 'pending' };
    });
  }

  /**
   * The customer dials a USSD code on their phone. A pending guided USSD request (or a push whose
   * operator falls back to guided USSD) for the number is approved, as if the customer then typed
   * their PIN; otherwise a USSD OTP operator issues a payment code (spec §6.2).
   */
  dial(phoneRaw: string, code?: string): Promise<DeskResult<DialResult>> {
    const { db, clock, prefixes } = this.options;
    return db.command(async (tx) => {
      const phone = normalizePhone(phoneRaw);
      if (phone === undefined)
        return { ok: false, error: `"${phoneRaw}" is not an international phone number` };
      const operator = operatorForPhone(phone, prefixes);
      if (!operator) return { ok: false, error: `no operator serves ${phone}` };
      if (code !== undefined && code.replace(/\s/g, '') !== (operator.ussdCode ?? '')) {
        return {
          ok: false,
          error: `${operator.name} has no USSD code ${code}${operator.ussdCode ? `; dial ${operator.ussdCode}` : ''}`,
        };
      }
      const nowMs = clock.nowMs();
      const waiting = await pendingSimDebitsToDial(tx, phone);
      const guided = waiting.find(
        (debit) => debit.kind === 'guided' || operatorById(debit.operatorId)?.fallbackMode === 'guided_ussd',
      );
      if (guided) {
        const decided = await this.decideDebit(tx, guided, 'approve', nowMs);
        return {
          ok: true,
          value: {
            action: 'approved',
            phone,
            approval: toApproval(decided),
            notification: this.notificationOf(decided),
          },
        };
      }
      if (operator.validationMode !== 'ussd_otp') {
        return {
          ok: false,
          error: `nothing to pay for ${phone}: ${operator.name} issues no payment code by USSD`,
        };
      }
      const otp = generateOtpCode();
      const row = {
        phone,
        operator_id: operator.id,
        code_hash: codeHash(phone, otp),
        expires_at_ms: nowMs + SIM_USSD_CODE_TTL_MS,
        attempts: 0,
        created_at_ms: nowMs,
      };
      await saveUssdCode(tx, row);
      // The code appears on the phone's screen; the sandbox inbox keeps a copy for the console.
      await insertSandboxSms(
        tx,
        phone,
        `${operator.name}: votre code de paiement est ${otp}. Valable ${SIM_USSD_CODE_TTL_MS / 60_000} min. Ne le communiquez qu'au marchand.`,
        nowMs,
      );
      return {
        ok: true,
        value: {
          action: 'otp',
          phone,
          operatorId: operator.id,
          operatorName: operator.name,
          otp,
          expiresAtMs: row.expires_at_ms,
        },
      };
    });
  }

  /** Requests waiting for a person's approval, oldest first. */
  listPending(phoneRaw: string | undefined, limit: number): Promise<PendingApproval[]> {
    return this.options.db.command(async (tx) => {
      const phone =
        phoneRaw !== undefined && phoneRaw !== '' ? (normalizePhone(phoneRaw) ?? phoneRaw) : undefined;
      const debits = await pendingSimDebits(
        tx,
        APPROVABLE_KINDS,
        phone,
        Math.min(Math.max(1, limit), SIM_LIST_LIMIT_MAX),
      );
      return debits.map(toApproval);
    });
  }

  /** One request by its id (`PSH…`) or Cauri reference. */
  find(
    idOrReference: string,
  ): Promise<(PendingApproval & { status: string; returnUrl: string }) | undefined> {
    return this.options.db.command(async (tx) => {
      const debit = await findSimDebit(tx, idOrReference);
      return debit ? { ...toApproval(debit), status: debit.status, returnUrl: debit.returnUrl } : undefined;
    });
  }

  /** The customer approves or declines a pending request; returns the notification to deliver. */
  decide(
    idOrReference: string,
    decision: 'approve' | 'decline',
  ): Promise<
    DeskResult<{ approval: PendingApproval; notification: { operatorId: string; raw: RawNotification } }>
  > {
    const { db, clock } = this.options;
    return db.command(async (tx) => {
      const debit = await findSimDebit(tx, idOrReference);
      if (!debit) return { ok: false, error: `no request ${idOrReference}` };
      if (debit.status !== 'pending')
        return { ok: false, error: `request ${debit.id} is already ${debit.status}` };
      if (!APPROVABLE_KINDS.includes(debit.kind))
        return { ok: false, error: `request ${debit.id} does not wait for a person` };
      const decided = await this.decideDebit(tx, debit, decision, clock.nowMs());
      return {
        ok: true,
        value: { approval: toApproval(decided), notification: this.notificationOf(decided) },
      };
    });
  }

  private async decideDebit(
    tx: Tx,
    debit: SimDebit,
    decision: 'approve' | 'decline',
    nowMs: number,
  ): Promise<SimDebit> {
    const status = decision === 'approve' ? 'completed' : 'failed';
    const reason = decision === 'approve' ? null : 'declined';
    // Only a pending request changes, so two deciders cannot both win.
    if (!(await decideSimDebit(tx, debit.id, status, reason, nowMs))) return await getSimDebit(tx, debit.id);
    return { ...debit, status, reason, decidedAtMs: nowMs };
  }

  private notificationOf(debit: SimDebit): { operatorId: string; raw: RawNotification } {
    return {
      operatorId: debit.operatorId,
      raw: signSimulatorNotification(this.options.notificationKey, debit),
    };
  }

  private outcomeWithPortal(debit: SimDebit): DebitOutcome {
    const outcome = outcomeOf(debit);
    if (outcome.state === 'pending' && debit.kind === 'portal') {
      return {
        state: 'pending',
        redirectUrl: `${this.options.publicUrl()}/sandbox/operator-portal/${debit.id}`,
      };
    }
    return outcome;
  }

  private async consumeCode(
    tx: Tx,
    phone: string,
    otp: string,
    nowMs: number,
  ): Promise<'accepted' | 'wrong' | 'expired'> {
    const stored = await findUssdCode(tx, phone);
    if (!stored) return 'wrong';
    if (nowMs >= Number(stored.expires_at_ms) || stored.attempts >= SIM_USSD_CODE_ATTEMPTS_MAX)
      return 'expired';
    const a = Buffer.from(stored.code_hash, 'hex');
    const b = Buffer.from(codeHash(phone, otp.trim()), 'hex');
    if (a.length === b.length && timingSafeEqual(a, b)) {
      // A payment code pays once.
      await deleteUssdCode(tx, phone);
      return 'accepted';
    }
    await setUssdCodeAttempts(tx, phone, stored.attempts + 1);
    return 'wrong';
  }

  private async sendGuidedSms(tx: Tx, operator: Operator, debit: SimDebit, nowMs: number): Promise<void> {
    await insertSandboxSms(
      tx,
      debit.phone,
      `${operator.name}: paiement de ${debit.amountXof} FCFA à ${debit.merchantName} en attente. Faites ${operator.ussdCode ?? '#'} pour payer.`,
      nowMs,
    );
  }
}
