/** Operator ids are digits: "2" before "11"; the payins without an operator come last. */
export function compareOperatorIds(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.localeCompare(b, 'en', { numeric: true });
}
