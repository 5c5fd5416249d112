/**
 * The raw text of operator notifications, kept beside the parsed body for their connectors'
 * signature checks: the app's JSON parser remembers it, the notification route reads it back.
 */
const rawBodies = new WeakMap<object, string>();

export function rememberRawBody(raw: object, text: string): void {
  rawBodies.set(raw, text);
}

export function rawBodyOf(request: { raw: object }): string | undefined {
  return rawBodies.get(request.raw);
}
