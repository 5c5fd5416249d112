import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listenLoopback } from './loopback-server.js';

/**
 * An offline Orange Money Burkina OTP payment API (ADR 0011): POST of an XML `<COMMAND>` of TYPE
 * OMPREQ, answered synchronously with bare elements `<status>…</status><message>…</message>
 * <transID>…</transID>`, as the community clients read them. It parses the XML itself (not with
 * the connector's parser) so that an escaping defect of the connector shows here.
 *
 * Statuses: 200 success and the ones the community code names (08 amount mismatch, 990422 unknown
 * number, 990418 code already used). Orange's codes for a wrong code and for a short balance are
 * not public: the fake uses the test-only codes below, which the tests give the connector through
 * settings.statusMap, as an operator would from its contract's list.
 */
export const FAKE_STATUS_OTP_INVALID = 'T-OTP-INVALID';
export const FAKE_STATUS_OTP_EXPIRED = 'T-OTP-EXPIRED';
export const FAKE_STATUS_INSUFFICIENT = 'T-NO-FUNDS';
export const FAKE_STATUS_MAP = `${FAKE_STATUS_OTP_INVALID}=otp_invalid,${FAKE_STATUS_OTP_EXPIRED}=otp_expired,${FAKE_STATUS_INSUFFICIENT}=insufficient_funds`;

export type BfOutcome =
  | 'success'
  | 'otp_invalid'
  | 'otp_expired'
  | 'otp_used'
  | 'insufficient'
  | 'unknown_number'
  | 'amount_mismatch'
  | 'garbled'
  | 'http500'
  | 'hostile_message';

export interface BfCommand {
  fields: Record<string, string>;
  raw: string;
}

export interface OrangeBfFake {
  url: string;
  merchantMsisdn: string;
  apiUsername: string;
  apiPassword: string;
  /** Issues a code for a national number (what *144*4*6# shows on the phone). */
  issueOtp(national: string, otp: string): void;
  /** Forces the answer for a national number (or for every number with '*'). */
  setOutcome(national: string, outcome: BfOutcome): void;
  balances: Map<string, number>;
  /** Every command received, parsed. */
  commands: BfCommand[];
  /** Debits made, per ext_txn_id. */
  debitsOf(reference: string): number;
  delayMs: number;
  /** Refuses connections (server closed) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The fake's own reader of the OMPREQ command: flat children of `<COMMAND>`. */
export function readCommand(xml: string): Record<string, string> | undefined {
  const body = /^\s*(?:<\?xml[^>]*\?>)?\s*<COMMAND>([\s\S]*)<\/COMMAND>\s*$/.exec(xml)?.[1];
  if (body === undefined) return undefined;
  const out: Record<string, string> = {};
  const re = /<([A-Za-z_][\w]*)>([^<]*)<\/\1>/g;
  let consumed = '';
  for (const m of body.matchAll(re)) {
    const name = m[1] ?? '';
    if (name in out) return undefined;
    out[name] = (m[2] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_x, e: string) => ENTITIES[e] ?? '');
    consumed += m[0];
  }
  return consumed === body.replace(/>\s+</g, '><').trim() ? out : undefined;
}

function answer(status: string, message: string, transId: string): string {
  return `<status>${status}</status><message>${message}</message><transID>${transId}</transID>`;
}

export async function startOrangeBfFake(): Promise<OrangeBfFake> {
  const otps = new Map<string, { otp: string; used: boolean }>();
  const outcomes = new Map<string, BfOutcome>();
  const debits = new Map<string, number>();
  let txnCounter = 0;
  let server: LoopbackServer;

  const fake: OrangeBfFake = {
    url: '',
    merchantMsisdn: '70000001',
    apiUsername: 'cauri_api',
    apiPassword: 'p@ss<&>"word',
    issueOtp: (national, otp) => otps.set(national, { otp, used: false }),
    setOutcome: (national, outcome) => outcomes.set(national, outcome),
    balances: new Map(),
    commands: [],
    debitsOf: (reference) => debits.get(reference) ?? 0,
    delayMs: 0,
    down: () => server.close(),
    async up() {
      server = await listenLoopback(handle, { port: server.port });
    },
    close: () => server.close(),
  };

  function decide(fields: Record<string, string>): { http?: number; text: string } {
    const national = fields.customer_msisdn ?? '';
    const forced = outcomes.get(national) ?? outcomes.get('*');
    if (forced === 'garbled') return { text: '<status>200</status><message>Succes' };
    if (forced === 'http500') return { http: 500, text: '<html>Internal Server Error</html>' };
    if (fields.TYPE !== 'OMPREQ' || fields.PROVIDER !== '101' || fields.PAYID !== '12')
      return { text: answer('08', 'Requete invalide', '') };
    if (
      fields.api_username !== fake.apiUsername ||
      fields.api_password !== fake.apiPassword ||
      fields.merchant_msisdn !== fake.merchantMsisdn
    ) {
      return { text: answer('00013', 'Authentification echouee', '') };
    }
    const amount = Number(fields.amount);
    if (!Number.isSafeInteger(amount) || amount <= 0 || forced === 'amount_mismatch')
      return { text: answer('08', 'Le montant ne correspond pas', '') };
    if (forced === 'unknown_number' || !/^\d{8}$/.test(national))
      return { text: answer('990422', 'Numero invalide', '') };
    if (forced === 'otp_invalid') return { text: answer(FAKE_STATUS_OTP_INVALID, 'Code OTP invalide', '') };
    if (forced === 'otp_expired') return { text: answer(FAKE_STATUS_OTP_EXPIRED, 'Code OTP expire', '') };
    const issued = otps.get(national);
    if (forced === 'otp_used' || issued?.used === true)
      return { text: answer('990418', 'Le code OTP a deja ete utilise', '') };
    if (issued === undefined || issued.otp !== fields.otp)
      return { text: answer(FAKE_STATUS_OTP_INVALID, 'Code OTP invalide', '') };
    const balance = fake.balances.get(national) ?? 1_000_000;
    if (forced === 'insufficient' || balance < amount)
      return { text: answer(FAKE_STATUS_INSUFFICIENT, 'Solde insuffisant', '') };
    issued.used = true;
    fake.balances.set(national, balance - amount);
    const reference = fields.ext_txn_id ?? '';
    debits.set(reference, (debits.get(reference) ?? 0) + 1);
    txnCounter += 1;
    const transId = `OM${String(txnCounter).padStart(6, '0')}.1234.C0${txnCounter}`;
    const message =
      forced === 'hostile_message' ? 'Paiement &lt;b&gt;reussi&lt;/b&gt; &amp; merci' : 'Succes';
    return { text: answer('200', message, transId) };
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const fields = req.method === 'POST' && req.url === '/payment' ? readCommand(raw) : undefined;
      const reply = fields === undefined ? { http: 400, text: 'Bad Request' } : decide(fields);
      if (fields !== undefined) fake.commands.push({ fields, raw });
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(reply.http ?? 200, { 'content-type': 'text/xml' });
        res.end(reply.text);
      }, fake.delayMs);
    });
  }

  server = await listenLoopback(handle);
  fake.url = `${server.origin}/payment`;
  return fake;
}
