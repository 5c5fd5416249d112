import type { Kysely, Migration } from 'kysely';

/**
 * The console's dashboard and its unfiltered transaction list read payins and payouts by creation
 * time across every project (ADR 0008). Without these indexes both scan whole tables, which grows
 * with the gateway's history; with them they read the period shown. Creation times only grow, so
 * each insert appends at the right edge of the index: the write cost is small (`npm run bench`).
 */
export const createdIndexesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('payins_created').on('payins').columns(['created_at_ms']).execute();
    await db.schema.createIndex('payouts_created').on('payouts').columns(['created_at_ms']).execute();
  },
};
