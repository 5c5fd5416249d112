import { isIP } from 'node:net';
import smpp from 'smpp';
import {
  invalidMessage,
  SmsConfigError,
  withoutBody,
  type SmsMessage,
  type SmsProvider,
  type SmsReceipt,
  type SmsSendResult,
} from './provider.js';

/**
 * An SMSC reached over SMPP 3.4 (ADR 0014), with the `smpp` package (farhadi/node-smpp 0.5).
 *
 * One transceiver bind carries both the submit_sm of outgoing messages and the deliver_sm of their
 * delivery receipts. The link is opened on first use (a send, or registering a receipt listener),
 * kept alive with enquire_link, and re-opened with a doubling delay when it drops: idle SMPP links
 * are cut by SMSCs and NATs after a few minutes (node-smpp issue #204), so a missing enquire_link_resp
 * counts as a dead link. Neither the body nor the password ever appears in a log line or an error.
 */
export interface SmppConfig {
  /** `smpp://host:2775`, or `smpps://host:3550` for SMPP over TLS. */
  url: string;
  systemId: string;
  password: string;
  systemType?: string;
  /** An alphanumeric sender id ('LIGDICASH', TON 5 NPI 0) or an international number (TON 1 NPI 1). */
  sourceAddr: string;
  /** The keep-alive period, default 30 s; an enquire_link unanswered for that long drops the link. */
  enquireLinkMs?: number;
  /** TCP (and TLS) connection plus bind, default 10 s. */
  connectTimeoutMs?: number;
  /**
   * How long a send may take in all, waiting for a bound link and then for its submit_sm_resp;
   * default 4 s, under sendWithRetries' 5 s per attempt, so the provider answers first.
   */
  submitTimeoutMs?: number;
  /** The first reconnection delay, doubled up to `reconnectDelayMaxMs` (defaults 1 s and 60 s). */
  reconnectDelayMinMs?: number;
  reconnectDelayMaxMs?: number;
  /** validity_period of each message, relative; the SMSC's default when unset. */
  validitySeconds?: number;
  /** For smpps: the PEM certificate(s) of a private CA to trust instead of the system's. */
  tlsCa?: string;
  /** Where operational lines go (bound, dropped, refused); none carries a body or a secret. */
  log?: (line: string) => void;
}

/** SMPP 3.4 §4.1: system_id is a C-Octet String of at most 16 octets, password 9, system_type 13. */
const SYSTEM_ID_CHARS_MAX = 15;
const PASSWORD_CHARS_MAX = 8;
const SYSTEM_TYPE_CHARS_MAX = 12;
/** GSM 03.40 §9.1.2.5: an alphanumeric address holds at most 11 GSM characters. */
const ALPHANUMERIC_SENDER_CHARS_MAX = 11;
/** One SMS holds 140 octets: 160 GSM 7-bit characters, sent unpacked one per octet, or 70 UCS2. */
const SINGLE_GSM_OCTETS_MAX = 160;
const SINGLE_UCS2_OCTETS_MAX = 140;
/** SMPP 3.4 §5.2.23: message_id is at most 65 octets. */
const MESSAGE_ID_CHARS_MAX = 64;
const UNBIND_WAIT_MS = 2_000;
const LISTENERS_MAX = 16;
/** Sends waiting for the link or for their submit_sm_resp; an OTP burst beyond that is refused. */
const SENDS_PENDING_MAX = 64;

/** SMPP 3.4 §5.2.12: bits 5–2 of esm_class set to 0001 mark an SMSC delivery receipt. */
const ESM_CLASS_DELIVERY_RECEIPT = 0x04;
/** SMPP 3.4 §5.2.5 and §5.2.6. */
const TON_INTERNATIONAL = 1;
const TON_ALPHANUMERIC = 5;
const NPI_UNKNOWN = 0;
const NPI_ISDN = 1;
/** SMPP 3.4 §5.2.19: 0 is the SMSC default alphabet (GSM 03.38 in practice), 8 is UCS2. */
const DATA_CODING_DEFAULT = 0x00;
const DATA_CODING_UCS2 = 0x08;

/** Refusals an SMSC lifts by itself: throttling, a full queue, a transient system error. */
const TEMPORARY_STATUSES = new Set(['ESME_RTHROTTLED', 'ESME_RMSGQFUL', 'ESME_RSYSERR']);

export class SmppConfigError extends SmsConfigError {
  override name = 'SmppConfigError';
}

interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
}

