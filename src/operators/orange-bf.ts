import {
  OPERATOR_FAILURE_CODES,
  type OperatorFailureCode,
  operatorFailure,
} from '../core/operator-failures.js';
import { operatorById } from '../core/operators.js';
import type {
  DebitOutcome,
  DebitRefusal,
  DebitRequest,
  OperatorAction,
  OperatorConnector,
  OperatorOutcome,
} from './connector.js';
import { operatorHttp } from './http.js';
import type { ConnectorDeps, ConnectorFactory } from './registry.js';
import { ConnectorConfigError, type Settings } from './secrets.js';

/**
 * Orange Money Burkina's USSD-OTP payment API (ADR 0011). The customer dials *144*4*6# and gets a
 * one-time code; the payin carries it. One synchronous HTTP POST of an XML `COMMAND` of TYPE
 * OMPREQ debits the customer at once and answers `<status>`, `<message>`, `<transID>`.
 *
 * No official specification is public. The wire format follows the two community clients that
 * call it in production: kulturman/Prestashop-orange-money-payment-module (util.php,
 * controllers/front/validation.php) and parice02/bf-mobilemoney (mobilemoney/orangemoney.py).
 * Both send the customer's national 8-digit number, the merchant's number, the API credentials,
 * PROVIDER/PROVIDER2 = 101 and PAYID/PAYID2 = 12, the code and an `ext_txn_id`; bf-mobilemoney
 * also sends `reference_number` (a label). Both read the answer as a bare sequence of elements
 * (they wrap it in a root before parsing) and treat status 200 as the only success.
 *
 * Neither source shows a status query nor a cash-in (payout) command, so this connector has none:
 * `queryStatus` knows only the answers it saw itself, and Orange Burkina payouts are unavailable.
 */
export const ORANGE_BF_OPERATOR = '11';
export const ORANGE_BF_TYPE = 'orange-bf-otp';

/** What a status of the OMPREQ answer means. */
export type OrangeBfMeaning = DebitRefusal | OperatorFailureCode;

/**
 * The status codes the community code names (validation.php's translateErrors). Orange gives each
 * merchant its list of codes with the contract; `settings.statusMap` adds or overrides entries.
 */
export const ORANGE_BF_STATUSES: Readonly<Record<string, OrangeBfMeaning>> = {
  // "Le montant ne correspond pas à la somme à payer": the code was generated for another amount.
  '08': 'invalid_request',
  // "Le numéro est invalide, vérifiez qu'il est lié à un compte Orange Money".
  '990422': 'payer_not_found',
  '00066': 'payer_not_found',
  // "Le code OTP a déjà été utilisé": spent; the customer dials again for a new one.
  '990418': 'otp_expired',
};

export const ORANGE_BF_SUCCESS = '200';
export const XML_ELEMENTS_MAX = 64;
const FIELD_CHARS_MAX = 512;
/** Answers remembered for `queryStatus` (see there); the oldest are forgotten first. */
export const ORANGE_BF_REMEMBERED_MAX = 10_000;

// ---------------------------------------------------------------------------------------------
// XML: written and read by hand. The request has a fixed shape and the answer is a flat list of
// elements, so no XML library is needed, and the reader refuses what it does not need: DOCTYPE
// (no entity definitions, so no entity expansion), CDATA, processing instructions after the
// declaration, attributes-with-children trees, and unknown entity references.
// ---------------------------------------------------------------------------------------------

/** Escapes text for an XML element (XML 1.0 §2.4), and drops characters XML cannot carry. */
export function xmlEscape(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const ENTITY = /&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]{1,6}|#[0-9]{1,7});/g;

/** Resolves the five predefined entities and character references; undefined for any other `&`. */
function xmlUnescape(text: string): string | undefined {
  if (text.replace(ENTITY, '').includes('&')) return undefined;
  let bad = false;
  const out = text.replace(ENTITY, (_m, name: string) => {
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : Number(name.slice(1));
    if (code < 1 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) bad = true;
    return bad ? '' : String.fromCodePoint(code);
  });
  return bad ? undefined : out;
}

/**
 * The leaf elements of an answer: `<a>x</a><b>y</b>`, optionally after an XML declaration and
 * optionally wrapped in one root element. Undefined for anything else (then the outcome is
 * unknown). Repeated names keep the first value.
 */
