import type { Kysely, Migration } from 'kysely';

/** Reserved for issue 11's work; filled in by the change that needs it. */
export const callbackReceiversMigration: Migration = {
  async up(_db: Kysely<unknown>) {
    // Nothing yet.
  },
};