/** `smpp://host[:port]` (default 2775) or `smpps://` / `ssmpp://` (TLS, default 3550). */
export function smppEndpoint(url: string): Endpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SmppConfigError('SMPP URL must look like smpp://host:2775 or smpps://host:3550');
  }
  const tls = parsed.protocol === 'smpps:' || parsed.protocol === 'ssmpp:';
  if (!tls && parsed.protocol !== 'smpp:')
    throw new SmppConfigError('SMPP URL must start with smpp:// or smpps://');
  if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '')
    throw new SmppConfigError('SMPP URL must name a host and no credentials');
  const port = parsed.port === '' ? (tls ? 3550 : 2775) : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, tls };
}

/** Source address type (SMPP 3.4 §5.2.5–5.2.6): digits are an international number, else alphanumeric. */
export function sourceAddress(sourceAddr: string): { ton: number; npi: number } {
  if (/^[1-9][0-9]{2,14}$/.test(sourceAddr)) return { ton: TON_INTERNATIONAL, npi: NPI_ISDN };
  if (
    new RegExp(`^[A-Za-z0-9 ._-]{1,${ALPHANUMERIC_SENDER_CHARS_MAX}}$`).test(sourceAddr) &&
    /[A-Za-z]/.test(sourceAddr)
  ) {
    return { ton: TON_ALPHANUMERIC, npi: NPI_UNKNOWN };
  }
  throw new SmppConfigError(
    `SMS sender must be 3 to 15 digits or 1 to ${ALPHANUMERIC_SENDER_CHARS_MAX} letters and digits`,
  );
}

/** The name of an SMPP command_status, e.g. `ESME_RTHROTTLED (0x00000058)`. */
export function statusName(status: number): string {
  const hex = `0x${status.toString(16).padStart(8, '0')}`;
  const name = Object.entries(smpp.errors).find(([, value]) => value === status)?.[0];
  return name === undefined ? hex : `${name} (${hex})`;
}

function statusKey(status: number): string | undefined {
  return Object.entries(smpp.errors).find(([, value]) => value === status)?.[0];
}

/** `validity_period` in the relative format of SMPP 3.4 §7.1.1: YYMMDDhhmmss000R. */
function relativeValidity(seconds: number): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const days = Math.floor(seconds / 86_400);
  const rest = seconds % 86_400;
  return `0000${two(days)}${two(Math.floor(rest / 3_600))}${two(Math.floor((rest % 3_600) / 60))}${two(rest % 60)}000R`;
}

/** The submit_sm fields of one message: GSM 03.38 when every character has a GSM code, else UCS2. */
export function submitFields(
  message: SmsMessage,
  sourceAddr: string,
  validitySeconds?: number,
): Record<string, unknown> {
  const source = sourceAddress(sourceAddr);
  const gsm = smpp.encodings.ASCII.match(message.body);
  const octets = gsm
    ? smpp.encodings.ASCII.encode(message.body).length
    : smpp.encodings.UCS2.encode(message.body).length;
  const single = octets <= (gsm ? SINGLE_GSM_OCTETS_MAX : SINGLE_UCS2_OCTETS_MAX);
  return {
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    source_addr: sourceAddr,
    dest_addr_ton: TON_INTERNATIONAL,
    dest_addr_npi: NPI_ISDN,
    destination_addr: message.to,
    // Final delivery receipt requested, success or failure (SMPP 3.4 §5.2.17).
    registered_delivery: 1,
    data_coding: gsm ? DATA_CODING_DEFAULT : DATA_CODING_UCS2,
    ...(validitySeconds === undefined ? {} : { validity_period: relativeValidity(validitySeconds) }),
    // A text longer than one SMS goes in message_payload (SMPP 3.4 §5.3.2.32); the SMSC splits it.
    ...(single
      ? { short_message: { message: message.body } }
      : { message_payload: { message: message.body } }),
  };
}

type ReceiptFields = {
  receipted_message_id?: string;
  message_state?: number;
  short_message?: unknown;
  message_payload?: unknown;
};

/** SMPP 3.4 Appendix B `stat:` values, and §5.2.28 message_state values, that are final. */
const STAT_STATES: Record<string, 'delivered' | 'failed'> = {
  DELIVRD: 'delivered',
  UNDELIV: 'failed',
  REJECTD: 'failed',
  EXPIRED: 'failed',
  DELETED: 'failed',
  UNKNOWN: 'failed',
};
const MESSAGE_STATE_STATS: Record<number, string> = {
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (value !== null && typeof value === 'object' && 'message' in value) return textOf(value.message);
  return undefined;
}

