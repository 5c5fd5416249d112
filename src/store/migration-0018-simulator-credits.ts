import type { Kysely, Migration } from 'kysely';

/**
 * Issue 11, several instances (ADR 0018): the sandbox's simulated operators remember the credits
 * they received in the database, as a real operator would on its side. A payout whose holder died
 * after the operator paid but before the settlement committed is asked about by another instance:
 * its simulator now answers "completed" from here instead of "pending" (it knew only its own
 * process's credits), so the dispatcher settles instead of sending the credit again. Sandbox only:
 * production never runs the simulator (ADR 0009), and the table stays empty there.
 */
export const simulatorCreditsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sim_credits')
      .addColumn('reference', 'text', (c) => c.primaryKey())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('amount_xof', 'bigint', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .execute();
  },
};
