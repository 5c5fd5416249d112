import { Type } from 'typebox';
import { CONFIRM_KEYS } from '../wire.js';

/**
 * Response shapes of the gateway, in TypeBox (so, JSON Schema) for the OpenAPI document
 * (document.ts). They describe what the handlers answer (wire.ts, envelope.ts) as strictly as the
 * SDKs need it (official-sdks §1): the confirm body has exactly the 16 keys, amounts there are digit
 * strings, errors are HTTP 200 with `Echec (CodeXX)`.
 */

const WikiUrl = Type.String({ pattern: '^https://client\\.ligdicash\\.com/wiki/(createInvoice|confirmInvoice|createWithdrawal|createStraightWithdrawal)$' });

/** The create envelope of E1, E2, E5, E6, E7: `custom_data` echoed as an object, with `logfile`. */
export const CreateEnvelope = Type.Object(
  {
    response_code: Type.Literal('00'),
    token: Type.String({ minLength: 1, description: 'The invoice or payout token, for the confirm endpoints.' }),
    response_text: Type.String({ description: 'Payment page URL (E1, E2 redirect modes), operator portal URL, or "Votre requête est en cours de traitement".' }),
    description: Type.String(),
    custom_data: Type.Record(Type.String(), Type.String(), { description: "The merchant's custom data as an object, plus `logfile`." }),
    wiki: WikiUrl,
  },
  { additionalProperties: false, title: 'CreateEnvelope' },
);

/** The LigdiCash error envelope (spec §4): HTTP 200, `response_code` "01", the sub-code of the family. */
export const ErrorEnvelope = Type.Object(
  {
    response_code: Type.Literal('01'),
    token: Type.Literal(''),
    response_text: Type.String({ pattern: '^Echec \\(Code\\d{2}\\)$', description: 'The SDKs extract the sub-code with /\\d{2,3}[a-z]?/.' }),
    description: Type.String({ maxLength: 300 }),
    wiki: WikiUrl,
  },
  { additionalProperties: false, title: 'ErrorEnvelope' },
);

export const CustomDataRow = Type.Object(
  {
    keyof_customdata: Type.String(),
    valueof_customdata: Type.String(),
    datecreation_customdata: Type.String({ description: 'PostgreSQL-style timestamp with microseconds.' }),
  },
  { additionalProperties: false, title: 'CustomDataRow' },
);

const DigitString = Type.String({ pattern: '^\\d+$' });

/** Wire statuses: `notcompleted` as the current docs say; old SDKs and samples spell it `nocompleted`. */
export const WireStatus = Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('notcompleted')], {
  description: 'Cauri emits `notcompleted` (current docs). The JS and Dart SDK types and old PHP samples say `nocompleted`: treat anything not `completed` or `pending` as failed.',
});

/** The confirm body of E3, E8, E9: exactly 16 keys (the Python SDK rejects any other). */
export const ConfirmBody = Type.Object(
  {
    response_code: Type.Literal('00'),
    token: Type.String({ description: 'Empty for payins, the payout token for payouts.' }),
    response_text: Type.String(),
    description: Type.String({ description: 'The failure reason of a `notcompleted` payout, else empty.' }),
    custom_data: Type.Array(CustomDataRow, { description: 'Rows, not an object; `hash` and `logfile` rows are added. Empty for payouts.' }),
    wiki: WikiUrl,
    status: WireStatus,
    operator_id: Type.String({ description: 'A string, empty while a payin is pending.' }),
    operator_name: Type.String(),
    customer: Type.Union([Type.String(), Type.Null()], { description: 'null while a payin is pending.' }),
    montant: DigitString,
    amount: DigitString,
    date: Type.String({ description: '`YYYY-MM-DD HH:MM:SS`' }),
    external_id: Type.String(),
    request_id: Type.String(),
    transaction_id: Type.String(),
  },
  { additionalProperties: false, title: 'ConfirmBody' },
);