/**
 * A delivery receipt from a deliver_sm: the receipted_message_id and message_state TLVs when
 * present (SMPP 3.4 §4.6.1), else the `id:… stat:… err:…` text of Appendix B. Intermediate states
 * (ENROUTE, ACCEPTD) give undefined. The receipt's `text:` field quotes the start of the message,
 * the OTP, so it is never copied into `detail`.
 */
export function parseReceipt(pdu: ReceiptFields): SmsReceipt | undefined {
  const text = textOf(pdu.short_message) ?? textOf(pdu.message_payload) ?? '';
  const textId = /(?:^|\s)id:([^\s]+)/i.exec(text)?.[1];
  const textStat = /(?:^|\s)stat:([A-Za-z]+)/i.exec(text)?.[1]?.toUpperCase();
  const err = /(?:^|\s)err:([0-9A-Za-z]{1,8})/i.exec(text)?.[1];
  const id =
    pdu.receipted_message_id !== undefined && pdu.receipted_message_id !== ''
      ? pdu.receipted_message_id
      : textId;
  if (id === undefined || id.length > MESSAGE_ID_CHARS_MAX) return undefined;
  const stat =
    (pdu.message_state === undefined ? undefined : MESSAGE_STATE_STATS[pdu.message_state]) ?? textStat;
  const state = stat === undefined ? undefined : STAT_STATES[stat];
  if (stat === undefined || state === undefined) return undefined;
  return {
    providerMessageId: id,
    state,
    detail: err === undefined ? `stat:${stat}` : `stat:${stat} err:${err}`,
  };
}

/**
 * Whether a receipt's id names the submitted message. SMPP 3.4 Appendix B leaves the receipt
 * text's format to the SMSC, and some give the `id:` in decimal where submit_sm_resp gave it in
 * hexadecimal: an exact match, else the same number read both ways.
 */
export function sameMessageId(submitted: string, receipted: string): boolean {
  if (submitted.toLowerCase() === receipted.toLowerCase()) return true;
  if (!/^[0-9a-f]{1,13}$/i.test(submitted) || !/^[0-9]{1,16}$/.test(receipted)) return false;
  return Number.parseInt(submitted, 16) === Number(receipted);
}

function fail(error: string, retryable: boolean): SmsSendResult {
  return { ok: false, error: `smpp: ${error}`, retryable };
}

export class SmppProvider implements SmsProvider {
  readonly name = 'smpp';
  private readonly endpoint: Endpoint;
  private readonly enquireLinkMs: number;
  private readonly connectTimeoutMs: number;
  private readonly submitTimeoutMs: number;
  private readonly reconnectDelayMinMs: number;
  private readonly reconnectDelayMaxMs: number;
  private readonly log: (line: string) => void;
  private session: smpp.Session | undefined;
  private bound = false;
  private closed = false;
  /** Why the SMSC refused the last bind; sends fail at once, without retry, until a bind succeeds. */
  private refusal: string | undefined;
  private reconnectDelayMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly inflight = new Set<(result: SmsSendResult) => void>();
  private readonly listeners: ((receipt: SmsReceipt) => void)[] = [];

  constructor(private readonly config: SmppConfig) {
    this.endpoint = smppEndpoint(config.url);
    sourceAddress(config.sourceAddr);
    const bounded = (
      value: number | undefined,
      fallback: number,
      name: string,
      min: number,
      max: number,
    ): number => {
      const v = value ?? fallback;
      if (!Number.isSafeInteger(v) || v < min || v > max)
        throw new SmppConfigError(`${name} must be an integer from ${min} to ${max}`);
      return v;
    };
    if (config.systemId === '' || config.systemId.length > SYSTEM_ID_CHARS_MAX)
      throw new SmppConfigError(`SMPP system id must be 1 to ${SYSTEM_ID_CHARS_MAX} characters`);
    if (config.password.length > PASSWORD_CHARS_MAX)
      throw new SmppConfigError(
        `SMPP password must be at most ${PASSWORD_CHARS_MAX} characters (SMPP 3.4 §4.1)`,
      );
    if ((config.systemType ?? '').length > SYSTEM_TYPE_CHARS_MAX)
      throw new SmppConfigError(`SMPP system type must be at most ${SYSTEM_TYPE_CHARS_MAX} characters`);
    this.enquireLinkMs = bounded(config.enquireLinkMs, 30_000, 'enquireLinkMs', 10, 600_000);
    this.connectTimeoutMs = bounded(config.connectTimeoutMs, 10_000, 'connectTimeoutMs', 10, 120_000);
    this.submitTimeoutMs = bounded(config.submitTimeoutMs, 4_000, 'submitTimeoutMs', 10, 120_000);
    this.reconnectDelayMinMs = bounded(config.reconnectDelayMinMs, 1_000, 'reconnectDelayMinMs', 1, 600_000);
    this.reconnectDelayMaxMs = bounded(
      config.reconnectDelayMaxMs,
      60_000,
      'reconnectDelayMaxMs',
      this.reconnectDelayMinMs,
      3_600_000,
    );
    if (config.validitySeconds !== undefined)
      bounded(config.validitySeconds, 0, 'validitySeconds', 60, 86_400 * 7);
    this.reconnectDelayMs = this.reconnectDelayMinMs;
    this.log = config.log ?? ((): void => undefined);
  }

