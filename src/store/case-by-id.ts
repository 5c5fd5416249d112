import { sql } from 'kysely';

/**
 * `case "id" when … then cast(… as type) end`: one value per row in one UPDATE, on SQLite and
 * PostgreSQL. The cast gives PostgreSQL the type of a CASE whose branches are all parameters. In a
 * prepared query (prepared.ts) each id and value is a placeholder, so the shape is the list's length.
 */
export function caseById(
  pairs: readonly (readonly [string, string | number | null])[],
  type: 'text' | 'bigint',
) {
  const whens = pairs.map(([id, value]) => sql`when ${id} then cast(${value} as ${sql.raw(type)})`);
  return sql<never>`case "id" ${sql.join(whens, sql` `)} end`;
}
