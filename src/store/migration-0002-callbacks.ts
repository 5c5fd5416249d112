import type { Kysely, Migration } from 'kysely';
import { generateWebhookSecret } from '../core/webhook-signature.js';

/**
 * Callback delivery (ADR 0006): each project's encoding mode and signing secret, the outbox's
 * delivery state, and one row per POST of every attempt. SQLite adds one column per statement.
 */
const ms = 'bigint' as const;

export const callbacksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('projects')
      .addColumn('callback_mode', 'text', (c) => c.notNull().defaultTo('ligdicash'))
      .execute();
    await db.schema
      .alterTable('projects')
      .addColumn('webhook_secret', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema.alterTable('projects').addColumn('webhook_secret_previous', 'text').execute();
    await db.schema.alterTable('projects').addColumn('webhook_secret_rotated_at_ms', ms).execute();
    // Existing projects get a secret of their own, readable with `cauri project rotate-webhook-secret`.
    const projects = await db
      .selectFrom('projects' as never)
      .select('id' as never)
      .execute();
    for (const project of projects as { id: string }[]) {
      await db
        .updateTable('projects' as never)
        .set({ webhook_secret: generateWebhookSecret() } as never)
        .where('id' as never, '=', project.id as never)
        .execute();
    }

    await db.schema
      .alterTable('outbox')
      .addColumn('cycle_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('outbox').addColumn('lease_id', 'text').execute();
    await db.schema.alterTable('outbox').addColumn('delivered_at_ms', ms).execute();

    await db.schema
      .createTable('callback_attempts')
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('encoding', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('started_at_ms', ms, (c) => c.notNull())
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('http_status', 'integer')
      .addColumn('error', 'text')
      .addColumn('response_excerpt', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('callback_attempts_pk', ['event_id', 'attempt', 'encoding'])
      .execute();
  },
};