  /** Whether the link is bound now (for health checks and tests). */
  get isBound(): boolean {
    return this.bound;
  }

  onReceipt(listener: (receipt: SmsReceipt) => void): void {
    if (this.listeners.length >= LISTENERS_MAX)
      throw new RangeError(`at most ${LISTENERS_MAX} receipt listeners`);
    this.listeners.push(listener);
    // Receipts arrive on the bound link only: listening is a reason to open it.
    this.ensureConnecting();
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    const invalid = invalidMessage(message);
    if (invalid !== undefined) return fail(invalid, false);
    if (this.waiters.size + this.inflight.size >= SENDS_PENDING_MAX)
      return fail(`over ${SENDS_PENDING_MAX} messages pending`, true);
    const deadlineMs = Date.now() + this.submitTimeoutMs;
    const link = await this.whenBound(this.submitTimeoutMs);
    if ('failure' in link) return link.failure;
    const result = await this.submit(link.session, message, Math.max(1, deadlineMs - Date.now()));
    return result.ok ? result : { ...result, error: withoutBody(result.error, message.body) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.wake();
    const session = this.session;
    if (session === undefined) return;
    if (this.bound) {
      // SMPP 3.4 §4.2: unbind, and wait (bounded) for unbind_resp before closing the socket.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, UNBIND_WAIT_MS);
        const sent = session.unbind({}, () => {
          clearTimeout(timer);
          resolve();
        });
        if (!sent) resolve();
      });
    }
    this.forget(session, 'provider closed');
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => session.destroy(), UNBIND_WAIT_MS);
      session.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      session.close();
    });
  }

  private ensureConnecting(): void {
    if (!this.closed && this.session === undefined && this.reconnectTimer === undefined) this.connect();
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.closed || this.session !== undefined) return;
    const { host, port, tls } = this.endpoint;
    // RFC 6066 §3: SNI carries a host name, never an IP address.
    const session = smpp.connect({
      host,
      port,
      tls,
      ...(tls && isIP(host) === 0 ? { servername: host } : {}),
      ...(tls && this.config.tlsCa !== undefined ? { ca: this.config.tlsCa } : {}),
    });
    this.session = session;
    this.bound = false;
    this.connectTimer = setTimeout(
      () => this.drop(session, `no bind within ${this.connectTimeoutMs} ms`),
      this.connectTimeoutMs,
    );
    // Every 'error' needs a listener, or the EventEmitter throws. A stale session's events are ignored.
    session.on('error', (error: Error) => this.drop(session, `link error (${error.message})`));
    session.on('close', () => this.drop(session, 'link closed'));
    session.once(tls ? 'secureConnect' : 'connect', () => {
      session.bind_transceiver(
        {
          system_id: this.config.systemId,
          password: this.config.password,
          system_type: this.config.systemType ?? '',
          interface_version: 0x34,
        },
        (pdu) => this.onBound(session, pdu),
      );
    });
    session.on('deliver_sm', (pdu: smpp.PDU) => this.onDeliver(session, pdu));
    session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.PDU) => {
      // No new submit on a link being unbound; it is dropped once unbind_resp is written (§4.2).
      if (session === this.session) this.bound = false;
      session.send(pdu.response(), () => this.drop(session, 'SMSC unbound'));
    });
    // An unknown command gets a generic_nack (SMPP 3.4 §4.3), as node-smpp builds it.
    session.on('unknown', (pdu: smpp.PDU) => session.send(pdu.response()));
  }

  private onBound(session: smpp.Session, pdu: smpp.PDU): void {
    if (session !== this.session) return;
    clearTimeout(this.connectTimer);
    if (pdu.command_status !== 0) {
      this.refusal = `SMSC refused bind_transceiver for system id ${this.config.systemId}: ${statusName(pdu.command_status)}`;
      this.log(`smpp: ${this.refusal}`);
      this.drop(session, 'bind refused');
      return;
    }
    this.bound = true;
    this.refusal = undefined;
    this.reconnectDelayMs = this.reconnectDelayMinMs;
    this.log(`smpp: bound to ${this.endpoint.host}:${this.endpoint.port} as ${this.config.systemId}`);
    this.keepAlive(session);
    this.wake();
  }

  /** enquire_link every period; one still unanswered when the next is due means the link is dead. */
  private keepAlive(session: smpp.Session): void {
    let outstanding = false;
    this.enquireTimer = setInterval(() => {
      if (outstanding) {
        this.drop(session, `no enquire_link_resp within ${this.enquireLinkMs} ms`);
        return;
      }
      outstanding = true;
      session.enquire_link({}, () => {
        outstanding = false;
      });
    }, this.enquireLinkMs);
  }

  private onDeliver(session: smpp.Session, pdu: smpp.PDU): void {
    // Always answered, or the SMSC delivers it again; a mobile-originated message is not read.
    session.send(pdu.response());
    if (((pdu.esm_class ?? 0) & ESM_CLASS_DELIVERY_RECEIPT) === 0) return;
    const receipt = parseReceipt(pdu);
    if (receipt === undefined) return;
    for (const listener of this.listeners) {
      try {
        listener(receipt);
      } catch {
        this.log('smpp: a receipt listener threw');
      }
    }
  }

  /** Stops using a session: fails what waits on it, without scheduling anything. */
  private forget(session: smpp.Session, reason: string): void {
    if (session !== this.session) return;
    this.session = undefined;
    this.bound = false;
    clearTimeout(this.connectTimer);
    clearInterval(this.enquireTimer);
    for (const finish of [...this.inflight]) finish(fail(`${reason} before submit_sm_resp`, true));
  }

  private drop(session: smpp.Session, reason: string): void {
    if (session !== this.session) return;
    this.forget(session, reason);
    session.destroy();
    if (this.closed) return;
    // After a refused bind, wait the longest: some SMSCs lock an account that retries quickly.
    const delayMs = this.refusal === undefined ? this.reconnectDelayMs : this.reconnectDelayMaxMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.reconnectDelayMaxMs);
    this.log(`smpp: ${reason}; reconnecting in ${delayMs} ms`);
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The bound session, waiting up to `timeoutMs` for a (re)connection, or the failure to return. */
  private async whenBound(
    timeoutMs: number,
  ): Promise<{ session: smpp.Session } | { failure: SmsSendResult }> {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) return { failure: fail('provider is closed', false) };
      if (this.refusal !== undefined) return { failure: fail(this.refusal, false) };
      if (this.session !== undefined && this.bound) return { session: this.session };
      this.ensureConnecting();
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0) return { failure: fail(`SMSC link not bound within ${timeoutMs} ms`, true) };
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, leftMs);
        this.waiters.add(done);
      });
    }
  }

  private submit(session: smpp.Session, message: SmsMessage, timeoutMs: number): Promise<SmsSendResult> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: SmsSendResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inflight.delete(finish);
        resolve(result);
      };
      const timer = setTimeout(
        () => finish(fail(`no submit_sm_resp within ${this.submitTimeoutMs} ms`, true)),
        timeoutMs,
      );
      this.inflight.add(finish);
      let written = false;
      try {
        written = session.submit_sm(
          submitFields(message, this.config.sourceAddr, this.config.validitySeconds),
          (pdu) => finish(this.submitted(session, pdu)),
        );
      } catch {
        // The library's own message could quote the text; this one does not.
        finish(fail('submit_sm could not be encoded', false));
        return;
      }
      if (!written) finish(fail('link not writable', true));
    });
  }

  private submitted(session: smpp.Session, pdu: smpp.PDU): SmsSendResult {
    const status = pdu.command_status;
    if (status === 0) {
      const id =
        typeof pdu.message_id === 'string' &&
        pdu.message_id !== '' &&
        pdu.message_id.length <= MESSAGE_ID_CHARS_MAX
          ? pdu.message_id
          : null;
      return { ok: true, providerMessageId: id };
    }
    const key = statusKey(status);
    if (key === 'ESME_RINVBNDSTS') {
      // The SMSC no longer counts us as bound: bind again, then the caller retries.
      this.drop(session, 'SMSC answered ESME_RINVBNDSTS');
      return fail(`submit_sm refused: ${statusName(status)}`, true);
    }
    return fail(`submit_sm refused: ${statusName(status)}`, key !== undefined && TEMPORARY_STATUSES.has(key));
  }
}
