import type { Tx } from './database.js';
import type { ProjectTable } from './schema.js';

/**
 * What the console's refund form reads before refunding: the project a payin belongs to, whose
 * sub-account pays the refund. Undefined for an unknown payin; a payin whose project is missing is
 * a bug (a foreign key forbids it), and throws.
 */
export async function payinProjectRow(tx: Tx, payinId: string): Promise<ProjectTable | undefined> {
  const payin = await tx
    .selectFrom('payins')
    .select(['id', 'project_id'])
    .where('id', '=', payinId)
    .executeTakeFirst();
  if (payin === undefined) return undefined;
  return tx.selectFrom('projects').selectAll().where('id', '=', payin.project_id).executeTakeFirstOrThrow();
}
