import type { AddressInfo } from 'node:net';
import smpp from 'smpp';

/**
 * An offline SMSC speaking SMPP 3.4 over TCP on 127.0.0.1, built on the `smpp` package's server
 * side. It checks bind credentials, answers submit_sm with message ids, records every message,
 * answers enquire_link and unbind, and sends delivery receipts (deliver_sm with esm_class 0x04 and
 * the Appendix B text, whose `text:` field quotes the message as real SMSCs do). Tests can make it
 * throttle, stay silent, refuse binds, ignore keep-alives and drop every connection.
 */
export interface SmscMessage {
  messageId: string;
  systemId: string;
  sourceAddr: string;
  sourceTon: number;
  sourceNpi: number;
  destination: string;
  destTon: number;
  destNpi: number;
  dataCoding: number;
  registeredDelivery: number;
  body: string;
  viaPayload: boolean;
  /** node-smpp decodes a relative validity_period into the absolute Date it stands for. */
  validityPeriod: Date | string | undefined;
}

export type ReceiptStat = 'DELIVRD' | 'UNDELIV' | 'REJECTD' | 'EXPIRED' | 'ENROUTE';

export interface FakeSmscOptions {
  systemId?: string;
  password?: string;
  /** Listen with TLS (smpps), with the self-signed certificate below. */
  tls?: boolean;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, valid until 2126, made for this fake
 * with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 * -subj /CN=fake-smsc.test -addext subjectAltName=IP:127.0.0.1,DNS:localhost`. Test use only.
 */
export const FAKE_SMSC_CERT = `-----BEGIN CERTIFICATE-----
MIIBpTCCAUugAwIBAgIUeXstOSPlxjHNva/v61q31V5/5Y4wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZmFrZS1zbXNjLnRlc3QwIBcNMjYxMjA0MDM0MDExWhgPMjEy
NjExMTAwMzQwMTFaMBkxFzAVBgNVBAMMDmZha2Utc21zYy50ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAECbRKziNn/mygqgWWUZHgnekItZ+ZJmZUbY0d4BCA
pwuTA5GMtUvAEexwR1kRYSCy+srsRw+gSryEFyvjL+5bV6NvMG0wHQYDVR0OBBYE
FGMZZ0OyiZy/1aB9v4F5CC1pGYxOMB8GA1UdIwQYMBaAFGMZZ0OyiZy/1aB9v4F5
CC1pGYxOMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxo
b3N0MAoGCCqGSM49BAMCA0gAMEUCIQCR2QTA3t/vjVw76HnV6hjiQsKBsqkCMOrO
L1UycWIL8wIgLrNBjvkYnoKY9LbqbWu5UVSHmLmlIH0H+9fNDycW3kA=
-----END CERTIFICATE-----
`;
const FAKE_SMSC_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIEIyoIMTOlLWPGQO
PaEOfORY74PK2LIuFF9zxen11t6hRANCAAQJtErOI2f+bKCqBZZRkeCd6Qi1n5km
ZlRtjR3gEICnC5MDkYy1S8AR7HBHWRFhILL6yuxHD6BKvIQXK+Mv7ltX
-----END PRIVATE KEY-----
`;

export class FakeSmsc {
  readonly systemId: string;
  readonly password: string;
  readonly messages: SmscMessage[] = [];
  binds = 0;
  bindRefusals = 0;
  unbinds = 0;
  /** unbind_resp received for the unbinds this SMSC sent. */
  unbindsAnswered = 0;
  enquireLinks = 0;
  /** deliver_sm_resp received for the receipts sent. */
  receiptsAnswered = 0;
  /** Refuse every bind with this status (e.g. ESME_RBINDFAIL) even with good credentials. */
  refuseBindsWith: number | undefined;
  /** Answer the next n submit_sm with ESME_RTHROTTLED. */
  throttleNext = 0;
  /** Answer submit_sm with this status instead of accepting it. */
  submitStatus: number | undefined;
  /** Leave submit_sm unanswered (for timeouts). */
  silent = false;
  /** Leave enquire_link unanswered (a half-dead link). */
  ignoreEnquireLinks = false;
  /** Send this receipt for every accepted message, as the SMSC would once the handset answers. */
  autoReceipt: ReceiptStat | undefined;
  /** Send receipts with the receipted_message_id and message_state TLVs as well as the text. */
  receiptTlvs = false;
  private readonly tls: boolean;
  private readonly server: smpp.Server;
  private readonly bound = new Map<smpp.Session, string>();
  private nextId = 0x5a3c0000;

  private constructor(options: FakeSmscOptions) {
    this.systemId = options.systemId ?? 'cauri';
    this.password = options.password ?? 'secret1';
    this.tls = options.tls ?? false;
    this.server = smpp.createServer(this.tls ? { key: FAKE_SMSC_KEY, cert: FAKE_SMSC_CERT } : {}, (session) =>
      this.serve(session),
    );
  }

