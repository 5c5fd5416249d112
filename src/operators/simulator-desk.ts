import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { randomDigits } from '../core/ids.js';
import { xof } from '../core/money.js';
import {
  type Operator,
  type PrefixTable,
  type ValidationMode,
  operatorById,
  operatorForPhone,
} from '../core/operators.js';
import { generateOtpCode } from '../core/otp.js';
import { normalizePhone } from '../core/phone.js';
import type { Database, Tx } from '../store/database.js';
import type { SimDebitTable } from '../store/schema-payin-surface.js';
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

export type DebitKind = 'otp' | 'push' | 'guided' | 'app' | 'portal' | 'magic';

const KIND_OF_MODE: Record<Exclude<ValidationMode, 'sms_otp'>, DebitKind> = {
  ussd_otp: 'otp',
  ussd_push: 'push',
  guided_ussd: 'guided',
  ligdicash_redirect: 'app',
  operator_redirect: 'portal',
};

/** Kinds a person approves or declines (`cauri push list`). */
export const APPROVABLE_KINDS: readonly DebitKind[] = ['push', 'guided', 'app', 'portal'];

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

export function outcomeOf(
  row: Pick<SimDebitTable, 'status' | 'reason' | 'operator_reference'>,
): OperatorOutcome {
  if (row.status === 'completed') return { state: 'completed', operatorReference: row.operator_reference };
  if (row.status === 'failed')
    return { state: 'failed', reason: row.reason ?? 'failed', operatorReference: row.operator_reference };
  return { state: 'pending' };
}

function toApproval(row: SimDebitTable): PendingApproval {
  return {
    id: row.id,
    reference: row.reference,
    operatorId: row.operator_id,
    operatorName: operatorById(row.operator_id)?.name ?? row.operator_id,
    phone: row.phone,
    amountXof: Number(row.amount_xof),
    kind: row.kind,
    merchantName: row.merchant_name,
    description: row.description,
    createdAt: new Date(Number(row.created_at_ms)).toISOString(),
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

export function signSimulatorNotification(key: string, row: SimDebitTable): RawNotification {
  const body = {
    reference: row.reference,
    operator_id: row.operator_id,
    status: row.status,
    reason: row.reason ?? '',
    operator_reference: row.operator_reference,
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
  if (!['completed', 'failed', 'pending'].includes(body.status)) return undefined;
  return {
    reference: body.reference,
    outcome: outcomeOf({
      status: body.status,
      reason: body.reason,
      operator_reference: body.operator_reference,
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
      const kind: DebitKind = magic ? 'magic' : KIND_OF_MODE[operator.validationMode];
      let status = magic?.state ?? 'pending';
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
      const row: SimDebitTable = {
        id: `PSH${randomDigits(8)}`,
        reference: request.reference,
        operator_id: operator.id,
        phone: request.phone,
        amount_xof: request.amountXof,
        kind,
        status,
        reason,
        operator_reference: operatorReferenceOf(request.reference),
        merchant_name: request.merchantName.slice(0, 255),
        description: request.description.slice(0, 255),
        return_url: request.returnUrl.slice(0, 2048),
        created_at_ms: nowMs,
        decided_at_ms: status === 'pending' ? null : nowMs,
      };
      await insertSimDebit(tx, row);
      if (kind === 'guided' || (kind === 'push' && operator.fallbackMode === 'guided_ussd'))
        await this.sendGuidedSms(tx, operator, row, nowMs);
      return this.outcomeWithPortal(row);
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
      const row = await findSimDebitByReference(tx, reference);
      return row ? outcomeOf(row) : { state: 'pending' };
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
        (row) => row.kind === 'guided' || operatorById(row.operator_id)?.fallbackMode === 'guided_ussd',
      );
      if (guided) {
        const decided = await this.decideRow(tx, guided, 'approve', nowMs);
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
      const rows = await pendingSimDebits(
        tx,
        APPROVABLE_KINDS,
        phone,
        Math.min(Math.max(1, limit), SIM_LIST_LIMIT_MAX),
      );
      return rows.map(toApproval);
    });
  }

  /** One request by its id (`PSH…`) or Cauri reference. */
  find(
    idOrReference: string,
  ): Promise<(PendingApproval & { status: string; returnUrl: string }) | undefined> {
    return this.options.db.command(async (tx) => {
      const row = await findSimDebit(tx, idOrReference);
      return row ? { ...toApproval(row), status: row.status, returnUrl: row.return_url } : undefined;
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
      const row = await findSimDebit(tx, idOrReference);
      if (!row) return { ok: false, error: `no request ${idOrReference}` };
      if (row.status !== 'pending') return { ok: false, error: `request ${row.id} is already ${row.status}` };
      if (!APPROVABLE_KINDS.includes(row.kind as DebitKind))
        return { ok: false, error: `request ${row.id} does not wait for a person` };
      const decided = await this.decideRow(tx, row, decision, clock.nowMs());
      return {
        ok: true,
        value: { approval: toApproval(decided), notification: this.notificationOf(decided) },
      };
    });
  }

  private async decideRow(
    tx: Tx,
    row: SimDebitTable,
    decision: 'approve' | 'decline',
    nowMs: number,
  ): Promise<SimDebitTable> {
    const status = decision === 'approve' ? 'completed' : 'failed';
    const reason = decision === 'approve' ? null : 'declined';
    // Only a pending request changes, so two deciders cannot both win.
    if (!(await decideSimDebit(tx, row.id, status, reason, nowMs))) return await getSimDebit(tx, row.id);
    return { ...row, status, reason, decided_at_ms: nowMs };
  }

  private notificationOf(row: SimDebitTable): { operatorId: string; raw: RawNotification } {
    return { operatorId: row.operator_id, raw: signSimulatorNotification(this.options.notificationKey, row) };
  }

  private outcomeWithPortal(row: SimDebitTable): DebitOutcome {
    const outcome = outcomeOf(row);
    if (outcome.state === 'pending' && row.kind === 'portal') {
      return {
        state: 'pending',
        redirectUrl: `${this.options.publicUrl()}/sandbox/operator-portal/${row.id}`,
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

  private async sendGuidedSms(tx: Tx, operator: Operator, row: SimDebitTable, nowMs: number): Promise<void> {
    const amount = xof(Number(row.amount_xof));
    await insertSandboxSms(
      tx,
      row.phone,
      `${operator.name}: paiement de ${amount} FCFA à ${row.merchant_name} en attente. Faites ${operator.ussdCode ?? '#'} pour payer.`,
      nowMs,
    );
  }
}