/** Compile-time check that the schema has exactly the keys of wire.ts. */
const confirmKeys: readonly (keyof typeof ConfirmBody.properties)[] = CONFIRM_KEYS;
void confirmKeys;

/** E4 `debitotp` alone answers `{error, message}`, not the envelope (spec §2.4). */
export const DebitOtpBody = Type.Object(
  { error: Type.Boolean(), message: Type.String({ description: '"OTP sent. Please check your phone." or the reason of the refusal.' }) },
  { additionalProperties: false, title: 'DebitOtpBody' },
);

export const CreateResponse = Type.Union([CreateEnvelope, ErrorEnvelope], { title: 'CreateResponse' });
export const ConfirmResponse = Type.Union([ConfirmBody, ErrorEnvelope], { title: 'ConfirmResponse' });

/** The token of a confirm request, by any accepted name, in the query or (POST) the JSON body. */
export const PayinConfirmRequest = Type.Object({ invoiceToken: Type.Optional(Type.String()), token: Type.Optional(Type.String()) }, { title: 'PayinConfirmRequest' });
export const PayoutConfirmRequest = Type.Object(
  { withdrawalToken: Type.Optional(Type.String()), payoutToken: Type.Optional(Type.String()), token: Type.Optional(Type.String()) },
  { title: 'PayoutConfirmRequest' },
);

export const ResendBody = Type.Object(
  {
    response_code: Type.Literal('00'),
    response_text: Type.String(),
    description: Type.String(),
    event_id: Type.String({ pattern: '^evt_[a-z2-7]+$' }),
    previous_status: Type.String(),
  },
  { additionalProperties: false, title: 'ResendBody' },
);
export const ResendResponse = Type.Union([ResendBody, ErrorEnvelope], { title: 'ResendResponse' });

export const HealthBody = Type.Object({ status: Type.Literal('ok'), mode: Type.String() }, { additionalProperties: false, title: 'HealthBody' });

export const NotifyBody = Type.Object(
  { received: Type.Literal(true), reference: Type.String(), result: Type.String() },
  { title: 'NotifyBody' },
);

/** A plain `{error}` of the non-LigdiCash endpoints (operator notifications, sandbox actions). */
export const PlainError = Type.Object({ error: Type.String() }, { additionalProperties: false, title: 'PlainError' });

export const SmsInbox = Type.Object(
  {
    messages: Type.Array(
      Type.Object({ id: Type.String(), phone: Type.String(), body: Type.String(), createdAt: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, title: 'SmsInbox' },
);

export const PendingApproval = Type.Object(
  {
    id: Type.String(),
    reference: Type.String(),
    operatorId: Type.String(),
    operatorName: Type.String(),
    phone: Type.String(),
    amountXof: Type.Number(),
    kind: Type.String(),
    merchantName: Type.String(),
    description: Type.String(),
    createdAt: Type.String(),
  },
  { title: 'PendingApproval' },
);

export const DialRequest = Type.Object({ phone: Type.String(), code: Type.Optional(Type.String()) }, { title: 'DialRequest' });

export const DialBody = Type.Union(
  [
    Type.Object({
      action: Type.Literal('otp'),
      phone: Type.String(),
      operator_id: Type.String(),
      operator_name: Type.String(),
      otp: Type.String(),
      expires_at: Type.String(),
    }),
    Type.Object({ action: Type.Literal('approved'), phone: Type.String(), push: PendingApproval, settled: Type.String() }),
  ],
  { title: 'DialBody' },
);

export const PushList = Type.Object({ pushes: Type.Array(PendingApproval) }, { title: 'PushList' });
export const PushDecision = Type.Object({ push: PendingApproval, decision: Type.String(), settled: Type.String() }, { title: 'PushDecision' });

/** The urlencoded fields of the payment page's and the sandbox pages' forms. */
export const FormFields = Type.Record(Type.String(), Type.String(), { title: 'FormFields', description: 'application/x-www-form-urlencoded fields, with `csrf`.' });
