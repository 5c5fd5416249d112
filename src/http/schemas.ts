import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Request shapes of the LigdiCash endpoints, in TypeBox: one source for validation, types and
 * (later) the OpenAPI document. They are deliberately lenient where real clients differ
 * (official-sdks §1): amounts may be numbers or digit strings, `custom_data` an object or PHP's
 * `[]`, URLs may be null or missing, unknown keys are ignored. Every string has a length limit.
 */
const Text = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null(), Type.Number()]);
const Amount = Type.Union([Type.Number(), Type.String({ maxLength: 32 })]);
const Url = Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]);
const CustomDataRaw = Type.Union([
  Type.Object({}, { additionalProperties: true }),
  Type.Array(Type.Unknown(), { maxItems: 0 }),
  Type.Null(),
  Type.String({ maxLength: 0 }),
]);

export const Item = Type.Object({
  name: Type.Optional(Text(255)),
  description: Type.Optional(Text(1000)),
  quantity: Type.Optional(Amount),
  unit_price: Type.Optional(Amount),
  total_price: Type.Optional(Amount),
});

export const Invoice = Type.Object({
  items: Type.Optional(Type.Union([Type.Array(Item, { maxItems: 100 }), Type.Null()])),
  total_amount: Amount,
  devise: Type.Optional(Text(8)),
  description: Type.Optional(Text(1000)),
  customer: Type.Optional(Text(32)),
  customer_firstname: Type.Optional(Text(100)),
  customer_lastname: Type.Optional(Text(100)),
  customer_email: Type.Optional(Text(255)),
  external_id: Type.Optional(Text(255)),
  otp: Type.Optional(Text(32)),
});

export const PayinCommande = Type.Object({
  commande: Type.Object({
    invoice: Invoice,
    store: Type.Optional(
      Type.Union([
        Type.Object({ name: Type.Optional(Text(255)), website_url: Type.Optional(Url) }),
        Type.Null(),
      ]),
    ),
    actions: Type.Optional(
      Type.Union([
        Type.Object({
          cancel_url: Type.Optional(Url),
          return_url: Type.Optional(Url),
          callback_url: Type.Optional(Url),
        }),
        Type.Null(),
      ]),
    ),
    custom_data: Type.Optional(CustomDataRaw),
  }),
});
export type PayinCommande = Static<typeof PayinCommande>;

const Flag = Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: 8 }), Type.Null()]);

export const PayoutCommande = Type.Object({
  commande: Type.Object({
    amount: Amount,
    description: Type.Optional(Text(1000)),
    customer: Text(32),
    callback_url: Type.Optional(Url),
    top_up_wallet: Type.Optional(Flag),
    to_ligdicash: Type.Optional(Flag),
    custom_data: Type.Optional(CustomDataRaw),
  }),
});
export type PayoutCommande = Static<typeof PayoutCommande>;

export const payinCommande = Compile(PayinCommande);
export const payoutCommande = Compile(PayoutCommande);

/** The first validation error of a value, in words, for `description`. */
export function firstError(
  validator: { Errors(value: unknown): Iterable<{ instancePath: string; message: string }> },
  value: unknown,
): string {
  for (const error of validator.Errors(value)) return `${error.instancePath || '/'} ${error.message}`;
  return 'invalid request';
}

/** Text fields may arrive as numbers or null; they become strings, null and missing become "". */
export function text(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value).trim();
}
