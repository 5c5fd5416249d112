import type { Kysely, Migration } from 'kysely';

/**
 * Issue 11, several instances (ADR 0018): a claimed payout names the instance that holds its lease,
 * so that only that instance renews it (the heartbeat) and everyone can see who holds it. The lease
 * itself stays `dispatch_after_ms`; a null owner means nobody holds the payout.
 */
export const instancesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('payouts').addColumn('dispatch_owner', 'text').execute();
  },
};
