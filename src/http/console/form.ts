/**
 * The console's posted forms: urlencoded bodies parsed into bounded fields (multipart.ts reads the
 * one upload form into the same shape). In a file of its own so that the router and the multipart
 * reader, which the router calls, both use it without importing each other.
 */
export type Form = Record<string, string[]>;

const FIELDS_MAX = 64;
export const FIELD_LENGTH_MAX = 4096;

/**
 * A map with no prototype, for keys chosen by the client: `{}` would answer `__proto__`,
 * `constructor` or `toString` with `Object.prototype`'s members (issue 10: a field so named made
 * the console answer 500).
 */
export function emptyMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `application/x-www-form-urlencoded`, bounded: at most 64 fields of 4 KiB each. */
export function parseForm(body: string): Form {
  const form = emptyMap<string[]>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > FIELDS_MAX) break;
    (form[name] ??= []).push(value.slice(0, FIELD_LENGTH_MAX));
  }
  return form;
}

export function one(form: Form, name: string): string {
  return form[name]?.[0]?.trim() ?? '';
}

export function all(form: Form, name: string): string[] {
  return (form[name] ?? []).map((v) => v.trim()).filter((v) => v !== '');
}
