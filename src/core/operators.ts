import { type Xof, xof } from './money.js';

/** How the customer approves a payin on this operator (spec §5, "Validation modes"). */
export type ValidationMode =
  'sms_otp' | 'ussd_otp' | 'ussd_push' | 'guided_ussd' | 'ligdicash_redirect' | 'operator_redirect';

export const VALIDATION_MODES: readonly ValidationMode[] = [
  'sms_otp',
  'ussd_otp',
  'ussd_push',
  'guided_ussd',
  'ligdicash_redirect',
  'operator_redirect',
];

export interface Operator {
  /** LigdiCash's `operator_id`, a string of digits on the wire (spec §5). */
  readonly id: string;
  /** LigdiCash's `operator_name`, upper case as on the wire. */
  readonly name: string;
  readonly country: string;
  /** International dialling code without `+`. */
  readonly countryCode: string;
  /** Digits after the country code. */
  readonly nationalLength: number;
  readonly validationMode: ValidationMode;
  /** A fallback mode the operator may switch to (Moov: push, then guided USSD). */
  readonly fallbackMode?: ValidationMode;
  readonly payinMinXof: Xof;
  readonly payinMaxXof: Xof;
  /** What the customer dials for a USSD OTP, or the number shown in a guided USSD SMS. */
  readonly ussdCode?: string;
}

const PAYIN_MAX = xof(2_000_000);

/**
 * The LigdiCash Wallet. Its `operator_id` is undocumented ("-", spec §5, §9 Q18); Cauri uses "0"
 * so that the Dart SDK, which needs a non-null string of digits, parses it (ADR 0004).
 */
export const WALLET_OPERATOR: Operator = {
  id: '0',
  name: 'LIGDICASH',
  country: '—',
  countryCode: '',
  nationalLength: 0,
  validationMode: 'sms_otp',
  payinMinXof: xof(9),
  payinMaxXof: PAYIN_MAX,
};

