import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * The two types every store module and the pieces of the store's engine share: which database
 * this is, and the transaction a command's function is handed. They live apart from database.ts so
 * that the engine's parts (prepared.ts, command-group.ts) need not import the file that imports them.
 */
export type Dialect = 'sqlite' | 'postgres';
export type Tx = Kysely<DB>;
