import { type Static, type TObject, type TSchema, Type } from 'typebox';
import type {
  PayinCallback as PayinCallbackPayload,
  PayoutCallback as PayoutCallbackPayload,
} from '../../core/callbacks.js';
import { CONFIRM_KEYS } from '../wire.js';

/**
 * Response shapes of the gateway, in TypeBox (so, JSON Schema) for the OpenAPI document
 * (document.ts). They describe what the handlers answer (wire.ts, envelope.ts) as strictly as the
 * SDKs need it (official-sdks §1): the confirm body has exactly the 16 keys, amounts there are digit
 * strings, errors are HTTP 200 with `Echec (CodeXX)`.
 */

const WikiUrl = Type.String({
  pattern:
    '^https://client\\.ligdicash\\.com/wiki/(createInvoice|confirmInvoice|createWithdrawal|createStraightWithdrawal)$',
});

/** The create envelope of E1, E2, E5, E6, E7: `custom_data` echoed as an object, with `logfile`. */
export const CreateEnvelope = Type.Object(
  {
    response_code: Type.Literal('00'),
    token: Type.String({
      minLength: 1,
      description: 'The invoice or payout token, for the confirm endpoints.',
    }),
    response_text: Type.String({
      description:
        'Payment page URL (E1, E2 redirect modes), operator portal URL, or "Votre requête est en cours de traitement".',
    }),
    description: Type.String(),
    custom_data: Type.Record(Type.String(), Type.String(), {
      description: "The merchant's custom data as an object, plus `logfile`.",
    }),
    wiki: WikiUrl,
  },
  { additionalProperties: false, title: 'CreateEnvelope' },
);

/** The LigdiCash error envelope (spec §4): HTTP 200, `response_code` "01", the sub-code of the family. */
export const ErrorEnvelope = Type.Object(
  {
    response_code: Type.Literal('01'),
    token: Type.Literal(''),
    response_text: Type.String({
      pattern: '^Echec \\(Code\\d{2}\\)$',
      description: 'The SDKs extract the sub-code with /\\d{2,3}[a-z]?/.',
    }),
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
export const WireStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('completed'), Type.Literal('notcompleted')],
  {
    description:
      'Cauri emits `notcompleted` (current docs). The JS and Dart SDK types and old PHP samples say `nocompleted`: treat anything not `completed` or `pending` as failed.',
  },
);