/** The catalogue of spec §5, in the order of the documentation's master table. */
export const OPERATORS: readonly Operator[] = [
  {
    id: '2',
    name: 'MOOV BENIN',
    country: 'Benin',
    countryCode: '229',
    nationalLength: 10,
    validationMode: 'ussd_push',
    payinMinXof: xof(100),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '1',
    name: 'MTN BENIN',
    country: 'Benin',
    countryCode: '229',
    nationalLength: 10,
    validationMode: 'ussd_push',
    payinMinXof: xof(100),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '11',
    name: 'ORANGE BURKINA',
    country: 'Burkina Faso',
    countryCode: '226',
    nationalLength: 8,
    validationMode: 'ussd_otp',
    ussdCode: '*144*4*6#',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '12',
    name: 'MOOV AFRICA BURKINA',
    country: 'Burkina Faso',
    countryCode: '226',
    nationalLength: 8,
    validationMode: 'ussd_push',
    fallbackMode: 'guided_ussd',
    ussdCode: '*555*6#',
    payinMinXof: xof(100),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '16',
    name: 'ORANGE CI',
    country: "Côte d'Ivoire",
    countryCode: '225',
    nationalLength: 10,
    validationMode: 'operator_redirect',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '14',
    name: 'MOOV CI',
    country: "Côte d'Ivoire",
    countryCode: '225',
    nationalLength: 10,
    validationMode: 'ussd_push',
    fallbackMode: 'guided_ussd',
    ussdCode: '*155*15#',
    payinMinXof: xof(100),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '15',
    name: 'MTN CI',
    country: "Côte d'Ivoire",
    countryCode: '225',
    nationalLength: 10,
    validationMode: 'guided_ussd',
    ussdCode: '*133#',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '33',
    name: 'ORANGE GUINEE',
    country: 'Guinea',
    countryCode: '224',
    nationalLength: 9,
    validationMode: 'ligdicash_redirect',
    payinMinXof: xof(200),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '51',
    name: 'MTN GUINEE',
    country: 'Guinea',
    countryCode: '224',
    nationalLength: 9,
    validationMode: 'ligdicash_redirect',
    payinMinXof: xof(200),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '18',
    name: 'ORANGE MALI',
    country: 'Mali',
    countryCode: '223',
    nationalLength: 8,
    validationMode: 'operator_redirect',
    payinMinXof: xof(100),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '27',
    name: 'AIRTEL NIGER',
    country: 'Niger',
    countryCode: '227',
    nationalLength: 8,
    validationMode: 'ussd_push',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '28',
    name: 'ORANGE/ZAMANI NIGER',
    country: 'Niger',
    countryCode: '227',
    nationalLength: 8,
    validationMode: 'guided_ussd',
    ussdCode: '#146#',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '29',
    name: 'MOOV AFRICA NIGER',
    country: 'Niger',
    countryCode: '227',
    nationalLength: 8,
    validationMode: 'ussd_push',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '34',
    name: 'ORANGE RDC CONGO',
    country: 'DRC',
    countryCode: '243',
    nationalLength: 9,
    validationMode: 'ligdicash_redirect',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
  {
    id: '39',
    name: 'WAVE SENEGAL',
    country: 'Senegal',
    countryCode: '221',
    nationalLength: 9,
    validationMode: 'ligdicash_redirect',
    payinMinXof: xof(10),
    payinMaxXof: PAYIN_MAX,
  },
];

/** Every operator a project can enable: the LigdiCash wallet, then the mobile-money catalogue. */
export const ALL_OPERATORS: readonly Operator[] = [WALLET_OPERATOR, ...OPERATORS];

const BY_ID = new Map<string, Operator>(ALL_OPERATORS.map((op) => [op.id, op]));

export function operatorById(id: string): Operator | undefined {
  return BY_ID.get(id);
}

/**
 * Number prefixes (country code plus the first national digits) that identify an operator.
 * LigdiCash does not publish this (spec §5, §9 Q11); the defaults follow the documentation's
 * examples (`22670…` is Orange Burkina) and the national numbering plans, and an operator replaces
 * them with `CAURI_OPERATOR_PREFIXES_FILE` (a JSON object of the same shape). The longest matching
 * prefix wins.
 */
export type PrefixTable = Readonly<Record<string, string>>;

export const DEFAULT_PREFIXES: PrefixTable = {
  // Benin, 10-digit plan since 2024: 01 + the old 8-digit number.
  ...prefixes(
    '22901',
    [
      '42',
      '46',
      '50',
      '51',
      '52',
      '53',
      '54',
      '56',
      '57',
      '59',
      '61',
      '62',
      '66',
      '67',
      '69',
      '90',
      '91',
      '96',
      '97',
    ],
    '1',
  ),
  ...prefixes('22901', ['55', '58', '60', '63', '64', '65', '68', '94', '95', '98', '99'], '2'),
  // Burkina Faso.
  ...prefixes(
    '226',
    ['04', '05', '06', '07', '54', '55', '56', '57', '64', '65', '66', '67', '70', '71', '72', '77'],
    '11',
  ),
  ...prefixes(
    '226',
    ['01', '02', '03', '50', '51', '52', '53', '60', '61', '62', '63', '73', '74', '75'],
    '12',
  ),
  // Côte d'Ivoire, 10-digit plan: the first two digits name the operator.
  '22507': '16',
  '22501': '14',
  '22505': '15',
  // Guinea.
  '22462': '33',
  '22466': '51',
  // Mali.
  ...prefixes('223', ['7', '8', '9'], '18'),
  // Niger.
  ...prefixes('227', ['96', '97', '98'], '27'),
  ...prefixes('227', ['90', '91', '92', '93', '94', '95'], '28'),
  ...prefixes('227', ['88', '89', '99'], '29'),
  // DRC.
  ...prefixes('243', ['80', '84', '85', '89'], '34'),
  // Senegal: Wave serves every mobile number.
  ...prefixes('221', ['70', '75', '76', '77', '78'], '39'),
};

function prefixes(countryCode: string, heads: string[], operatorId: string): Record<string, string> {
  return Object.fromEntries(heads.map((head) => [countryCode + head, operatorId]));
}

/** The operator of a normalised number, by the longest matching prefix, or undefined. */
export function operatorForPhone(phone: string, table: PrefixTable): Operator | undefined {
  for (let length = Math.min(phone.length, 8); length >= 3; length--) {
    const operatorId = table[phone.slice(0, length)];
    if (operatorId === undefined) continue;
    const operator = BY_ID.get(operatorId);
    if (operator && phone.length === operator.countryCode.length + operator.nationalLength) return operator;
    return undefined;
  }
  return undefined;
}

/** Checks an operator-supplied prefix table: digits only, known operator ids. */
export function validatePrefixTable(table: unknown): PrefixTable | string {
  if (typeof table !== 'object' || table === null || Array.isArray(table)) return 'must be a JSON object';
  const out: Record<string, string> = {};
  for (const [prefix, id] of Object.entries(table)) {
    if (!/^\d{3,8}$/.test(prefix)) return `prefix "${prefix}" must be 3 to 8 digits`;
    if (typeof id !== 'string' || !BY_ID.has(id) || id === WALLET_OPERATOR.id)
      return `prefix "${prefix}": unknown operator id`;
    out[prefix] = id;
  }
  return out;
}
