import { type ResultCode, type Wiki, subCodeFor, wikiUrl } from '../core/result-codes.js';

/**
 * The LigdiCash error envelope (spec §4): HTTP 200, `response_code` "01", `Echec (CodeXX)` as the
 * first run of digits in `response_text` (the SDKs' regex, official-sdks §1), `description` always
 * present, and the wiki of the endpoint family.
 */
export interface ErrorEnvelope {
  response_code: '01';
  token: '';
  response_text: string;
  description: string;
  wiki: string;
}

export const DESCRIPTION_LENGTH_MAX = 300;

export function errorEnvelope(wiki: Wiki, code: ResultCode, detail?: string): ErrorEnvelope {
  const sub = subCodeFor(wiki, code);
  const description = (detail ?? sub.description).slice(0, DESCRIPTION_LENGTH_MAX);
  const envelope: ErrorEnvelope = {
    response_code: '01',
    token: '',
    response_text: `Echec (Code${sub.code})`,
    description,
    wiki: wikiUrl(wiki),
  };
  resultCodes.set(envelope, code);
  return envelope;
}

/** The result code each envelope was made for, for the request metrics and the access log (ADR 0020); not part of the body. */
const resultCodes = new WeakMap<object, ResultCode>();

export function resultCodeOf(body: object): ResultCode | undefined {
  return resultCodes.get(body);
}