export function parseFlatXml(text: string): Map<string, string> | undefined {
  let rest = text.replace(/^\uFEFF/, '').trim();
  rest = rest.replace(/^<\?xml\s[^?<>]*\?>/, '').trim();
  if (rest === '' || /<!|<\?/.test(rest)) return undefined;
  const flat = leaves(rest);
  if (flat !== undefined) return flat;
  const root = /^<([A-Za-z_][\w.-]{0,63})\s*>([\s\S]*)<\/\1\s*>$/.exec(rest);
  return root?.[2] === undefined ? undefined : leaves(root[2]);
}

function leaves(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const element = /\s*<([A-Za-z_][\w.-]{0,63})\s*(?:\/>|>([^<]*)<\/\1\s*>)\s*/y;
  let count = 0;
  while (element.lastIndex < text.length) {
    const match = element.exec(text);
    if (match === null || ++count > XML_ELEMENTS_MAX) return undefined;
    const value = xmlUnescape(match[2] ?? '');
    if (value === undefined) return undefined;
    const name = match[1] as string;
    if (!out.has(name)) out.set(name, value.trim());
  }
  return out.size === 0 ? undefined : out;
}

/** The OMPREQ command for one payin (element order as the community clients send it). */
export function ompreqXml(fields: {
  customerMsisdn: string;
  merchantMsisdn: string;
  apiUsername: string;
  apiPassword: string;
  amountXof: number;
  otp: string;
  label: string;
  reference: string;
}): string {
  const element = (name: string, value: string): string => `<${name}>${xmlEscape(value)}</${name}>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?><COMMAND>',
    element('TYPE', 'OMPREQ'),
    element('customer_msisdn', fields.customerMsisdn),
    element('merchant_msisdn', fields.merchantMsisdn),
    element('api_username', fields.apiUsername),
    element('api_password', fields.apiPassword),
    element('amount', String(fields.amountXof)),
    element('PROVIDER', '101'),
    element('PROVIDER2', '101'),
    element('PAYID', '12'),
    element('PAYID2', '12'),
    element('otp', fields.otp),
    element('reference_number', fields.label),
    element('ext_txn_id', fields.reference),
    '</COMMAND>',
  ].join('');
}

// ---------------------------------------------------------------------------------------------

/** `"990418=otp_expired,12345=insufficient_funds"`: entries that extend ORANGE_BF_STATUSES. */
export function parseStatusMap(text: string, field: string): Record<string, OrangeBfMeaning> {
  const out: Record<string, OrangeBfMeaning> = {};
  const meanings: readonly string[] = ['otp_invalid', 'otp_expired', ...OPERATOR_FAILURE_CODES];
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const [status, meaning, extra] = entry.split('=').map((s) => s.trim());
    if (
      status === undefined ||
      !/^[\w.-]{1,20}$/.test(status) ||
      meaning === undefined ||
      !meanings.includes(meaning) ||
      extra !== undefined ||
      status === ORANGE_BF_SUCCESS
    ) {
      throw new ConnectorConfigError(
        `${field}: "${entry.slice(0, 40)}" must be STATUS=MEANING, MEANING one of ${meanings.join(', ')}`,
      );
    }
    out[status] = meaning as OrangeBfMeaning;
  }
  return out;
}

interface OrangeBfOptions {
  url: string;
  merchantMsisdn: string;
  apiUsername: string;
  apiPassword: string;
  statuses: Readonly<Record<string, OrangeBfMeaning>>;
  timeoutMs: number;
}

/** The national number Orange Burkina expects: the 8 digits after 226 (om.js checks /^[0-9]{8}$/). */
export function burkinaNational(phone: string): string | undefined {
  const operator = operatorById(ORANGE_BF_OPERATOR);
  const code = operator?.countryCode ?? '226';
  if (phone.startsWith(code) && phone.length === code.length + 8 && /^\d+$/.test(phone))
    return phone.slice(code.length);
  return /^\d{8}$/.test(phone) ? phone : undefined;
}

export class OrangeBfConnector implements OperatorConnector {
  /** Final answers Orange gave, by reference: the only source `queryStatus` has (no status API). */
  private readonly answers = new Map<string, OperatorOutcome>();

  constructor(private readonly options: OrangeBfOptions) {}

  serves(operatorId: string, action: OperatorAction): boolean {
    // No public source documents an Orange Burkina cash-in command: payins only (ADR 0011).
    return operatorId === ORANGE_BF_OPERATOR && action === 'debit';
  }

  requestCredit(): Promise<OperatorOutcome> {
    return Promise.resolve(
      operatorFailure(
        'operator_unavailable',
        'Orange Burkina payouts are not supported by the OTP payment API',
      ),
    );
  }

  /**
   * Orange Burkina's OTP API has no status query in any source. A payin whose answer was lost
   * (timeout, reset) stays pending here, so that the resolver parks it for review after its
   * queries, unless this process saw Orange's answer arrive after all.
   */
  queryStatus(reference: string): Promise<OperatorOutcome> {
    return Promise.resolve(this.answers.get(reference) ?? { state: 'pending' });
  }

  async requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    const customer = burkinaNational(request.phone);
    if (customer === undefined)
      return operatorFailure('invalid_request', 'the customer number is not an 8-digit Burkina Faso number');
    if (!/^\d{4,8}$/.test(request.otp))
      return { state: 'refused', code: 'otp_invalid', reason: 'the payment code must be digits' };
    const body = ompreqXml({
      customerMsisdn: customer,
      merchantMsisdn: this.options.merchantMsisdn,
      apiUsername: this.options.apiUsername,
      apiPassword: this.options.apiPassword,
      amountXof: request.amountXof,
      otp: request.otp,
      label: request.description.slice(0, 100),
      reference: request.reference,
    });
    const response = await operatorHttp({
      method: 'POST',
      url: this.options.url,
      headers: { 'content-type': 'application/xml', accept: 'application/xml' },
      body,
      timeoutMs: this.options.timeoutMs,
    });
    // A gateway error in front of Orange says nothing about the debit.
    if (response.status < 200 || response.status > 299)
      throw new Error(`Orange Burkina answered HTTP ${response.status}`);
    const fields = parseFlatXml(response.text);
    const status = fields?.get('status');
    if (fields === undefined || status === undefined || status === '' || status.length > 20)
      throw new Error('Orange Burkina answered something other than its XML status');
    const outcome = this.outcomeOf(
      status,
      (fields.get('message') ?? '').slice(0, FIELD_CHARS_MAX),
      (fields.get('transID') ?? '').slice(0, FIELD_CHARS_MAX),
    );
    if (outcome.state === 'completed' || outcome.state === 'failed')
      this.remember(request.reference, outcome);
    return outcome;
  }

  private outcomeOf(status: string, message: string, transId: string): DebitOutcome {
    if (status === ORANGE_BF_SUCCESS) {
      if (transId === '') throw new Error('Orange Burkina answered success without a transID');
      return { state: 'completed', operatorReference: transId };
    }
    const detail = `status ${status}${message === '' ? '' : `: ${message}`}`;
    const meaning = this.options.statuses[status];
    if (meaning === 'otp_invalid' || meaning === 'otp_expired')
      return { state: 'refused', code: meaning, reason: detail };
    // The call is synchronous and only 200 debits (both community clients treat every other
    // status as "not paid"): an unlisted status is a definitive failure of the operator's own.
    return operatorFailure(meaning ?? 'operator_error', detail, transId === '' ? undefined : transId);
  }

  private remember(reference: string, outcome: OperatorOutcome): void {
    this.answers.delete(reference);
    this.answers.set(reference, outcome);
    if (this.answers.size > ORANGE_BF_REMEMBERED_MAX) {
      const oldest = this.answers.keys().next();
      if (oldest.done !== true) this.answers.delete(oldest.value);
    }
  }
}

export const orangeBurkinaFactory: ConnectorFactory = {
  type: ORANGE_BF_TYPE,
  operators: [ORANGE_BF_OPERATOR],
  create(settings: Settings, _operators: readonly string[], deps: ConnectorDeps): OperatorConnector {
    const merchantMsisdn = burkinaNational(settings.string('merchantMsisdn'));
    if (merchantMsisdn === undefined)
      throw new ConnectorConfigError(
        'orange-bf-otp settings.merchantMsisdn must be the merchant number: 8 digits, or 226 and 8 digits',
      );
    return new OrangeBfConnector({
      url: settings.url('url'),
      merchantMsisdn,
      apiUsername: settings.string('apiUsername'),
      apiPassword: settings.secret('apiPassword'),
      statuses: {
        ...ORANGE_BF_STATUSES,
        ...parseStatusMap(settings.string('statusMap', ' '), 'orange-bf-otp settings.statusMap'),
      },
      timeoutMs: deps.timeoutMs,
    });
  },
};