  static async start(options: FakeSmscOptions = {}): Promise<FakeSmsc> {
    const smsc = new FakeSmsc(options);
    await new Promise<void>((resolve) => smsc.server.listen(0, '127.0.0.1', resolve));
    return smsc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `${this.tls ? 'smpps' : 'smpp'}://127.0.0.1:${this.port}`;
  }

  /** Sessions currently bound. */
  get boundSessions(): number {
    return this.bound.size;
  }

  /** Cuts every TCP connection without an unbind, as a NAT timeout or an SMSC restart does. */
  dropConnections(): void {
    for (const session of [...this.server.sessions]) session.destroy();
  }

  /** Unbinds every bound session, as an SMSC going down for maintenance does, and closes it on unbind_resp. */
  unbindAll(): void {
    for (const session of [...this.bound.keys()]) {
      this.bound.delete(session);
      session.unbind({}, () => {
        this.unbindsAnswered++;
        session.close();
      });
    }
  }

  /** A delivery receipt for `messageId` on every bound session (in practice one). */
  sendReceipt(messageId: string, stat: ReceiptStat, err = stat === 'DELIVRD' ? '000' : '001'): void {
    const message = this.messages.find((m) => m.messageId === messageId);
    const quoted = (message?.body ?? '').slice(0, 20);
    const date = '2612040330';
    const text = `id:${messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${date} done date:${date} stat:${stat} err:${err} text:${quoted}`;
    const states: Record<ReceiptStat, number> = {
      ENROUTE: 1,
      DELIVRD: 2,
      EXPIRED: 3,
      UNDELIV: 5,
      REJECTD: 8,
    };
    for (const session of this.bound.keys()) {
      session.deliver_sm(
        {
          source_addr_ton: 1,
          source_addr_npi: 1,
          source_addr: message?.destination ?? '',
          destination_addr: message?.sourceAddr ?? '',
          esm_class: 0x04,
          data_coding: 0,
          short_message: { message: text },
          ...(this.receiptTlvs ? { receipted_message_id: messageId, message_state: states[stat] } : {}),
        },
        () => this.receiptsAnswered++,
      );
    }
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(session: smpp.Session): void {
    session.on('error', () => undefined);
    session.on('close', () => this.bound.delete(session));
    session.on('bind_transceiver', (pdu: smpp.PDU) => {
      const good = pdu.system_id === this.systemId && pdu.password === this.password;
      const status =
        this.refuseBindsWith ??
        (good
          ? 0
          : pdu.system_id === this.systemId
            ? smpp.errors.ESME_RINVPASWD
            : smpp.errors.ESME_RINVSYSID);
      if (status !== 0) {
        this.bindRefusals++;
        session.send(pdu.response({ command_status: status }));
        // Real SMSCs close the connection after a refused bind.
        session.close();
        return;
      }
      this.binds++;
      this.bound.set(session, this.systemId);
      session.send(pdu.response({ system_id: 'FAKESMSC' }));
    });
    session.on('submit_sm', (pdu: smpp.PDU) => this.onSubmit(session, pdu));
    session.on('enquire_link', (pdu: smpp.PDU) => {
      this.enquireLinks++;
      if (!this.ignoreEnquireLinks) session.send(pdu.response());
    });
    session.on('unbind', (pdu: smpp.PDU) => {
      this.unbinds++;
      this.bound.delete(session);
      session.send(pdu.response());
      session.close();
    });
  }

  private onSubmit(session: smpp.Session, pdu: smpp.PDU): void {
    const systemId = this.bound.get(session);
    if (systemId === undefined) {
      session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
      return;
    }
    if (this.silent) return;
    if (this.throttleNext > 0) {
      this.throttleNext--;
      session.send(pdu.response({ command_status: smpp.errors.ESME_RTHROTTLED }));
      return;
    }
    if (this.submitStatus !== undefined) {
      session.send(pdu.response({ command_status: this.submitStatus }));
      return;
    }
    const payload = pdu.message_payload;
    const text = (value: unknown): string => {
      if (typeof value === 'string') return value;
      if (
        value !== null &&
        typeof value === 'object' &&
        'message' in value &&
        typeof value.message === 'string'
      )
        return value.message;
      return '';
    };
    const messageId = (this.nextId++).toString(16);
    this.messages.push({
      messageId,
      systemId,
      sourceAddr: pdu.source_addr ?? '',
      sourceTon: pdu.source_addr_ton ?? -1,
      sourceNpi: pdu.source_addr_npi ?? -1,
      destination: pdu.destination_addr ?? '',
      destTon: pdu.dest_addr_ton ?? -1,
      destNpi: pdu.dest_addr_npi ?? -1,
      dataCoding: pdu.data_coding ?? -1,
      registeredDelivery: pdu.registered_delivery ?? -1,
      body: payload === undefined ? text(pdu.short_message) : text(payload),
      viaPayload: payload !== undefined,
      validityPeriod: pdu.validity_period === '' ? undefined : pdu.validity_period,
    });
    session.send(pdu.response({ message_id: messageId }));
    if (this.autoReceipt !== undefined) {
      const stat = this.autoReceipt;
      setImmediate(() => this.sendReceipt(messageId, stat));
    }
  }
}