/** The confirm body of E3, E8, E9: exactly 16 keys (the Python SDK rejects any other). */
export const ConfirmBody = Type.Object(
  {
    response_code: Type.Literal('00'),
    token: Type.String({ description: 'Empty for payins, the payout token for payouts.' }),
    response_text: Type.String(),
    description: Type.String({ description: 'The failure reason of a `notcompleted` payout, else empty.' }),
    custom_data: Type.Array(CustomDataRow, {
      description: 'Rows, not an object; `hash` and `logfile` rows are added. Empty for payouts.',
    }),
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
  {
    error: Type.Boolean(),
    message: Type.String({
      description: '"OTP sent. Please check your phone." or the reason of the refusal.',
    }),
  },
  { additionalProperties: false, title: 'DebitOtpBody' },
);

export const CreateResponse = Type.Union([CreateEnvelope, ErrorEnvelope], { title: 'CreateResponse' });
export const ConfirmResponse = Type.Union([ConfirmBody, ErrorEnvelope], { title: 'ConfirmResponse' });

/** The token of a confirm request, by any accepted name, in the query or (POST) the JSON body. */
export const PayinConfirmRequest = Type.Object(
  { invoiceToken: Type.Optional(Type.String()), token: Type.Optional(Type.String()) },
  { title: 'PayinConfirmRequest' },
);
export const PayoutConfirmRequest = Type.Object(
  {
    withdrawalToken: Type.Optional(Type.String()),
    payoutToken: Type.Optional(Type.String()),
    token: Type.Optional(Type.String()),
  },
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

// ---------------------------------------------------------------- callbacks

/**
 * Callbacks are sent only once a transaction reaches a final status (src/commands/outbox.ts), and
 * the payload is built from the transaction's state at send time, so `pending` never occurs.
 */
const CallbackStatus = Type.Union([Type.Literal('completed'), Type.Literal('notcompleted')], {
  description:
    'The final status, the one the event type names. Cauri emits `notcompleted` (current docs); the JS and Dart SDK types and old PHP samples say `nocompleted`: treat anything but `completed` as failed, and confirm before acting (spec §3.4).',
});

const CallbackCustomData = Type.Array(CustomDataRow, {
  description:
    "Rows, not an object: the merchant's custom data in the order given, then a `hash` row and a `logfile` row.",
});

/** The payin callback of src/core/callbacks.ts (spec §3.2): the documented keys in order, then `transaction_id` and `hash`. */
export const PayinCallback = Type.Object(
  {
    date: Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\+00$',
      description: 'The final status change, UTC: `YYYY-MM-DD HH:MM:SS+00`.',
    }),
    wiki: Type.Literal('https://client.ligdicash.com/wiki/confirmInvoice'),
    token: Type.Literal('', {
      description: 'Always empty for payins (spec §3.2): use the creation token to confirm.',
    }),
    amount: Type.Integer({
      minimum: 0,
      description: 'XOF, an integer here (a digit string in confirm answers).',
    }),
    status: CallbackStatus,
    montant: Type.Integer({ minimum: 0, description: 'Same as `amount`.' }),
    customer: Type.String({ description: "The payer's number; empty if none was recorded." }),
    oreference: Type.Literal('', { description: 'Documented, always empty.' }),
    request_id: Type.String({
      pattern: '^P\\d{13}$',
      description: "LigdiCash's short id: `P` and 13 digits.",
    }),
    custom_data: CallbackCustomData,
    description: Type.Literal(''),
    external_id: Type.String({
      description: 'The values of the custom-data keys that contain "id", concatenated in order.',
    }),
    operator_id: Type.String({
      description:
        'A string here (a number in payout callbacks): "0" for the LigdiCash wallet, empty if no operator was chosen.',
    }),
    operator_name: Type.String({ description: 'Empty if no operator was chosen.' }),
    response_code: Type.Literal('00', {
      description: 'Always "00", a failed payin included: read `status`.',
    }),
    response_text: Type.Literal(''),
    customer_details: Type.Object(
      {
        email: Type.Literal(''),
        phone: Type.String(),
        details: Type.Literal(''),
        lastname: Type.Literal(''),
        firstname: Type.Literal(''),
      },
      {
        additionalProperties: false,
        description:
          "Documented with the payer's names; Cauri keeps none, so only `phone` (same as `customer`) is filled.",
      },
    ),
    transaction_id: Type.String({
      description:
        'Not in the LigdiCash docs (merchants read it): `custom_data.transaction_id`, else `external_id`; the value confirm returns.',
    }),
    hash: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'Not in the LigdiCash docs: the value of the `hash` row.',
    }),
  },
  { additionalProperties: false, title: 'PayinCallback' },
);

/** The payout callback of src/core/callbacks.ts (spec §3.3): exactly the documented keys, in order. */
export const PayoutCallback = Type.Object(
  {
    response_code: Type.Literal('00', {
      description: 'Always "00", a failed payout included: read `status`.',
    }),
    token: Type.String({
      pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
      description:
        'A payout token (JWT) different from the creation token, the same on every attempt; confirm accepts either.',
    }),
    response_text: Type.Literal(''),
    status: CallbackStatus,
    custom_data: CallbackCustomData,
    operator_id: Type.Integer({
      description: 'A number here (a string in payin callbacks and in confirm answers), e.g. 11.',
    }),
    operator_name: Type.String({
      description:
        'Prefixed `LigdiCash ` for customer payouts to the wallet, e.g. "LigdiCash ORANGE BURKINA".',
    }),
    url: Type.String({ description: 'The callback URL this request was sent to.' }),
    url_method: Type.Literal(''),
    transaction_id: Type.String({ description: 'Equal to `external_id`.' }),
    external_id: Type.String({ description: "The merchant's identifier given at creation." }),
    montant: Type.String({
      pattern: '^\\d+$',
      description: 'XOF, a digit string here (an integer in payin callbacks).',
    }),
    amount: Type.String({ pattern: '^\\d+$', description: 'Same as `montant`.' }),
  },
  { additionalProperties: false, title: 'PayoutCallback' },
);

