import { type BoundedHttpResponse, boundedHttp, jsonOf } from '../util/bounded-http.js';

/**
 * The one HTTP client of the operator connectors (util/bounded-http.ts), with the operators'
 * bounds: `CAURI_OPERATOR_TIMEOUT_MS` from the caller, and an answer over 256 KiB refused, never
 * cut (a cut JSON answer would be unreadable anyway). A transport failure rejects: the callers
 * treat it as "the outcome is unknown", never as a failure that could release money.
 */
export const OPERATOR_RESPONSE_BYTES_MAX = 256 * 1024;

export interface OperatorHttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export type OperatorHttpResponse = BoundedHttpResponse;

export { jsonOf };

export function operatorHttp(req: OperatorHttpRequest): Promise<OperatorHttpResponse> {
  return boundedHttp({ ...req, bytesMax: OPERATOR_RESPONSE_BYTES_MAX, overflow: 'fail' });
}
