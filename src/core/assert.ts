/**
 * Programmer errors are assertions: they abort the current transaction and surface loudly
 * (STYLE.md, "Errors"). Expected failures are result values, never exceptions.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * A value read from outside the type system (a database column) that must be one of a closed
 * list: returned as the list's type, or an assertion naming the field and the row's id. The message
 * is built only on failure, since rows are mapped on hot paths.
 */
export function oneOf<T extends string>(allowed: readonly T[], value: string, field: string, id: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new AssertionError(`${field} of ${id} is unknown: ${value}`);
  return value as T;
}
