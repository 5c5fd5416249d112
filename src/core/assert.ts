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