/**
 * Compile-time check that each schema has exactly the keys of the payload src/core/callbacks.ts
 * builds, and that whatever it accepts has the payload's types.
 */
type Describes<Schema extends TSchema, Payload> = [keyof Static<Schema>] extends [keyof Payload]
  ? [keyof Payload] extends [keyof Static<Schema>]
    ? Static<Schema> extends Payload
      ? true
      : false
    : false
  : false;
const payinDescribed: Describes<typeof PayinCallback, PayinCallbackPayload> = true;
const payoutDescribed: Describes<typeof PayoutCallback, PayoutCallbackPayload> = true;
void payinDescribed;
void payoutDescribed;

/**
 * The form-urlencoded twin of a callback schema, as `formEncode` (src/core/callbacks.ts) writes
 * it: the same keys, every value a string; integers as their digits, nested values as JSON text.
 */
export function formVariant(schema: TObject, title: string): TObject {
  const fields = Object.fromEntries(
    Object.entries(schema.properties).map(([key, property]) => [key, formField(property)]),
  );
  const of = (schema as { title?: string }).title ?? 'the JSON payload';
  const nested = Object.entries(schema.properties)
    .filter(([, property]) => Type.IsObject(property) || Type.IsArray(property))
    .map(([key]) => `\`${key}\``)
    .join(' and ');
  return Type.Object(fields, {
    additionalProperties: false,
    title,
    description: `The fields of ${of}, every value a string: integers as digits, ${nested} as JSON text.`,
  });
}

function formField(property: TSchema): TSchema {
  const description = (property as { description?: string }).description;
  if (Type.IsInteger(property))
    return Type.String({ pattern: '^\\d+$', description: 'The integer of the JSON payload, as digits.' });
  if (Type.IsObject(property) || Type.IsArray(property)) {
    return Type.String({
      contentMediaType: 'application/json',
      contentSchema: property,
      description: `The JSON value, as JSON text. ${description ?? ''}`.trim(),
    });
  }
  return property;
}

export const PayinCallbackForm = formVariant(PayinCallback, 'PayinCallbackForm');
export const PayoutCallbackForm = formVariant(PayoutCallback, 'PayoutCallbackForm');

export const HealthBody = Type.Object(
  { status: Type.Literal('ok'), mode: Type.String() },
  { additionalProperties: false, title: 'HealthBody' },
);

export const NotifyBody = Type.Object(
  { received: Type.Literal(true), reference: Type.String(), result: Type.String() },
  { title: 'NotifyBody' },
);

/** A plain `{error}` of the non-LigdiCash endpoints (operator notifications, sandbox actions). */
export const PlainError = Type.Object(
  { error: Type.String() },
  { additionalProperties: false, title: 'PlainError' },
);

export const SmsInbox = Type.Object(
  {
    messages: Type.Array(
      Type.Object(
        { id: Type.String(), phone: Type.String(), body: Type.String(), createdAt: Type.String() },
        { additionalProperties: false },
      ),
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

export const DialRequest = Type.Object(
  { phone: Type.String(), code: Type.Optional(Type.String()) },
  { title: 'DialRequest' },
);

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
    Type.Object({
      action: Type.Literal('approved'),
      phone: Type.String(),
      push: PendingApproval,
      settled: Type.String(),
    }),
  ],
  { title: 'DialBody' },
);

export const PushList = Type.Object({ pushes: Type.Array(PendingApproval) }, { title: 'PushList' });
export const PushDecision = Type.Object(
  { push: PendingApproval, decision: Type.String(), settled: Type.String() },
  { title: 'PushDecision' },
);

/** The urlencoded fields of the payment page's and the sandbox pages' forms. */
export const FormFields = Type.Record(Type.String(), Type.String(), {
  title: 'FormFields',
  description: 'application/x-www-form-urlencoded fields, with `csrf`.',
});
