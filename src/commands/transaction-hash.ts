import { createHash } from 'node:crypto';

/**
 * The 64-hex `hash` row LigdiCash adds to `custom_data` (spec §3.2). What LigdiCash hashes is
 * undocumented; Cauri hashes the Apikey and the transaction token, which lets a merchant recompute
 * it and reveals nothing secret (ADR 0004).
 */
export function transactionHash(apikey: string, token: string): string {
  return createHash('sha256')
    .update(apikey + token)
    .digest('hex');
}
