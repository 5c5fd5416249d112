import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listenLoopback } from './loopback-server.js';

/**
 * An offline fake of Moov Money Burkina's Huawei "3pp" gateway (ADR 0012), as the sources show it:
 * one POST endpoint (`/tlcfzc_gw/api/gateway/3pp/transaction/process`), HTTP Basic, the operation
 * in the `command-id` header, JSON bodies with `request-id`/`destination`/`amount`/`remarks`/
 * `extended-data`, and answers `{request-id, trans-id, status, message}` with status "0" success,
 * "12" failed, "15" unknown. Tests steer it: what a number answers, when a push prompt is
 * approved, slow or broken answers, and a closed port.
 */
export const MOOV_FAKE_PATH = '/tlcfzc_gw/api/gateway/3pp/transaction/process';

export interface MoovTransaction {
  requestId: string;
  command: string;
  destination: string;
  amountXof: number;
  status: '0' | '12' | '15';
  message: string;
  transId: string;
}

interface OtpSession {
  transId: string;
  destination: string;
  amountXof: number;
  code: string;
  expired: boolean;
}

/** What a number answers at submission: "12" with a message (refused), or an accepted request. */
export interface MoovNumberRule {
  status: '0' | '12' | '15';
  message: string;
}

export class MoovBurkinaFake {
  readonly username = 'cauri-merchant';
  readonly password = 'moov-secret-Pa55';
  /** Every request received, in order (command, body). */
  readonly requests: { command: string; body: Record<string, unknown> }[] = [];
  readonly transactions = new Map<string, MoovTransaction>();
  readonly otps = new Map<string, OtpSession>();
  /** Submission rules per destination number (international digits). */
  readonly numbers = new Map<string, MoovNumberRule>();
  /** How many times money moved per request-id (credits and debits). */
  readonly moved = new Map<string, number>();
  delayMs = 0;
  /** The next N answers are HTTP 500 with an HTML page (a proxy in front of the gateway). */
  failNext = 0;
  /** Push payins settle at once with this status instead of waiting for `approve`/`decline`. */
  autoPush: MoovNumberRule | undefined;
  private serial = 0;
  private server: LoopbackServer | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = await listenLoopback((req, res) => void this.handle(req, res));
    this.url = `${this.server.origin}${MOOV_FAKE_PATH}`;
    return this;
  }

  /** Closes the port: later calls are refused (connection refused). */
  async down(): Promise<void> {
    await this.server?.close();
  }

  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { url: this.url, username: this.username, password: this.password, ...extra };
  }

  /** The customer approves the USSD prompt with their PIN. */
  approve(requestId: string): void {
    this.settle(requestId, '0', 'Transaction completed successfully');
  }

  decline(requestId: string, message = 'Transaction annulee par le client'): void {
    this.settle(requestId, '12', message);
  }

  /** The code Moov texted for the latest OTP session of `destination`. */
  otpFor(destination: string): string | undefined {
    return [...this.otps.values()].reverse().find((s) => s.destination === destination)?.code;
  }

  expireOtps(): void {
    for (const session of this.otps.values()) session.expired = true;
  }

  movedCount(requestId: string): number {
    return this.moved.get(requestId) ?? 0;
  }

  private settle(requestId: string, status: '0' | '12', message: string): void {
    const transaction = this.transactions.get(requestId);
    if (transaction === undefined) throw new Error(`no Moov transaction ${requestId}`);
    if (transaction.status !== '15') return;
    transaction.status = status;
    transaction.message = message;
    if (status === '0') this.moved.set(requestId, this.movedCount(requestId) + 1);
  }

  private nextTransId(prefix: string): string {
    this.serial += 1;
    return `${prefix}261204.0330.J${String(this.serial).padStart(5, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const send = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.failNext > 0) {
      this.failNext -= 1;
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><body>Internal Server Error</body></html>');
      return;
    }
    if (req.method !== 'POST' || req.url !== MOOV_FAKE_PATH)
      return send(404, { status: '404', message: 'Not Found' });
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, { status: '401', message: 'Unauthorized' });
    const command = typeof req.headers['command-id'] === 'string' ? req.headers['command-id'] : '';
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(400, { status: '12', message: 'Invalid JSON' });
    }
    this.requests.push({ command, body });
    const requestId = typeof body['request-id'] === 'string' ? body['request-id'] : '';
    const answer = this.answer(command, requestId, body);
    send(200, { 'request-id': requestId, ...answer });
  }

  private answer(command: string, requestId: string, body: Record<string, unknown>): Record<string, unknown> {
    if (requestId === '') return { status: '12', message: 'request-id is mandatory' };
    if (command === 'process-check-transaction') return this.check(requestId);
    const destination = typeof body.destination === 'string' ? body.destination : '';
    const amount =
      typeof body.amount === 'number'
        ? body.amount
        : typeof body.amount === 'string' && /^\d+$/.test(body.amount)
          ? Number(body.amount)
          : NaN;
    if (!/^226\d{8}$/.test(destination) || !Number.isSafeInteger(amount) || amount <= 0)
      return { status: '12', message: 'Invalid destination or amount' };
    if (typeof body.remarks !== 'string' || body.remarks === '')
      return { status: '12', message: 'remarks is mandatory' };
    // A request-id the gateway already knows answers the same transaction: nothing moves twice.
    const known = this.transactions.get(requestId);
    if (known !== undefined)
      return { 'trans-id': known.transId, status: known.status, message: known.message };
    const extended =
      body['extended-data'] !== null && typeof body['extended-data'] === 'object'
        ? (body['extended-data'] as Record<string, unknown>)
        : undefined;
    switch (command) {
      case 'mror-transaction-ussd':
        return this.push(requestId, destination, amount);
      case 'transfer-api-transaction':
        return this.transfer(requestId, destination, amount);
      case 'process-create-mror-otp':
      case 'process-mror-resend-otp':
        if (extended?.module !== 'MERCHOTPPAY') return { status: '12', message: 'module is mandatory' };
        return this.createOtp(destination, amount);
      case 'process-commit-otppay':
        return this.commitOtp(requestId, destination, amount, extended);
      default:
        return { status: '12', message: `Unknown command-id ${command}` };
    }
  }

  private record(
    requestId: string,
    command: string,
    destination: string,
    amountXof: number,
    status: MoovTransaction['status'],
    message: string,
    prefix: string,
  ): MoovTransaction {
    const transaction = {
      requestId,
      command,
      destination,
      amountXof,
      status,
      message,
      transId: this.nextTransId(prefix),
    };
    this.transactions.set(requestId, transaction);
    if (status === '0') this.moved.set(requestId, this.movedCount(requestId) + 1);
    return transaction;
  }

  private push(requestId: string, destination: string, amount: number): Record<string, unknown> {
    const rule = this.numbers.get(destination);
    if (rule?.status === '12') return { status: '12', message: rule.message };
    const transaction = this.record(
      requestId,
      'mror-transaction-ussd',
      destination,
      amount,
      '15',
      'Pending subscriber confirmation',
      'MROR',
    );
    if (this.autoPush !== undefined) {
      if (this.autoPush.status === '0') this.approve(requestId);
      else if (this.autoPush.status === '12') this.decline(requestId, this.autoPush.message);
    }
    // The push answer only says the prompt went out.
    return { 'trans-id': transaction.transId, status: '0', message: 'USSD push sent to subscriber' };
  }

  private transfer(requestId: string, destination: string, amount: number): Record<string, unknown> {
    const rule = this.numbers.get(destination) ?? { status: '0', message: 'SUCCESS' };
    if (rule.status === '12') {
      this.record(requestId, 'transfer-api-transaction', destination, amount, '12', rule.message, 'CT');
      return { status: '12', message: rule.message };
    }
    const transaction = this.record(
      requestId,
      'transfer-api-transaction',
      destination,
      amount,
      rule.status,
      rule.message,
      'CT',
    );
    return {
      'trans-id': transaction.transId,
      status: transaction.status,
      statusdescription: rule.status === '0' ? 'SUCCESS' : 'PENDING',
    };
  }

  private createOtp(destination: string, amount: number): Record<string, unknown> {
    const rule = this.numbers.get(destination);
    if (rule?.status === '12') return { status: '12', message: rule.message };
    const transId = this.nextTransId('OMROR');
    this.otps.set(transId, {
      transId,
      destination,
      amountXof: amount,
      code: String(100000 + this.serial),
      expired: false,
    });
    return {
      'trans-id': transId,
      status: '0',
      message: 'OTP généré avec succès, le SMS sera envoyé au numéro de client',
    };
  }

  private commitOtp(
    requestId: string,
    destination: string,
    amount: number,
    extended: Record<string, unknown> | undefined,
  ): Record<string, unknown> {
    const session =
      typeof extended?.['trans-id'] === 'string' ? this.otps.get(extended['trans-id']) : undefined;
    if (
      extended?.module !== 'MERCHOTPPAY' ||
      session === undefined ||
      session.destination !== destination ||
      session.amountXof !== amount
    ) {
      return { status: '12', message: 'Transaction OTP introuvable' };
    }
    if (session.expired) return { status: '12', message: 'OTP expire' };
    if (extended.otp !== session.code) return { status: '12', message: 'OTP invalide' };
    const rule = this.numbers.get(destination);
    const status = rule?.status === '12' ? '12' : '0';
    const transaction = this.record(
      requestId,
      'process-commit-otppay',
      destination,
      amount,
      status,
      rule?.message ?? 'Commit Success',
      'OMRCH',
    );
    this.otps.delete(session.transId);
    return { 'trans-id': transaction.transId, status, message: transaction.message };
  }

  private check(requestId: string): Record<string, unknown> {
    const transaction = this.transactions.get(requestId);
    if (transaction === undefined)
      return { 'trans-id': this.nextTransId('CHK'), status: '15', message: 'Transaction not found' };
    return {
      'trans-id': this.nextTransId('CHK'),
      status: transaction.status,
      message: transaction.message,
      'extended-data': { data: { 'reference-id': transaction.transId } },
    };
  }
}
